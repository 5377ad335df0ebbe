# The send page.
send-title = Send a message
send-to = To
send-to-hint = One number per line, or separated by commas. Numbers without a country code are read as { $region } numbers.
send-numbers-ok = { $count ->
    [0] No number yet.
    [one] 1 number ready.
   *[other] { $count } numbers ready.
}
send-numbers-repeated = { $count ->
    [one] 1 number was listed twice and gets one message.
   *[other] { $count } numbers were listed twice and get one message each.
}
send-numbers-bad = { $count ->
    [one] 1 entry is not a phone number:
   *[other] { $count } entries are not phone numbers:
}
send-numbers-line = Line { $line }
send-number-empty = nothing typed
send-number-character = “{ $character }” (character { $position }) cannot be in a phone number
send-number-unreadable = not a phone number (too short, too long or no country)
send-number-not-valid = not a valid number; without a country code it is read as a { $region } number
send-text = Message
send-counter-empty = Type a message to see its length and cost.
send-counter-characters = Characters
send-counter-encoding = Encoding
send-encoding-national = GSM-7 with the “{ $table }” national table
send-counter-segments = SMS per recipient
send-counter-cost = { $count ->
    [one] Cost
   *[other] Cost for { $count } recipients
}
send-counter-gsm-limit = GSM-7: 160 characters fit one SMS; longer texts go in parts of 153.
send-counter-ucs2-limit = UCS-2: 70 characters fit one SMS; longer texts go in parts of 67.
send-counter-normalized = Typographic quotes and dashes are replaced when sent.
send-forcing-intro = { $count ->
    [one] This character makes the message go as UCS-2, with fewer characters per SMS:
   *[other] These characters make the message go as UCS-2, with fewer characters per SMS:
}
send-forcing-none = no plain spelling
send-forcing-suggest = Written with plain characters it takes { $segments } SMS instead of { $now }.
send-forcing-fix = Replace them
send-forcing-keep = These letters have no GSM-7 spelling; UCS-2 is right for this text.
send-options = Options
send-at = Send at (optional)
send-at-hint = Leave empty to send now. The time is in your time zone ({ $zone }).
send-category = Kind of message
send-category-transactional = Service (orders, reminders, codes)
send-category-marketing = Marketing (needs the contact’s consent)
send-category-hint = Marketing goes only to contacts who agreed to receive it.
send-report = Ask for a delivery report
send-submit = Send
send-not-sent = Nothing was sent.
send-error-no-numbers = Add at least one phone number.
send-error-bad-numbers = { $count ->
    [one] Correct or remove the entry that is not a phone number.
   *[other] Correct or remove the { $count } entries that are not phone numbers.
}
send-error-too-many = { $count } numbers is more than { $max } at once. For a large audience, use a campaign.
send-error-past = That send time has passed. Choose a later time or leave it empty to send now.
send-error-time = The send time cannot be read. Pick a date and a time.
send-error-empty_text = Type a message.
send-error-invalid_text = The message has an invisible control character (pasted from somewhere?). Remove it and try again.
send-error-too_long = The message is too long: it would take more than 255 SMS.
send-error-invalid_number = This is not a phone number we can send to.
send-error-no_consent = Not sent: a marketing message needs the contact’s consent.
send-error-no-key = This form was not made by this page (or is out of date): check the numbers and the text, then press Send again.
send-error-category = Choose whether this is a service message or marketing.
send-error-opted_out = Not sent: this number opted out (it replied STOP, or was added to the opt-outs). Only the confirmation of an opt-out may reach it.
send-error-no_contact = Not sent: this number is not among your contacts, and marketing goes only to contacts who agreed to it.
send-error-consent_pending = Not sent: this contact has not yet answered YES to the consent request.
send-error-idempotency_conflict = This form was already used to send a different text. Open a new form to send it.
send-result-title = Message sent
send-result-accepted = { $count ->
    [0] No message was accepted.
    [one] 1 message accepted.
   *[other] { $count } messages accepted.
}
send-result-suppressed = { $count ->
    [one] 1 of them will not be sent: the number opted out.
   *[other] { $count } of them will not be sent: the numbers opted out.
}
send-result-refused = { $count ->
    [one] 1 number was refused.
   *[other] { $count } numbers were refused.
}
send-result-scheduled = They will be sent at { $when }.
send-result-repeated = This form had already been sent: nothing was sent twice.
send-result-caption = Each message and where it stands now.
send-col-to = To
send-col-status = Status
send-col-message = Message
send-result-already = (sent before)
send-result-not-accepted = not accepted
send-result-open = Message #{ $id }
send-result-more = { $count ->
    [one] 1 more message is on the Messages page.
   *[other] { $count } more messages are on the Messages page.
}
send-their-time = their time: { $time }, { $zone }
send-another = Send another message
send-see-messages = See all messages
error-invalid_number = Not a phone number
error-empty_text = Empty message
error-invalid_text = The text cannot be sent
error-too_long = Message too long
error-no_consent = No consent for marketing
error-idempotency_conflict = Form already used
