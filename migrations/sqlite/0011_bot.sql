-- The bot (issue 11): updates from Telegram, stored before they are handled,
-- so a crash or a restart never answers a command twice or loses a file.
CREATE TABLE telegram_updates (
    update_id   INTEGER PRIMARY KEY,
    received_at TEXT    NOT NULL,
    chat_id     INTEGER,
    user_id     INTEGER,
    body        TEXT    NOT NULL,             -- the update as JSON
    state       TEXT    NOT NULL DEFAULT 'pending', -- pending | handled | ignored | failed
    handled_at  TEXT,
    note        TEXT
);
CREATE INDEX telegram_updates_pending ON telegram_updates (state, update_id);

-- Chats the bot does not answer, logged once when first seen.
CREATE TABLE telegram_strangers (
    chat_id    INTEGER PRIMARY KEY,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    updates    INTEGER NOT NULL DEFAULT 1
);

-- Mutes set by admins: notices about a unit or a report are not sent until
-- `until`. `target` is `unit:{id}` or `report:{id}`.
CREATE TABLE mutes (
    id        INTEGER PRIMARY KEY,
    target    TEXT    NOT NULL,
    until     TEXT    NOT NULL,
    reason    TEXT,
    by_user   INTEGER,
    at        TEXT    NOT NULL,
    lifted_at TEXT
);
CREATE INDEX mutes_active ON mutes (target, until);

-- A reply goes to one chat, as a reply to the message that asked.
ALTER TABLE outbox ADD COLUMN reply_to INTEGER;
