-- 042_handover_window: the handover report's default window starts at the
-- previous handover, not at the moment the current operator typed
-- `shift start` (issue 17).
--
-- An operator who starts a shift two hours into the slot used to get a
-- report that hid those two hours. dcops.handover_span is
-- dcops.handover_window with the reason the window starts where it does:
--   --shift ID    the shift, start to end (or now)        start_kind 'shift'
--   --since D     now - D to now                         start_kind 'since'
--   default       from the previous handover to the latest shift's end (or
--                 now): the latest shift that ended in the 24 hours before
--                 the current one started ('previous_shift', its id in
--                 prev_shift_id), else the start of the rota slot that
--                 holds the current shift's start ('rota_slot'); never later
--                 than the current shift's start
--   no shift      the rota slot holding now                 'rota_slot'
-- handover_window keeps its signature and meaning for existing callers.

CREATE FUNCTION dcops.handover_span(shift bigint, since interval, OUT source text,
                                    OUT started_at timestamptz, OUT ended_at timestamptz,
                                    OUT shift_id bigint, OUT start_kind text,
                                    OUT prev_shift_id bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    prev dcops.shift;
    slot timestamptz;
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
    SELECT * INTO prev FROM dcops.shift x
     WHERE x.id <> handover_span.shift_id AND x.ended_at <= handover_span.started_at
       AND x.ended_at >= handover_span.started_at - interval '24 hours'
     ORDER BY x.ended_at DESC, x.id DESC LIMIT 1;
    IF prev.id IS NOT NULL THEN
        start_kind := 'previous_shift';
        prev_shift_id := prev.id;
        started_at := prev.ended_at;
        RETURN;
    END IF;
    SELECT r.started_at INTO slot FROM dcops.rota_window(handover_span.started_at) r;
    start_kind := 'rota_slot';
    started_at := least(slot, started_at);
END $$;

REVOKE ALL ON FUNCTION dcops.handover_span(bigint, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dcops.handover_span(bigint, interval) TO dcops_viewer;

-- Lists of tenant names are joined with ' · ' (incident tenants, sql.c):
-- names have spaces ("Acme Research", "(주)딥 비전"), so a space cannot
-- separate them. The separator is kept out of names; '·' alone, as in
-- "산·학·연", stays allowed. NOT VALID: rows already stored are not
-- rechecked (no stored name is expected to hold it; a new one cannot).
ALTER TABLE dcops.tenant ADD CONSTRAINT tenant_name_no_separator
    CHECK (position(' · ' IN name) = 0) NOT VALID;

-- Linking tenants to an incident: the timeline's entry names them joined by
-- ' · ' as well (it joined them with spaces: "linked Acme Research
-- (주)딥비전랩스" read as three names), and the incident row is touched so
-- consoles, which read changed rows, show its new links.
CREATE OR REPLACE FUNCTION dcops.incident_link(id bigint, nodes text[], tenants text[], idem_key text DEFAULT NULL)
RETURNS dcops.action_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    stored jsonb;
    inc dcops.incident;
    links jsonb;
BEGIN
    stored := dcops.act_begin('incident_link', idem_key, jsonb_build_object(
        'id', id, 'nodes', nodes, 'tenants', tenants));
    IF stored IS NOT NULL THEN
        RETURN dcops.act_replay(stored);
    END IF;
    IF coalesce(cardinality(nodes), 0) + coalesce(cardinality(tenants), 0) = 0 THEN
        RAISE EXCEPTION 'nothing to link: give nodes or tenants' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    inc := dcops.act_incident_lock(id, NULL, false);
    links := dcops.act_incident_link(inc.id, nodes, tenants);
    IF jsonb_array_length(links->'nodes') + jsonb_array_length(links->'tenants') > 0 THEN
        UPDATE dcops.incident i SET title = i.title WHERE i.id = inc.id;
    END IF;
    PERFORM dcops.act_incident_event(inc.id, 'link', format('linked %s',
        concat_ws(', ', nullif(array_to_string(nodes, ' '), ''), nullif(array_to_string(tenants, ' · '), ''))));
    RETURN dcops.act_incident_done('incident_link', inc, NULL, links, '', idem_key);
END $$;
