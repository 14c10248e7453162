-- The auto-close rules of RULES.md.
autoclose "Ask to close after 24 h of quiet" {
  after  = "24h",                      -- since the last message
  when   = function(c) return c.state == "open" end,
  action = "close_request",
}

autoclose "Close snoozed conversations after 7 days" {
  after  = "7d",
  when   = function(c) return c.state == "snoozed" end,
  action = "close",
}
