-- Performance at national scale (issue 16).
--
-- `priority` orders an audience's queue: 0 for alerts and every other notice,
-- 1 for bulk text (summaries and case digests), so a late alert is never
-- queued behind a long summary for the same chat. Rows of equal priority keep
-- their order by id. Rows queued before this migration get the priority of
-- their kind; no row is deleted or changed otherwise.
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET priority = 1 WHERE kind IN ('summary', 'case_digest');

-- The head of each audience's queue, by (priority, id).
CREATE INDEX outbox_queue_by_priority ON outbox (state, audience, priority, id);

-- The notices of one kind, newest first (the case digest's previous run).
CREATE INDEX outbox_by_kind ON outbox (kind, planned_at);
