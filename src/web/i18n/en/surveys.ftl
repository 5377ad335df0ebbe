# Surveys: the list, the form, a survey's page with its live results.
surveys-title = Surveys
surveys-new = New survey
surveys-intro = Ask a question by SMS; people answer by replying with an option's key, and the votes are counted as they arrive.
surveys-col-question = Question
surveys-col-status = Status
surveys-col-asked = Asked
surveys-col-created = Sent
surveys-open = Open
surveys-closed = Closed
surveys-closes-on = closes { $when }
surveys-closed-on = closed { $when }
surveys-created-on = sent { $when }
surveys-empty = No surveys yet — ask your customers a question and watch the answers come in.
surveys-empty-action = Create your first survey
surveys-no-older = No older surveys.
surveys-pages = Pages
surveys-newest = Newest
surveys-older = Older surveys
surveys-new-title = New survey
surveys-new-intro = The question goes out at once to every number below, with the options added to the text. People who opted out are skipped.
surveys-question = Question
surveys-question-hint = For example: Will you come to the open day on Friday?
surveys-options = Answers
surveys-options-hint = Each answer has a reply key (what people text back, such as 1 or 2) and a label. Leave a row's label empty to skip it. At least two answers.
surveys-option-key = Reply key { $n }
surveys-option-label = Answer { $n }
surveys-add-option = Add an answer
surveys-recipients = Numbers to ask
surveys-recipients-hint = One number per line (commas work too), in any usual format: +7 916 123-45-67, 8 916 123 45 67.
surveys-count = Which vote counts
surveys-count-first = The first vote counts
surveys-count-last = The last vote counts
surveys-closes-at = Close automatically (optional)
surveys-closes-at-hint = In your time zone ({ $zone }). Leave empty to close it yourself.
surveys-invalid-reply = Reply to an answer that is not a vote (optional)
surveys-invalid-reply-hint = Sent once to someone whose reply is not one of the keys, for example: Please reply 1 for Yes or 2 for No.
surveys-send = Send the survey
surveys-cancel = Cancel
surveys-back = ← All surveys
surveys-sent = { $count ->
    [one] The question was sent to { $count } number.
   *[other] The question was sent to { $count } numbers.
}
surveys-suppressed = { $count ->
    [one] { $count } number had opted out and was not asked.
   *[other] { $count } numbers had opted out and were not asked.
}
surveys-results = Results
surveys-asked = asked
surveys-delivered = delivered
surveys-responded = answered
surveys-comments = other replies
surveys-no-votes = No votes yet. They appear here as replies arrive.
surveys-no-votes-closed = Nobody voted.
surveys-votes = { $count ->
    [one] { $count } vote
   *[other] { $count } votes
}
surveys-live = Updates by itself every { $secs } seconds.
surveys-final = The survey is closed: these are the final results.
surveys-close = Close the survey
surveys-close-confirm = Close the survey? Votes that arrive later will not be counted.
surveys-error-invalid_options = Check the answers
surveys-error-invalid_number = A number cannot be read
surveys-error-invalid_recipients = Add at least one number to ask
surveys-error-too_many_recipients = Too many numbers: a survey asks at most 100,000
surveys-error-empty_text = Write the question
surveys-error-invalid_text = The text cannot be sent by SMS
surveys-error-too_long = The question is too long for an SMS
surveys-error-invalid_closes_at = Check the closing time: it must be a date in the future
surveys-error-invalid_count = Choose which vote counts
surveys-error-idempotency_conflict = This form was already sent with other answers: reload the page to start a new survey
surveys-error-invalid_idempotency_key = The form was out of date: reload the page
