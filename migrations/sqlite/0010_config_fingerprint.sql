-- The fingerprint of the config a file was judged under (the report's
-- metrics, aliases and rules, the case rules, the units, the parsing limits):
-- a file rejected under an older config is judged again.
ALTER TABLE submissions ADD COLUMN config_fingerprint TEXT;
