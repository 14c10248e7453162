-- The route rules of RULES.md, word for word, plus a business_hours
-- declaration and a computed target.
business_hours {
  timezone = "Asia/Tokyo",
  mon = "09:00-18:00", tue = "09:00-18:00", wed = "09:00-18:00",
  thu = "09:00-18:00", fri = { "09:00-12:00", "13:00-18:00" },
  sat = false,
  holidays = { "2026-01-01" },
  channels = { phone = { mon = "08:00-20:00", tue = "08:00-20:00" } },
}

route "VIP callers to the premium team" {
  when   = function(c) return c.channel == "phone" and c.contact.tags.vip end,
  to     = team "premium",
  method = "longest_idle",
}

route "Returning customers to their last operator" {
  when   = function(c) return c.contact.past_conversations > 0 end,
  to     = last_operator { fallback = team "support" },
  method = "fewest_handled",
}

route "Campaign visitors" {
  when   = function(c) return c.visitor.utm.campaign == "spring-sale" end,
  to     = operators { "sato", "suzuki", team "sales" },
  method = "round_robin",
}

route "Department from the widget" {
  when = function(c) return c.visitor.department ~= nil and c.visitor.department ~= "" end,
  to   = function(c) return team(c.visitor.department) end,
  method = "ring_all",
}

route "Out of hours: nobody" {
  when = function(c) return not business_hours(c.channel) end,
  to   = nobody(),
}

route "Everyone else" {
  to     = all_available(),
  method = "ring_all",
}
