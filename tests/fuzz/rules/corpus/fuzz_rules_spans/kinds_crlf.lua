-- several kinds, an enabled field and a CRLF file
route "vip" {
  enabled = false,
  when = function(c) return c.contact.tags.vip end,
  to = team "premium",
}

workflow "tag" { on = "message.customer", run = function(c) return tag "x" end }

autoclose "quiet" {
  after = "24h",
  action = "close_request",
}
