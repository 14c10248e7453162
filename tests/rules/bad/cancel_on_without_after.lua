-- expect: 2: 'cancel_on' needs 'after'
workflow "Nothing to cancel" {
  on = "message.customer", cancel_on = "message.operator",
  run = function(c) return tag "x" end,
}
