-- expect: 2: instruction limit exceeded
while true do end
