-- How many times the case versions were written (issue 16): every
-- transaction that adds case versions or computes their marks again counts
-- one, in the same statement that updates `case_marks`. A read of the whole
-- office's cases on several connections side by side checks that each sees
-- the same generation, so all of them read one state of the store.
ALTER TABLE case_marks ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
