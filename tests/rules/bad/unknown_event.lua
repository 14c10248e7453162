-- expect: 3: unknown event 'message.recieved'
-- Events are checked against the list in docs/rules.md.
workflow "Typo in the event" {
  on  = "message.recieved",
  run = function(c) return tag "x" end,
}
