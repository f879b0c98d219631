-- 045_shift_window_from: the console's Handover view uses the handover
-- report's window (issue 17). The view computed its own start (the
-- previous shift's end, else the shift's start) and so, with no earlier
-- handover, started at the shift's start where the report starts at the
-- rota slot: work done before the operator typed `shift start` showed in
-- the report and not on the screen.
--
-- dcops.handover_start is the one definition of where a shift's default
-- window starts (042's rule, moved here unchanged): the end of the latest
-- shift that ended in the 24 hours before it started ('previous_shift'),
-- else the start of the rota slot holding its start, never later than its
-- start ('rota_slot'). handover_span's default uses it; a trigger stores it
-- in shift.window_from when a shift starts (or its start is moved), which
-- the console reads like any column.

CREATE FUNCTION dcops.handover_start(id bigint, started timestamptz, OUT started_at timestamptz,
                                     OUT start_kind text, OUT prev_shift_id bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    prev dcops.shift;
BEGIN
    SELECT * INTO prev FROM dcops.shift x
     WHERE x.id IS DISTINCT FROM handover_start.id AND x.ended_at <= started
       AND x.ended_at >= started - interval '24 hours'
     ORDER BY x.ended_at DESC, x.id DESC LIMIT 1;
    IF prev.id IS NOT NULL THEN
        start_kind := 'previous_shift';
        prev_shift_id := prev.id;
        started_at := prev.ended_at;
        RETURN;
    END IF;
    SELECT least(r.started_at, started) INTO started_at FROM dcops.rota_window(started) r;
    start_kind := 'rota_slot';
END $$;

REVOKE ALL ON FUNCTION dcops.handover_start(bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dcops.handover_start(bigint, timestamptz) TO dcops_viewer;

CREATE OR REPLACE FUNCTION dcops.handover_span(shift bigint, since interval, OUT source text,
                                               OUT started_at timestamptz, OUT ended_at timestamptz,
                                               OUT shift_id bigint, OUT start_kind text,
                                               OUT prev_shift_id bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    SELECT w.source, w.started_at, w.ended_at, w.shift_id INTO source, started_at, ended_at, shift_id
      FROM dcops.handover_window(shift, since) w;
    IF source = 'since' THEN
        start_kind := 'since';
        RETURN;
    END IF;
    IF source = 'rota' OR shift IS NOT NULL THEN
        start_kind := CASE WHEN source = 'rota' THEN 'rota_slot' ELSE 'shift' END;
        RETURN;
    END IF;
    SELECT h.started_at, h.start_kind, h.prev_shift_id INTO started_at, start_kind, prev_shift_id
      FROM dcops.handover_start(handover_span.shift_id, handover_span.started_at) h;
END $$;

ALTER TABLE dcops.shift ADD COLUMN window_from timestamptz;

CREATE FUNCTION dcops.shift_window_from() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    NEW.window_from := (dcops.handover_start(NEW.id, NEW.started_at)).started_at;
    RETURN NEW;
END $$;

CREATE TRIGGER shift_window_from BEFORE INSERT OR UPDATE OF started_at ON dcops.shift
    FOR EACH ROW EXECUTE FUNCTION dcops.shift_window_from();

UPDATE dcops.shift s SET window_from = (dcops.handover_start(s.id, s.started_at)).started_at;

-- A quota's limits before its time-boxed change, as the handover report
-- reads them (report.c sql_temp_quotas): prev_values, else the previous
-- limits of the applied quota_set that set its expiry. The console shows a
-- temporary quota as old → new from it.
CREATE FUNCTION dcops.quota_before(q dcops.quota) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT coalesce(q.prev_values, (SELECT a.params->'previous' FROM dcops.actions a
                                     WHERE a.status = 'applied' AND a.kind = 'quota_set'
                                       AND a.params->>'tenant_id' = q.tenant_id::text
                                       AND (a.params->>'expires_at')::timestamptz = q.expires_at
                                     ORDER BY a.id DESC LIMIT 1)) - 'expires_at'
$$;

REVOKE ALL ON FUNCTION dcops.quota_before(dcops.quota) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dcops.quota_before(dcops.quota) TO dcops_viewer;
