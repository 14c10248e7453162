-- expect: 2: operators: give at least one
route "Nobody listed" { to = operators {} }
