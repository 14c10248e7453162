route "x" { when = function(c) if c.id == "fuzz" then while true do pcall(error, setmetatable({}, {__tostring = function() while true do end end})) end end end, to = team "a" }
workflow "w" { on = "message.customer", run = function(c) return setmetatable({}, {__index = function() error("x") end}) end }
