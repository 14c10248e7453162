-- Route rules: who gets a new conversation.
--
-- Rules are tried from top to bottom; the first one whose `when` is true
-- decides. A rule without `when` always matches. If a rule raises an error
-- it is skipped (and the error is logged as file:line), and if no rule
-- matches, the built-in default applies: all available operators, longest
-- idle first. See docs/rules.md for every name you can use here.
--
-- Check your changes with:   tsunagu rules check rules/
-- Try them on a conversation: tsunagu rules test rules/ --conversation c.json
-- Then reload tsunagud (SIGHUP, or the admin page): a broken file is refused
-- and the rules that were running keep running.

-- A returning customer first goes back to the operator who helped them last
-- time; when that operator is not available, to everyone.
route "Returning customers to their last operator" {
  when   = function(c) return c.contact.past_conversations > 0 end,
  to     = last_operator { fallback = all_available() },
  method = "longest_idle",
}

-- Examples (remove the leading "--" to use them):
--
-- route "VIP callers to the premium team" {
--   when   = function(c) return c.channel == "phone" and c.contact.tags.vip end,
--   to     = team "premium",
--   method = "longest_idle",
-- }
--
-- route "Campaign visitors" {
--   when   = function(c) return c.visitor.utm.campaign == "spring-sale" end,
--   to     = operators { "sato", "suzuki", team "sales" },
--   method = "round_robin",
-- }
--
-- route "Out of hours: nobody" {
--   when = function(c) return not business_hours(c.channel) end,
--   to   = nobody(),
-- }

-- Everyone else: offered to every available operator, the one idle the
-- longest first.
route "Everyone else" {
  to     = all_available(),
  method = "longest_idle",
}
