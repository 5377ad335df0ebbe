# Campaigns: the list, the wizard and a campaign's page.
campaigns-title = Campaigns
campaigns-new = New campaign
campaigns-filter-status = Status
campaigns-all = All campaigns
campaigns-filter-apply = Show
campaigns-none-here = No campaigns here.
campaigns-empty-title = No campaigns yet
campaigns-empty = A campaign sends one text (or a few to compare) to a group of your contacts, each at a good hour on their own clock.
campaigns-col-name = Campaign
campaigns-col-status = Status
campaigns-col-audience = Who
campaigns-col-when = When
campaigns-col-progress = Progress
campaigns-col-variant = Variant
campaigns-col-recipients = Recipients
campaigns-col-sms = SMS
campaigns-col-cost = Cost
campaigns-col-hour = Hour
campaigns-col-group = Group
campaigns-variants-count = { $count ->
    [one] { $count } text
   *[other] { $count } texts
}
campaigns-ab-short = A/B test
campaigns-aud-segment = Segment “{ $name }”
campaigns-aud-list = { $count ->
    [one] { $count } listed number
   *[other] { $count } listed numbers
}
campaigns-aud-filter = Contacts chosen by conditions
campaigns-created-at = Created { $when }
campaigns-started-at = Started { $when }
campaigns-finished-at = Finished { $when }
campaigns-pages = Pages
campaigns-newest = Newest
campaigns-older = Older campaigns
campaigns-status-draft = Draft
campaigns-status-scheduled = Scheduled
campaigns-status-running = Sending
campaigns-status-paused = Paused
campaigns-status-completed = Completed
campaigns-status-cancelled = Cancelled
campaigns-back-to-list = ← All campaigns
campaigns-wizard-title = New campaign
campaigns-edit-title = Edit “{ $name }”
campaigns-step-audience = Who gets it
campaigns-step-variants = Texts
campaigns-step-schedule = When and how often
campaigns-step-review = Check and start
campaigns-next = Next
campaigns-back = Back
campaigns-save-draft = Save as draft
campaigns-start = Start campaign
campaigns-name = Campaign name
campaigns-name-example = e.g. Spring sale
campaigns-who = Recipients
campaigns-kind-segment = A saved segment
campaigns-segment = Segment
campaigns-choose-segment = Choose a segment…
campaigns-no-segments = You have no saved segments yet.
campaigns-to-segments = Make one on the Segments page
campaigns-kind-filter = Contacts matching conditions
campaigns-filter-hint = Leave everything empty to reach all contacts who agreed to receive messages.
campaigns-f-tag = With the tag
campaigns-f-language = Language
campaigns-f-attr = Where the field
campaigns-f-attr-any = (any field)
campaigns-f-value = equals
campaigns-kind-list = A list of numbers
campaigns-list = Phone numbers
campaigns-list-hint = One number a line (or separated by commas). Only numbers of contacts who agreed to receive messages get it.
campaigns-count-hint = Choose who gets it to see how many people that is.
campaigns-count-reach = { $count ->
    [0] Nobody can get it yet
    [one] { $count } person can get it
   *[other] { $count } people can get it
}
campaigns-count-matched = { $count ->
    [one] { $count } contact matches; left out:
   *[other] { $count } contacts match; left out:
}
campaigns-excl-no-consent = { $count } without consent.
campaigns-excl-opted-out = { $count } opted out.
campaigns-excl-invalid = { $count } with an invalid number.
campaigns-count-nobody = Nobody here may receive marketing messages: check the contacts' consent.
campaigns-count-unreadable = This audience cannot be read now (was the segment deleted?).
campaigns-variables-hint = Write the text as the recipients should read it. {"{{ name }}"} puts in each contact's name, {"{{ attributes.city }}"} any field of theirs.
campaigns-variant-named = Variant { $name }
campaigns-variant-name = Name
campaigns-variant-weight = Share (weight)
campaigns-variant-text = Text
campaigns-remove-variant = Remove variant { $name }
campaigns-add-variant = Add a variant
campaigns-weight-hint = Variants are split by their shares: 1 and 1 is half each, 3 and 1 is three quarters and a quarter.
campaigns-preview-title = Preview
campaigns-preview-loading = The preview appears here as you type.
campaigns-preview-empty = Write a text to see how it reads.
campaigns-preview-sample = { $count ->
    [one] As the first recipient will get it:
   *[other] As the first recipients will get it (counted over { $count } of them):
}
campaigns-preview-nobody = Nobody in this audience may receive it yet, so there is no one to preview it for.
campaigns-sms-count = { $count ->
    [one] { $count } SMS
   *[other] { $count } SMS
}
campaigns-warn-ucs2 = “{ $char }” makes the text Unicode: 70 characters per SMS instead of 160.
campaigns-warn-replace = Write “{ $with }” instead to keep it short.
campaigns-warn-missing = { $count ->
    [one] { $count } recipient has no { $name }: they would get nothing.
   *[other] { $count } recipients have no { $name }: they would get nothing.
}
campaigns-warn-empty = { $count ->
    [one] { $name } is empty for { $count } recipient.
   *[other] { $name } is empty for { $count } recipients.
}
campaigns-warn-longer = { $count ->
    [one] { $count } recipient gets a longer text (more SMS).
   *[other] { $count } recipients get a longer text (more SMS).
}
campaigns-per-message = { $sms ->
    [one] { $sms } SMS per message, { $cost }
   *[other] { $sms } SMS per message, { $cost }
}
campaigns-variant-estimate = about { $count } recipients, { $sms } SMS
campaigns-estimate-total = In total about { $count } messages, { $sms } SMS, { $cost }
campaigns-estimate-hint = Estimated from the first recipients at { $price } per SMS; the last step counts it exactly.
campaigns-when = Start and end
campaigns-start-now = Start as soon as I press Start
campaigns-start-later = Start at a set time
campaigns-start-at = Start time
campaigns-deadline = Stop sending after
campaigns-times-zone = Times in your zone ({ $zone }).
campaigns-deadline-hint = Without an end, sending stops { $hours } hours after the start.
campaigns-window = Sending hours
campaigns-window-hint = On each recipient's own clock: someone in another time zone gets it in their daytime, not yours.
campaigns-window-from = From
campaigns-window-to = Until
campaigns-days = Days
campaigns-day-mon = Mon
campaigns-day-tue = Tue
campaigns-day-wed = Wed
campaigns-day-thu = Thu
campaigns-day-fri = Fri
campaigns-day-sat = Sat
campaigns-day-sun = Sun
campaigns-caps = How often
campaigns-caps-hint = The most marketing messages one person gets from you, across all campaigns. Empty: the gateway's settings.
campaigns-cap-24h = At most per 24 hours
campaigns-cap-7d = At most per 7 days
campaigns-rate = Messages per hour
campaigns-no-limit = no limit
campaigns-ab = A/B test
campaigns-ab-on = Test the variants on part of the audience first, then send the winner to the rest
campaigns-ab-hint = The test part is split between the variants by their shares.
campaigns-ab-share = Test part (%)
campaigns-ab-metric = The winner is the one with the most
campaigns-metric-reply = replies
campaigns-metric-click = link clicks
campaigns-metric-redeem = promo codes used
campaigns-metric-delivered = deliveries
campaigns-ab-after = Choose the winner after
campaigns-ab-unit = Unit
campaigns-unit-m = minutes
campaigns-unit-h = hours
campaigns-unit-d = days
campaigns-review-reach = { $count ->
    [one] person will get it if you start now
   *[other] people will get it if you start now
}
campaigns-review-left-out = { $count } left out (no consent, opted out or an invalid number).
campaigns-starts-at = Starts { $when }
campaigns-starts-now = Starts right away
campaigns-ends-by = Stops sending after { $when }
campaigns-ends-default = Stops sending { $hours } hours after the start
campaigns-window-summary = Between { $from } and { $to } on each recipient's clock
campaigns-caps-summary = At most { $day } a day and { $week } a week per person
campaigns-rate-summary = At most { $count } messages an hour
campaigns-ab-summary = { $share } of the recipients test the variants; the one with the most { $metric } after { $after } goes to the rest.
campaigns-ab-none = No test: every recipient gets one of the variants by its share.
campaigns-weight-of = share { $weight }
campaigns-eta = How long it takes
campaigns-eta-nothing = Nothing to send.
campaigns-eta-no-sims = { $count ->
    [one] { $count } message to send, but no SIM is ready to send it now.
   *[other] { $count } messages to send, but no SIM is ready to send them now.
}
campaigns-eta-partial = Only { $sendable } of { $count } messages can go out before the end with { $sims } SIMs; { $expire } would not be sent. Allow more time or more sending hours.
campaigns-eta-all = { $count ->
    [one] { $count } message, { $sims } SIMs sending.
   *[other] { $count } messages, { $sims } SIMs sending.
}
campaigns-eta-finish = All sent by about { $when }.
campaigns-eta-deadline = Ends { $when }.
campaigns-limited-by = What sets the pace: { $what }.
campaigns-limit-windows = the recipients' sending hours
campaigns-limit-held = recipients held back by the frequency limit or the A/B test
campaigns-limit-rate_per_hour = the messages-per-hour limit
campaigns-limit-send_time = how fast the modems send
campaigns-limit-per_minute = the SIMs' per-minute limits
campaigns-limit-daily_limit = the SIMs' daily limits
campaigns-limit-monthly_limit = the SIMs' monthly limits
campaigns-limit-unique_recipients = the SIMs' limits on new recipients
campaigns-cost-title = Cost
campaigns-cost-loading = Counting the cost for every recipient…
campaigns-cost-ab-note = With an A/B test the rest get the winner; it is counted here with the variant each would draw.
campaigns-cost-links-note = Link clicks will not be counted: set the public address (public.base_url) to track them.
campaigns-total = Total
campaigns-progress = Progress
campaigns-draft-note = This campaign is a draft: nothing is sent until you start it.
campaigns-paused-note = Paused: nothing more is sent until you resume it.
campaigns-done-share = Share of recipients done
campaigns-done-of = { $done } of { $count } done
campaigns-fig-audience = Recipients
campaigns-fig-waiting = Waiting
campaigns-fig-queued = In the queue
campaigns-fig-sent = Sent
campaigns-fig-delivered = Delivered
campaigns-fig-failed = Failed
campaigns-fig-unknown = Unknown
campaigns-fig-excluded = Left out
campaigns-fig-expired = Not sent in time
campaigns-fig-cancelled = Cancelled
campaigns-fig-replies = Replies
campaigns-fig-optouts = Opt-outs
campaigns-fig-clicks = Clicks
campaigns-fig-conversions = Conversions
campaigns-fig-cost = { $count ->
    [one] Cost of { $count } SMS
   *[other] Cost of { $count } SMS
}
campaigns-excluded-why = Left out:
campaigns-reason-no_consent = no consent
campaigns-reason-opted_out = opted out
campaigns-reason-invalid = invalid number
campaigns-reason-capped = over the frequency limit
campaigns-reason-window_missed = their hours did not come again in time
campaigns-reason-render_failed = the text could not be made for them
campaigns-by-variant = By variant
campaigns-edit = Edit draft
campaigns-pause = Pause
campaigns-resume = Resume
campaigns-cancel = Cancel campaign
campaigns-confirm-start = Start this campaign now? Its recipients are fixed when it starts.
campaigns-confirm-pause = Pause this campaign? Nothing more is sent until you resume it.
campaigns-confirm-cancel = Cancel this campaign for good? What was not sent will never be sent.
campaigns-about = What it sends
campaigns-ab-winner = Winner: { $name }.
campaigns-ab-not-significant = The difference was not clear, so the first variant was kept.
campaigns-ab-waiting = The winner is chosen when the test time is over.
campaigns-results = Results
campaigns-chart-time = Over time
campaigns-chart-variants = Rates by variant
campaigns-chart-empty = Nothing sent yet
campaigns-chart-table = The numbers by hour
campaigns-last-hours = The last 24 hours with activity
campaigns-rates-by-variant = Rates by variant
campaigns-rate-delivery = Delivered
campaigns-rate-reply = Replied
campaigns-rate-optout = Opted out
campaigns-rate-ctr = Clicked
campaigns-rate-conversion = Converted
campaigns-breakdown = By group of recipients
campaigns-breakdown-by = Group by
campaigns-by-variant-opt = Variant
campaigns-by-zone = Time zone
campaigns-by-tag = Tag
campaigns-breakdown-empty = No recipients to group yet.
campaigns-breakdown-more = Only the first 50 groups are shown.
campaigns-group-none = (not set)
campaigns-compare = Compared with earlier campaigns
campaigns-compare-none = No earlier campaign to compare with yet.
campaigns-this-one = (this one)
campaigns-err-name = Give the campaign a name.
campaigns-err-segment = Choose a saved segment, or pick another way to choose the recipients.
campaigns-err-attr = There is no field “{ $what }” on your contacts.
campaigns-err-attr-number = “{ $what }” is a number: write a number to compare it with.
campaigns-err-attr-bool = “{ $what }” is yes or no: write yes or no.
campaigns-err-list = Write at least one phone number.
campaigns-err-kind = Choose who gets the campaign.
campaigns-err-no-text = Write the text of at least one variant.
campaigns-err-weight = The share of variant { $what } must be a whole number from 1.
campaigns-err-time = This time cannot be read: choose a date and a time.
campaigns-err-days = Tick at least one day for sending.
campaigns-err-number = Write a whole number from 1, or leave it empty.
campaigns-err-share = The test part is a percentage between 1 and 99.
campaigns-err-decide = Say after how long to choose the winner (a whole number from 1).
error-invalid_campaign = The campaign cannot be saved as it is
error-audience = The recipients cannot be read
error-empty_audience = Nobody may receive this campaign
error-timing = The times do not work
error-wrong_status = Not possible in this state
error-render_failed = The text cannot be made
error-call_tracking = Call tracking is not set up
error-busy = Already being saved
campaigns-after-m = { $count ->
    [one] { $count } minute
   *[other] { $count } minutes
}
campaigns-after-h = { $count ->
    [one] { $count } hour
   *[other] { $count } hours
}
campaigns-after-d = { $count ->
    [one] { $count } day
   *[other] { $count } days
}
campaigns-breakdown-show = Show the figures by group
campaigns-compare-show = Show the comparison
campaigns-cost-variant-empty = Variant { $name } reaches nobody: its text cannot be written for any recipient (a field it uses is empty for them). Fix the text, or give the field a default, before starting.
