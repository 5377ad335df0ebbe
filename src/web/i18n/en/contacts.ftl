# Contacts: the list, a contact's page, the CSV import and export.
contacts-title = Contacts
contacts-import-link = Import a CSV file
contacts-export-link = Export all (CSV)
contacts-segments-link = Segments
contacts-search-label = Search by name or number
contacts-search-placeholder = Anna, 916 123…
contacts-search-button = Search
contacts-name = Name
contacts-phone = Number
contacts-tags = Tags
contacts-marketing = Marketing
contacts-last-activity = Last message
contacts-no-name = (no name)
contacts-pages = Pages of contacts
contacts-first-page = ← First page
contacts-next-page = Next page →
contacts-none-found = No contact matches “{ $q }”.
contacts-no-more = No more contacts.
contacts-empty = No contacts yet —
contacts-empty-import = import a CSV file or add one below.
contacts-tag-filter = Contacts tagged “{ $tag }”.
contacts-tag-clear = Show all
contacts-erased = The contact { $phone } was deleted. If the number had opted out, it stays on the opt-out list.
contacts-add-title = Add a contact
contacts-add-hint = National numbers are read in the gateway's country. Consent to marketing is recorded when you import a list or through the API, with its proof.
contacts-add-button = Add the contact
contacts-reach-opted_in = Agreed
contacts-reach-pending = Waiting for confirmation
contacts-reach-none = No consent
contacts-reach-opted_out = Opted out
contacts-reach-invalid = Number not working
contacts-back = ← All contacts
contacts-saved = Saved.
contacts-details = Details
contacts-language = Language
contacts-language-hint = A language code such as ru, en or es.
contacts-zone = Time zone
contacts-zone-given = Set by hand. Leave empty to take it from the number again.
contacts-zone-derived = From the number: { $zone }. Type a zone (Europe/Madrid…) to set another.
contacts-tags-hint = Separated by commas. The list replaces the contact's tags.
contacts-attributes = Attributes
contacts-no-attributes = No attributes yet.
contacts-attributes-hint = Empty a value to remove that attribute. Numbers, yes/no and dates (YYYY-MM-DD) keep their type.
contacts-new-attribute = New attribute
contacts-new-attribute-value = Its value
contacts-type-string = text
contacts-type-number = number
contacts-type-boolean = yes/no
contacts-type-date = date
contacts-save = Save
contacts-consent = Consent to marketing
contacts-consent-status = Status
contacts-consent-opted_in = Agreed
contacts-consent-pending = Asked, not confirmed yet
contacts-consent-none = No consent
contacts-consent-at = When
contacts-consent-source = Where
contacts-consent-evidence = What was agreed to
contacts-consent-no-evidence = No text recorded.
contacts-opted-out-since = Opted out on { $when } ({ $source }): gets no messages but the confirmation.
contacts-opted-out-keyword = The reply was “{ $keyword }”.
contacts-optout-source-keyword = by a reply
contacts-optout-source-api = through the API
contacts-optout-source-import = by an import
contacts-optout-source-review = after review
contacts-invalid = Messages to this number fail, so marketing skips it until it replies or a message is delivered.
contacts-marketing-yes = Campaigns can reach this contact.
contacts-marketing-no = Campaigns skip this contact; service messages still go.
contacts-activity = Activity
contacts-created = Added
contacts-last-sent = Last message sent
contacts-last-delivered = Last delivered
contacts-last-reply = Last reply
contacts-messages-sent = Messages sent
contacts-history = Messages sent to this contact
contacts-history-when = Sent
contacts-history-text = Text
contacts-history-status = Status
contacts-history-marketing = marketing
contacts-history-pages = Pages of messages
contacts-history-older = Older messages →
contacts-history-newest = ← Newest
contacts-history-no-more = No older messages.
contacts-history-empty = No messages yet —
contacts-history-send = send one.
contacts-status-scheduled = scheduled
contacts-status-queued = queued
contacts-status-sending = sending
contacts-status-sent = sent
contacts-status-delivered = delivered
contacts-status-failed = failed
contacts-status-unknown = unknown
contacts-status-cancelled = cancelled
contacts-status-expired = expired
contacts-status-suppressed = not sent (opted out)
contacts-erase-title = Delete this contact
contacts-erase-hint = Deletes the name, tags, attributes and consent. An opt-out is kept, so the number still gets nothing.
contacts-erase-confirm = Delete { $phone } and its personal data? This cannot be undone.
contacts-erase-button = Delete the contact
contacts-import-title = Import contacts
contacts-import-file = CSV file
contacts-import-file-hint = A spreadsheet saved as CSV, with a header line. One column must be the phone number; name, tags, language, time zone and consent are recognised; any other column becomes an attribute.
contacts-import-reading = Reading the file…
contacts-import-no-file = Choose a CSV file first.
contacts-import-help-title = What the file may hold
contacts-import-help-columns = Columns: phone (or number, телефон, teléfono), name, time_zone, language, tags (separated by ;), consent, consent_at, consent_source, consent_evidence, opted_out. You can change how each column is read before importing.
contacts-import-help-consent = Consent “opted_in” needs proof: where it was given (consent_source) or when (consent_at). “pending” sends the contact a request to confirm.
contacts-import-help-repeat = Contacts are matched by number: importing the same file again changes nothing more.
contacts-import-preview = Before importing { $file }
contacts-import-choose-phone = Choose which column holds the phone numbers below.
contacts-import-mapping = How the columns will be read
contacts-import-mapping-hint = Change a column's field if it was not recognised; the preview updates.
contacts-import-column = Column in the file
contacts-import-becomes = Becomes
contacts-import-becomes-for = What column { $column } becomes
contacts-import-examples = Examples
contacts-import-unnamed = Column { $n } (no name)
contacts-import-field-phone = Phone number
contacts-import-field-name = Name
contacts-import-field-time_zone = Time zone
contacts-import-field-language = Language
contacts-import-field-tags = Tags
contacts-import-field-consent = Consent
contacts-import-field-consent_at = Consent: when
contacts-import-field-consent_source = Consent: where
contacts-import-field-consent_evidence = Consent: text agreed to
contacts-import-field-opted_out = Opted out
contacts-import-field-attribute = Attribute “{ $name }”
contacts-import-field-ignore = Do not import
contacts-import-first-rows = First rows
contacts-import-line = Line
contacts-import-would = What the import will do
contacts-import-rows = { $count ->
    [one] row read
   *[other] rows read
}
contacts-import-new = { $count ->
    [one] new contact
   *[other] new contacts
}
contacts-import-updated = { $count ->
    [one] contact updated
   *[other] contacts updated
}
contacts-import-bad = { $count ->
    [one] row refused
   *[other] rows refused
}
contacts-import-created = { $count ->
    [one] contact added
   *[other] contacts added
}
contacts-import-skipped = { $count ->
    [one] row skipped
   *[other] rows skipped
}
contacts-import-duplicates = { $count ->
    [one] { $count } row repeats a number of an earlier row and is merged into it.
   *[other] { $count } rows repeat a number of an earlier row and are merged into it.
}
contacts-import-confirmations = { $count ->
    [one] { $count } contact will be asked by SMS to confirm their consent.
   *[other] { $count } contacts will be asked by SMS to confirm their consent.
}
contacts-import-confirmations-sent = { $count ->
    [one] { $count } request to confirm consent is on its way.
   *[other] { $count } requests to confirm consent are on their way.
}
contacts-import-optouts = { $count ->
    [one] { $count } number is added to the opt-out list.
   *[other] { $count } numbers are added to the opt-out list.
}
contacts-import-bad-title = Rows that will not be imported
contacts-import-reason = Why
contacts-import-bad-more = { $count ->
    [one] …and { $count } more.
   *[other] …and { $count } more.
}
contacts-import-bad-skipped = These rows are skipped; the others are imported. Fix them in the file and import it again if you need them.
contacts-import-confirm = { $count ->
    [one] Import { $count } row
   *[other] Import { $count } rows
}
contacts-import-nothing = No row can be imported: fix the file or the columns above.
contacts-import-done = { $file } imported
contacts-import-see = See the contacts
contacts-import-another = Import another file
error-invalid_contact = Check this field
error-unproven_consent = Consent needs proof
error-no_phone_column = No phone number column
error-invalid_csv = This is not a CSV file we can read
error-invalid_options = The columns do not fit
error-no_file = No file
error-bad_body = The upload did not arrive whole
error-body_too_large = The file is too large
error-bad_query = The search is too long
