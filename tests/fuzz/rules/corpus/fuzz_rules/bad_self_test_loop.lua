-- expect: 3: instruction limit exceeded
route "Loops on every conversation" {
  when = function(c) while true do end end,
  to   = all_available(),
}
