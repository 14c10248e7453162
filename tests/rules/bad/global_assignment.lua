-- expect: 3: cannot set global 'helper'
-- Rule files cannot define globals: use local.
function helper(c) return true end
