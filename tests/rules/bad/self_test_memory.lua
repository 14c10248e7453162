-- expect: 2: memory limit exceeded
route "Eats memory on every conversation" {
  when = function(c) local t = {} for i = 1, 1e8 do t[i] = i end end,
  to   = all_available(),
}
