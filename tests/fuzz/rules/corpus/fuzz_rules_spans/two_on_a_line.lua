route "a" { to = nobody() } route "b" { to = all_available() }
