-- Complaint cases (đơn thư) as units report them. Every reported version is
-- kept: the version in force at an instant is the latest one submitted by
-- then. A case missing from a later submission is never deleted. No name or
-- contact of a complainant or denouncer is ever stored.
CREATE TABLE case_versions (
    id           INTEGER PRIMARY KEY,
    unit         TEXT    NOT NULL,
    ref          TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    received_on  TEXT    NOT NULL,              -- YYYY-MM-DD
    accepted_on  TEXT,
    complex      INTEGER NOT NULL DEFAULT 0,
    extensions   INTEGER NOT NULL DEFAULT 0,
    resolved     INTEGER NOT NULL DEFAULT 0,
    resolved_on  TEXT,
    submitted_at TEXT    NOT NULL,              -- the submission that reported this version
    report       TEXT    NOT NULL,
    period       TEXT    NOT NULL
);
CREATE INDEX case_versions_by_case ON case_versions (unit, ref, submitted_at);
