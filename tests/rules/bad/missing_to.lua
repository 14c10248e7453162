-- expect: 3: 'to' is required
-- Every route needs a target.
route "No target" { when = function(c) return true end }
