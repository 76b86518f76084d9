-- How many times the case versions were written (issue 16): every
-- transaction that adds case versions or computes their marks again counts
-- one, in the same statement that updates `case_marks`. A read of the whole
-- office's cases on several connections side by side checks that each sees
-- the same generation, so all of them read one state of the store.
ALTER TABLE case_marks ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;

-- The overdue cases of the whole office read from the index alone (issue
-- 16): the index on the earliest day a case can be overdue also holds what
-- the listing shows and what decides whether a case is overdue. A national
-- listing (150,000 of a million cases) had read every page of the table,
-- as those cases are spread over all of it; it now reads one range of the
-- index. Rebuilt from the stored rows; nothing is stored or changed.
DROP INDEX case_versions_overdue_from;
CREATE INDEX case_versions_overdue ON case_versions
    ((CASE WHEN accept_over IS NOT NULL AND (accept_until IS NULL OR accept_over < accept_until)
           THEN accept_over ELSE resolve_over END),
     unit, ref, kind, received_on, accepted_on, complex, extensions, resolved, resolved_on,
     counted, closed_from, accept_until, accept_over, resolve_over)
    WHERE latest = TRUE;
