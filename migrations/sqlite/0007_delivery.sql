-- Delivery you can trust (issue 17).
--
-- A row is claimed before it is sent: `claimed_by` names the delivering
-- process and `lease_until` when its claim lapses (a process killed mid-send
-- leaves a lease that expires, so the row is sent again once).
-- `expires_at` is when the notice stops being news: a row still pending then
-- is not sent and becomes `expired`. `audience` says which chat it is for:
-- `group` (the configured chat) or `admins` (telegram.admin_chat_id when set).
-- States: pending | sent | failed | expired | dropped (nothing left to say:
-- every unit it named has sent since it was planned).
ALTER TABLE outbox ADD COLUMN claimed_by  TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
ALTER TABLE outbox ADD COLUMN expires_at  TEXT;
ALTER TABLE outbox ADD COLUMN audience    TEXT NOT NULL DEFAULT 'group';

CREATE INDEX outbox_queue ON outbox (state, audience, id);
