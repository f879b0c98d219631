-- 041_note_update_due: an update written on an open incident (a note)
-- moves its "next update due" (issue 17). Until now next_update_at was set
-- once, when the incident opened, and every incident became overdue 30
-- minutes later whatever its operators wrote.
--
-- The next update is due the severity's update interval after the last
-- one, from incident.update_every.sevN (PagerDuty's habit: the worse the
-- incident, the more often its status is said). A note on a resolved
-- incident (the post-mortem) sets nothing: nothing is due any more.
--
-- incident_note keeps its signature, its SECURITY DEFINER, search_path and
-- lock_timeout settings (005_actions.sql), and CREATE OR REPLACE keeps its
-- grant to dcops_operator; 030_hardening.sql attaches nothing to it (its
-- audit triggers act on dcops.audit, which this still writes through
-- act_incident_done). Changing next_update_at does not bump op_version
-- (incident_op_stamp watches state, owner and sev only), so a note never
-- turns another operator's open dialog into a version conflict.

INSERT INTO dcops.setting (key, value) VALUES
    ('incident.update_every.sev1', '15 minutes'),
    ('incident.update_every.sev2', '30 minutes'),
    ('incident.update_every.sev3', '1 hour'),
    ('incident.update_every.sev4', '4 hours'),
    ('incident.update_every.sev5', '1 day')
ON CONFLICT (key) DO NOTHING;

-- The update interval of a severity; a setting that is missing or not an
-- interval is named in the error.
CREATE FUNCTION dcops.incident_update_every(sev integer) RETURNS interval
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    k constant text := format('incident.update_every.sev%s', sev);
    v text;
BEGIN
    v := dcops.guard_text(k);
    BEGIN
        RETURN v::interval;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
        RAISE EXCEPTION 'setting % is not an interval: %', k, to_json(v)::text
            USING ERRCODE = 'invalid_parameter_value';
    END;
END $$;

CREATE OR REPLACE FUNCTION dcops.incident_note(id bigint, body text, idem_key text DEFAULT NULL)
RETURNS dcops.action_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    stored jsonb;
    inc dcops.incident;
BEGIN
    stored := dcops.act_begin('incident_note', idem_key, jsonb_build_object('id', id, 'body', body));
    IF stored IS NOT NULL THEN
        RETURN dcops.act_replay(stored);
    END IF;
    IF length(btrim(coalesce(body, ''))) NOT BETWEEN 1 AND 4000 THEN
        RAISE EXCEPTION 'a note must be 1 to 4000 characters' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Notes are welcome after resolution: that is where the post-mortem goes.
    inc := dcops.act_incident_lock(id, NULL, true);
    IF inc.state <> 'resolved' THEN
        UPDATE dcops.incident i SET next_update_at = now() + dcops.incident_update_every(i.sev)
         WHERE i.id = inc.id RETURNING * INTO inc;
    END IF;
    PERFORM dcops.act_incident_event(inc.id, 'note', btrim(body));
    RETURN dcops.act_incident_done('incident_note', inc, NULL, jsonb_build_object('note', btrim(body)),
                                   '', idem_key);
END $$;

REVOKE ALL ON FUNCTION dcops.incident_update_every(integer) FROM PUBLIC;
