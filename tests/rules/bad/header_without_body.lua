-- expect: 3: has no { ... } body
-- A declaration without its body.
route "Forgot the body"
