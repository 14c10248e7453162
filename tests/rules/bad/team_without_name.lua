-- expect: 2: team: the team name must be a string
route "Team of a number" { to = team(5) }
