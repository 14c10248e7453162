for _, n in ipairs({"a"}) do route(n) { to = nobody() } end
route "z" { to = nobody() } ;  -- tail
