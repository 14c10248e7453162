-- expect: 4: the name is already used
-- Route names identify the rule in decisions and logs: they are unique.
route "Same" { to = nobody() }
route "Same" { to = all_available() }
