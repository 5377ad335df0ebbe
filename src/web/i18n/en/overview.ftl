# The overview page.
overview-title = Overview
overview-updated = Updated { $time }; refreshes by itself.
overview-alerts = Needs attention
overview-all-well = Everything is working. Nothing needs your attention.
overview-alert-sim_cooling_down = The SIM in { $modem } is resting and sends nothing for now; its messages go through the other SIMs.
overview-alert-until = It starts again at { $time }.
overview-alert-modem_disconnected = The modem { $modem } is disconnected. Check that it is plugged in.
overview-alert-modem_not_ready = The modem { $modem } cannot send: { $state }.
overview-alert-modem_storage_full = The message memory of { $modem } is full: replies cannot arrive. Delete the stored messages (simfleet modem inbox --delete).
overview-alert-storage_full = The gateway's disk is full ({ $free } MB free): messages and replies cannot be saved. Free some space now.
overview-alert-storage_low = The gateway's disk is almost full ({ $free } MB free).
overview-alert-webhook_failing = Your system at { $url } is not accepting events: { $n } { $count ->
    [one] event is
   *[other] events are
} waiting.
overview-alert-email_failing = Replies cannot be emailed right now: { $n } { $count ->
    [one] reply is
   *[other] replies are
} waiting.
overview-alert-optouts_to_review = { $n } { $count ->
    [one] reply looks
   *[other] replies look
} like a request to stop messages.
overview-alert-why = Reason: { $reason }
overview-see-settings = See delivery details
overview-review-now = Review now
overview-today = Today
overview-today-sent = Sent
overview-today-delivered = Delivered
overview-today-replies = Replies
overview-today-optouts = Opted out
overview-since = Counted since { $time }.
overview-empty = No messages yet —
overview-empty-send = send one
overview-queue = Queue
overview-queue-queued = Waiting for a SIM
overview-queue-scheduled = Scheduled
overview-queue-sending = Sending now
overview-queue-unknown = Unknown outcome
overview-modems = Modems and SIMs
overview-modem = Modem
overview-no-modems = No modems found yet. Plug a USB GSM modem into the gateway; it appears here within a few seconds.
overview-state-connecting = Connecting
overview-state-ready = Ready
overview-state-busy = Sending
overview-state-cooling_down = Resting
overview-state-no_sim = No SIM card
overview-state-pin_required = SIM PIN needed
overview-state-not_registered = No network
overview-state-disconnected = Disconnected
overview-state-failed = Not working
overview-state-other = Unknown state
overview-signal = Signal
overview-signal-excellent = Excellent
overview-signal-good = Good
overview-signal-fair = Fair
overview-signal-poor = Poor
overview-signal-none = Not known yet
overview-operator = Operator
overview-sent-today = Sent today
overview-of-limit = { $sent } of { $limit }
overview-no-limit = no daily limit
overview-warm-up = New SIM warming up: day { $day }
overview-month = This month
overview-month-left = { $n } { $count ->
    [one] message part left
   *[other] message parts left
}
overview-month-sent = { $n } { $count ->
    [one] message part sent
   *[other] message parts sent
}, no monthly limit
overview-new-recipients-left = { $n } new { $count ->
    [one] recipient
   *[other] recipients
} left
overview-last-error = Last problem: { $error }
