-- expect: 3: 'to' must be a target
-- A team is written team "support", not just "support".
route "Forgot team" { to = "support" }
