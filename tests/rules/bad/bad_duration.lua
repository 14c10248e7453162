-- expect: 2: '10 minutes' is not a duration
workflow "Bad wait" {
  on = "message.customer", after = "10 minutes",
  run = function(c) return tag "x" end,
}
