# The conversations pages.
conversations-title = Conversations
conversations-replies = { $count ->
    [one] 1 reply
   *[other] { $count } replies
}
conversations-opted-out-badge = opted out
conversations-empty = No replies yet. When someone answers one of your messages, the conversation shows here.
conversations-no-older = No older conversations.
conversations-their-time = their time now: { $time } ({ $zone })
conversations-all-messages = all messages to this number
conversations-earlier = Earlier messages
conversations-they-wrote = They wrote
conversations-you-sent = You sent
conversations-no-text = (no text)
conversations-thread-empty = Nothing exchanged with this number yet.
conversations-reply = Reply
conversations-reply-text = Your reply
conversations-reply-hint = Sent from the same SIM they wrote to when it can; opt-outs are always honoured.
conversations-reply-submit = Send reply
conversations-reply-accepted = Reply accepted.
conversations-reply-suppressed = Not sent: this number opted out.
conversations-opted-out = This number opted out on { $when }. Nothing more is sent to it.
conversations-kind-optout = opt-out
conversations-kind-optin = opted back in
conversations-kind-help = asked for help
conversations-kind-join = joined
conversations-kind-consent = gave consent
conversations-kind-vote = vote
conversations-kind-comment = comment
conversations-kind-optout_review = to review (mentions stop)
