-- expect: 2: step 1 must be ask
workflow "Steps of the wrong kind" {
  on = "conversation.created",
  steps = { tag "x" },
}
