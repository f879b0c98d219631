-- 053_local_times: times inside server messages in the operator's zone.
--
-- A refusal ("resume_after ... is not in the future", "drained by kim at
-- ...", "time-boxed quota expired at ...") printed its time in UTC with a
-- "Z", while the console and the reports show every other time in the
-- zone of the operator's config (KST by default, backend/text.h). At 3 a.m.
-- KST a message saying 18:00Z reads as a different day. Each dcops
-- connection now says its zone in the session setting dcops.zone ('KST'
-- or 'UTC', backend/db.c); act_when writes the time in that zone with its
-- label. A session that sets nothing (psql, another tool) keeps UTC "Z".
CREATE OR REPLACE FUNCTION dcops.act_when(ts timestamptz) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT CASE
        WHEN ts IS NULL THEN 'an unknown time'
        WHEN current_setting('dcops.zone', true) = 'KST'
            THEN to_char(ts AT TIME ZONE 'Asia/Seoul', 'YYYY-MM-DD HH24:MI:SS') || ' KST'
        ELSE to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"Z"')
    END
$$;
