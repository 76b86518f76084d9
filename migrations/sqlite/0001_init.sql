-- giaoban's first schema. Instants are TEXT in UTC, fixed width
-- (YYYY-MM-DDTHH:MM:SS.mmmZ), so text order is time order.
-- A migration never deletes reported data.

-- Every file read from a unit: accepted revisions and rejected files alike.
CREATE TABLE submissions (
    id           INTEGER PRIMARY KEY,
    report       TEXT    NOT NULL,
    period       TEXT    NOT NULL,
    unit         TEXT    NOT NULL,
    accepted     INTEGER NOT NULL,           -- 1 accepted, 0 rejected
    revision     INTEGER,                    -- 1, 2, … for accepted files; NULL for rejected
    error        TEXT,                       -- why it was rejected
    content_hash TEXT    NOT NULL,           -- sha256 of the bytes read
    submitted_at TEXT    NOT NULL,           -- declared time, else the file's time
    collected_at TEXT    NOT NULL,           -- when giaoban read it
    source       TEXT    NOT NULL,           -- path or URL (no credentials)
    format       TEXT    NOT NULL,
    metrics      TEXT,                       -- JSON {key: count} of an accepted file
    UNIQUE (report, period, unit, revision)
);
CREATE INDEX submissions_by_period ON submissions (report, period, unit, submitted_at);

-- The outcome of the last collection attempt per unit and report-period.
CREATE TABLE collect_results (
    report  TEXT NOT NULL,
    period  TEXT NOT NULL,
    unit    TEXT NOT NULL,
    at      TEXT NOT NULL,
    outcome TEXT NOT NULL,                   -- new_revision | unchanged | not_found | rejected | error
    detail  TEXT,
    PRIMARY KEY (report, period, unit)
);

-- The only road to Telegram: every message is a row with a unique dedup key.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    key             TEXT    NOT NULL UNIQUE,
    kind            TEXT    NOT NULL,
    report          TEXT,
    period          TEXT,
    units           TEXT    NOT NULL DEFAULT '[]',   -- JSON array of unit ids
    atoms           TEXT    NOT NULL DEFAULT '[]',   -- JSON array: what the message covered
    text            TEXT    NOT NULL,                -- Telegram HTML
    planned_at      TEXT    NOT NULL,
    not_before      TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending', -- pending | sent | failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error      TEXT,
    sent_at         TEXT,
    chat_id         INTEGER,
    message_id      INTEGER
);
CREATE INDEX outbox_due ON outbox (state, not_before, id);
CREATE INDEX outbox_by_period ON outbox (report, period);

-- When each job last ran, so a restart knows what it missed.
CREATE TABLE job_runs (
    job      TEXT PRIMARY KEY,
    last_at  TEXT NOT NULL,
    detail   TEXT
);
