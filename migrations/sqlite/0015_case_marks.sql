-- Cases counted without evaluating each one (issue 16).
--
-- `latest` marks each case's last version (by submitted_at, then id): the
-- version in force at any instant after the newest submission. The mark
-- columns hold the first day of each condition a case's state depends on
-- (see `domain::case::Marks`), worked out from the case rules, the calendar
-- and the unit's remote flag when the version is stored; `case_marks` says
-- under which of those they were computed (NULL: to compute again), the
-- newest submission that reported a case, and the day `case_counts` holds
-- each unit's open, overdue and due-soon cases for (kept current as cases
-- are stored; counted again on another day). No version is deleted or changed
-- otherwise; the marks of the versions stored before this migration are
-- computed by the first tick or collection.
ALTER TABLE case_versions ADD COLUMN latest INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_versions ADD COLUMN counted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_versions ADD COLUMN closed_from TEXT;
ALTER TABLE case_versions ADD COLUMN accept_until TEXT;
ALTER TABLE case_versions ADD COLUMN accept_over TEXT;
ALTER TABLE case_versions ADD COLUMN accept_soon TEXT;
ALTER TABLE case_versions ADD COLUMN resolve_over TEXT;
ALTER TABLE case_versions ADD COLUMN resolve_soon TEXT;

UPDATE case_versions SET latest = 1 WHERE id IN (
    SELECT id FROM (
        SELECT id, ROW_NUMBER() OVER (PARTITION BY unit, ref ORDER BY submitted_at DESC, id DESC) AS n
        FROM case_versions
    ) WHERE n = 1
);

-- The cases in force, by unit, with what counting them needs.
CREATE INDEX case_versions_latest ON case_versions
    (unit, counted, closed_from, accept_until, accept_over, accept_soon, resolve_over, resolve_soon)
    WHERE latest = TRUE;

CREATE TABLE case_marks (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT,
    newest      TEXT,
    counted_on  TEXT
);
INSERT INTO case_marks (id, fingerprint, newest) SELECT 1, NULL, MAX(submitted_at) FROM case_versions;

CREATE TABLE case_counts (
    unit     TEXT   PRIMARY KEY,
    open     INTEGER NOT NULL,
    overdue  INTEGER NOT NULL,
    due_soon INTEGER NOT NULL
);
