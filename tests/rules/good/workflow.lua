-- The workflows of RULES.md.
workflow "SMS the chat link after a call" {
  on   = "call.ended",
  when = function(c)
    return c.contact.phone and not c.contact.tags.blacklist
  end,
  run  = function(c)
    return send { channel = "sms", to = c.contact.phone,
                  text = "お電話ありがとうございました。続きはこちら: " .. c.link }
  end,
}

workflow "Ask LINE customers for their order number once" {
  on    = "conversation.created",
  when  = function(c) return c.channel == "line" end,
  steps = {
    ask { text = "ご注文番号を教えてください", timeout = "10m" },  -- 1回のみ返信を受ける
    function(c, reply)
      if reply then
        return { set_attribute("order", reply.text), tag "order" }
      end
      return assign(team "support")
    end,
  },
}

workflow "Reassign when the assignee is silent" {
  on        = "message.customer",
  when      = function(c) return c.assignee ~= nil end,
  after     = "10m",                 -- a durable timer
  cancel_on = "message.operator",    -- the assignee answered in time
  run       = function(c) return assign(team(c.team), { exclude = c.assignee }) end,
}

workflow "Tag and categorise VIP messages" {
  on   = "message.customer",
  when = function(c) return c.contact.tags.vip end,
  run  = function(c)
    local actions = { tag "vip", set_category "premium" }
    for tag in pairs(c.tags) do
      if tag == "urgent" then actions[#actions + 1] = snooze "2h" end
    end
    return actions
  end,
}
