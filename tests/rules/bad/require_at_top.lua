-- expect: 2: attempt to call a nil value (global 'require')
local json = require("json")
