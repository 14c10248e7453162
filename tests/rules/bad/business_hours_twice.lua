-- expect: 3: business_hours is already declared
business_hours { mon = "09:00-18:00" }
business_hours { tue = "09:00-18:00" }
