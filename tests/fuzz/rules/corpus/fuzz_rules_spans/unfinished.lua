route "x" {
  to = team "unfinished
}
