-- Conditional GET: the validators an HTTP source sent with the last file
-- giaoban stored from it, so an unchanged file is not downloaded again.
CREATE TABLE source_cache (
    report        TEXT NOT NULL,
    period        TEXT NOT NULL,
    unit          TEXT NOT NULL,
    url_hash      TEXT NOT NULL,     -- sha256 of the full URL: validators of another URL are not sent
    etag          TEXT,
    last_modified TEXT,              -- the header as the server wrote it
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (report, period, unit)
);

-- The HTTP status of the last collection attempt, when the source is HTTP.
ALTER TABLE collect_results ADD COLUMN http_status INTEGER;
