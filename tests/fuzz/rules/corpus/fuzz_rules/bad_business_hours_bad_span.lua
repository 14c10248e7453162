-- expect: 2: business_hours: mon
business_hours { mon = "9-18" }
