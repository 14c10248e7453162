--[==[ route "x" { ]==]
route "y" {
  when = function(c) return c.visitor.page_url == "}" end, -- }
  to = team [[sup]],
  enabled = true;
}
local s = "\z
   }"
