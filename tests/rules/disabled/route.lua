-- A route rule switched off stays in the file: `tsunagu rules check` lists it.
route "on" {
  when = function(c) return c.channel == "phone" end,
  to = team "voice",
}

route "off" {
  enabled = false,
  to = nobody(),
}
