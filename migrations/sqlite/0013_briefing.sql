-- The briefing cycle. Numbered 0013 to stay clear of parallel changes.

-- Key tasks an admin added in the chat (/task). Tasks of a meeting's tasks
-- file live in the config; these live here. Never deleted.
CREATE TABLE tasks (
    id          TEXT    PRIMARY KEY,          -- chat-1, chat-2, …
    title       TEXT    NOT NULL,
    owners      TEXT    NOT NULL DEFAULT '[]', -- JSON array of unit ids
    due         TEXT    NOT NULL,             -- YYYY-MM-DD
    created_at  TEXT    NOT NULL,
    created_by  INTEGER                       -- Telegram user id of the admin
);

-- Progress on a task, as an owner reported it (a `tasks` list in a periodic
-- submission, or a reply to the bot). Every report is kept.
CREATE TABLE task_progress (
    id      INTEGER PRIMARY KEY,
    task    TEXT    NOT NULL,
    unit    TEXT,                              -- NULL: the secretariat, for every owner
    status  TEXT    NOT NULL,                  -- done | in_progress
    note    TEXT,
    at      TEXT    NOT NULL,                  -- when it was reported (the submission's time)
    source  TEXT    NOT NULL,                  -- submission | chat
    report  TEXT,
    period  TEXT,
    UNIQUE (task, unit, status, at, source)
);
CREATE INDEX task_progress_by_task ON task_progress (task, at);
