-- expect: 2: give either 'run' or 'steps'
workflow "Both" {
  on = "conversation.created",
  run = function(c) return tag "x" end,
  steps = { ask { text = "?" } },
}
