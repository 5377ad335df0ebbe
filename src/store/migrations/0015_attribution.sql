-- Attribution (issue 14): promo codes and their redemptions, tracked short
-- links and their clicks, the durable serials codes and slugs are made
-- from, and the key of the permutation that hides them.

-- Secret keys made once (32 bytes from the OS's CSPRNG); never logged.
CREATE TABLE attribution_keys (
    name TEXT PRIMARY KEY,
    key  BLOB NOT NULL
) WITHOUT ROWID;

-- One counter per code format or slug format: the next serial, never reused.
CREATE TABLE attribution_serials (
    domain TEXT PRIMARY KEY,
    next   INTEGER NOT NULL
) WITHOUT ROWID;

-- A message's promo code (upper case), written with the message.
CREATE TABLE promo_codes (
    code          TEXT PRIMARY KEY,
    message_id    INTEGER NOT NULL,
    -- An erased contact leaves its codes counted, attributed to no one.
    contact_id    INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    campaign_id   INTEGER,
    variant       TEXT,
    automation_id INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE INDEX promo_codes_by_message ON promo_codes (message_id);
CREATE INDEX promo_codes_by_contact ON promo_codes (contact_id) WHERE contact_id IS NOT NULL;

-- Each redemption reported by a shop; the first of a code is the one
-- counted as a conversion (`counted` = 1), later ones are kept as reported.
CREATE TABLE promo_redemptions (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL REFERENCES promo_codes (code),
    order_id    TEXT,
    amount      TEXT,
    currency    TEXT NOT NULL,
    redeemed_at INTEGER NOT NULL,
    counted     INTEGER NOT NULL
);
CREATE UNIQUE INDEX promo_redemptions_by_order ON promo_redemptions (code, order_id) WHERE order_id IS NOT NULL;
CREATE UNIQUE INDEX promo_redemptions_counted ON promo_redemptions (code) WHERE counted = 1;

-- A short link `/l/{slug}`, written with its message.
CREATE TABLE links (
    slug          TEXT PRIMARY KEY,
    destination   TEXT NOT NULL,
    message_id    INTEGER NOT NULL,
    contact_id    INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    campaign_id   INTEGER,
    variant       TEXT,
    automation_id INTEGER,
    created_at    INTEGER NOT NULL
);
CREATE INDEX links_by_message ON links (message_id);
CREATE INDEX links_by_contact ON links (contact_id) WHERE contact_id IS NOT NULL;

-- Every request for a short link; machines (previews, bots) recorded with
-- why and not counted.
CREATE TABLE link_clicks (
    id         INTEGER PRIMARY KEY,
    slug       TEXT NOT NULL REFERENCES links (slug),
    at         INTEGER NOT NULL,
    bot        INTEGER NOT NULL,
    bot_reason TEXT,
    user_agent TEXT
);
CREATE INDEX link_clicks_by_slug ON link_clicks (slug, bot);
