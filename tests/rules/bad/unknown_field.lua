-- expect: 3: unknown field 'wehn'
-- A misspelt field is an error, not a rule that always matches.
route "Misspelt when" {
  wehn = function(c) return c.channel == "phone" end,
  to   = team "voice",
}
