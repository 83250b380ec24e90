-- Issue 20: active_step keeps the number Bird sent exactly (float8 stored 9007199254740993 as
-- 9007199254740992). Through text, float8's shortest exact form, rather than the default cast's 15
-- significant digits; values float8 already rounded are rewritten by the next full pass, which reads
-- them from Bird again and finds them changed.
ALTER TABLE "bird"."approval_runs" ALTER COLUMN "active_step" SET DATA TYPE numeric USING "active_step"::text::numeric;
