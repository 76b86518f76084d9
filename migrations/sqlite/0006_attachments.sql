-- Files that go out with an outbox message (a summary's spreadsheet and chart).
CREATE TABLE outbox_files (
    id        INTEGER PRIMARY KEY,
    outbox_id INTEGER NOT NULL REFERENCES outbox (id),
    name      TEXT    NOT NULL,
    kind      TEXT    NOT NULL,          -- document | photo
    bytes     BLOB    NOT NULL
);
CREATE INDEX outbox_files_by_row ON outbox_files (outbox_id, id);
