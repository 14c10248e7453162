workflow "t" { on = "message.customer", after = "10m", cancel_on = {"message.operator"}, run = function(c) return { tag "x", assign(team(c.assignee), { exclude = c.assignee }), webhook { url = "https://example.invalid/", body = { a = { 1, 2 }, b = c.id } } } end }
local s = string.rep("x", 1e6) route "m" { to = function(c) return operators { s } end }
