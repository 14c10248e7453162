-- expect: 4: unknown method 'fastest'
-- A method that does not exist is refused when the file loads.

route "Typo in the method" {
  to     = all_available(),
  method = "fastest",
}
