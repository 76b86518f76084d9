-- Telegram delivery state. Numbered 0003: 0002 is taken by a parallel change.

-- Every Telegram message sent for an outbox row (a long row is split into
-- parts). The per-chat and overall rate limits count these rows, so they hold
-- across a restart; a retried row skips the parts already delivered.
CREATE TABLE telegram_messages (
    outbox_id  INTEGER NOT NULL,
    part       INTEGER NOT NULL,             -- 0, 1, … in order
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    sent_at    TEXT    NOT NULL,
    PRIMARY KEY (outbox_id, part)
);
CREATE INDEX telegram_messages_by_time ON telegram_messages (sent_at, chat_id);

-- What Telegram told us about a configured chat: that it became a supergroup
-- with a new id (messages follow it), or that it refuses the bot for good
-- (kicked, blocked, not found, no rights): delivery to it is held and
-- re-tried once per recheck interval.
CREATE TABLE telegram_chats (
    chat_id     INTEGER PRIMARY KEY,
    migrated_to INTEGER,
    migrated_at TEXT,
    held_reason TEXT,
    held_since  TEXT,
    recheck_at  TEXT
);
