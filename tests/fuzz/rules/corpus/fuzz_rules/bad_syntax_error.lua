-- expect: 5: unexpected symbol
route "Unclosed" {
  when = function(c)
    return c.channel == "web" and
  end,
  to = all_available(),
}
