-- The earliest day a case in force can be overdue (issue 16): its limit to
-- accept when that runs out before it was accepted, else its limit to
-- resolve. Indexed, so the most overdue cases of a national backlog are an
-- index range (those it has reached), not an evaluation of every case in
-- force. The expression is `domain::case::Marks`'s, as `store::cases`
-- writes it; nothing is stored or changed.
CREATE INDEX case_versions_overdue_from ON case_versions
    ((CASE WHEN accept_over IS NOT NULL AND (accept_until IS NULL OR accept_over < accept_until)
           THEN accept_over ELSE resolve_over END))
    WHERE latest = TRUE;
