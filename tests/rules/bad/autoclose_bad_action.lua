-- expect: 2: 'action' must be
autoclose "Delete?" { after = "24h", action = "delete" }
