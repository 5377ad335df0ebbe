# The layout, sign-in and errors: shared by every page.
app-name = SMS gateway
skip-to-content = Skip to content
nav-label = Main
nav-overview = Overview
nav-send = Send
nav-messages = Messages
nav-conversations = Conversations
nav-contacts = Contacts
nav-segments = Segments
nav-campaigns = Campaigns
nav-automations = Automations
nav-surveys = Surveys
nav-optouts = Opt-outs
nav-settings = Settings
language = Language
sign-out = Sign out
times-shown-in = Times are shown in { $zone }.
back-to-overview = Back to the overview
login-title = Sign in
login-intro = Sign in to manage your SMS gateway.
login-user = User
login-password = Password or API token
login-submit = Sign in
login-wrong = Wrong user or password.
login-stale = The sign-in page was out of date. Please try again.
login-too-many = Too many attempts. Wait a minute and try again.
login-users-file = The users file cannot be read; see the gateway's log. You can still sign in with the API token.
login-no-users = No dashboard password is set yet. Sign in with the API token (from the token file), or set a password on the gateway: sudo simfleet passwd
login-token-hint = You can also sign in with the API token as the password.
error-generic = Something went wrong
error-not_found = Not found
error-csrf = The page was out of date
error-internal = Internal error
error-unauthorized = Please sign in
messages-count = { $count ->
    [one] { $count } message
   *[other] { $count } messages
}
