-- 012_drill_score: the drill's scorecard is computed by the server.
--
-- Until now the client scored a drill and handed drill_end the scorecard
-- to store, so an operator could store any scorecard he liked. Here the
-- database scores it from its own record: the injected events
-- (drill_event), the drill's incidents (acknowledged_at) and its audit rows
-- (drain, quota_set, handover_note_set; tagged by 011's trigger).
--
--   drill_score(drill)      the stored scorecard of an ended drill, or a
--                           provisional one of a running drill
--   drill_end(drill, status, idem_key)   scores the drill as ended and
--                           stores the card; it takes no scorecard (the
--                           old drill_end(bigint, text, jsonb, text) is gone)
--   drill_tick()            injects due events and finishes the running
--                           drill once every timed expectation is decided
--   drill_sim_events()      for the sim adapter, inside its tick: the
--                           running drill's injected events, fresh = not
--                           applied to the simulated fleet before
--   setting 'drill.running' the running drill's id, '' when none (the
--                           console's DRILL header)
--
-- The card's JSON shape is the one backend/drill.h documents. The injected
-- timeline runs at the drill's speed (the data center is simulated fast),
-- but the operator is not: expectation limits and every time on the card
-- are wall-clock seconds of the operator's own response.

ALTER TABLE dcops.drill_event ADD COLUMN applied_at timestamptz;

-- "1h02m03s", "4m05s", "42s" (scenario spans in details).
CREATE FUNCTION dcops.drill_span(s double precision) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT CASE WHEN v >= 3600 THEN format('%sh%sm%ss', v / 3600, lpad((v % 3600 / 60)::text, 2, '0'),
                                           lpad((v % 60)::text, 2, '0'))
                WHEN v >= 60 THEN format('%sm%ss', v / 60, lpad((v % 60)::text, 2, '0'))
                ELSE format('%ss', v) END
      FROM (SELECT round(abs(s))::bigint AS v) x
$$;

-- A timed expectation: done against within, both in wall seconds, counted
-- from anchor (NULL: the event is not injected yet; due is then the
-- reference for the deadline).
CREATE FUNCTION dcops.drill_timed(now_ts double precision, final boolean,
                                  anchor double precision, due double precision,
                                  within double precision, done double precision, what text,
                                  OUT status text, OUT measured double precision,
                                  OUT deadline double precision, OUT detail text)
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    late boolean;
BEGIN
    deadline := coalesce(anchor, due) + within;
    IF anchor IS NULL THEN
        status := CASE WHEN final THEN 'missed' ELSE 'pending' END;
        detail := 'the event was not injected before the drill ended';
        RETURN;
    END IF;
    IF done IS NOT NULL THEN
        measured := greatest(0, done - anchor);
        status := CASE WHEN measured <= within THEN 'met' ELSE 'missed' END;
        detail := format('%s after %s (limit %s)', what, dcops.drill_span(measured), dcops.drill_span(within));
        RETURN;
    END IF;
    late := now_ts > deadline;
    status := CASE WHEN late OR final THEN 'missed' ELSE 'pending' END;
    detail := format('not %s within %s%s', what, dcops.drill_span(within),
                     CASE WHEN late THEN '' WHEN final THEN ' (the drill ended first)' ELSE ' yet' END);
END $$;

-- Scores drill d. final: the drill ends now (undecided timed expectations
-- are missed, clean guards met). decided: no timed expectation is pending
-- and every event was injected, so the drill may end.
CREATE FUNCTION dcops.drill_card(d dcops.drill_run, final boolean, card_status text,
                                 ended_at timestamptz, OUT card jsonb, OUT decided boolean)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    t0 double precision := extract(epoch FROM d.started_at);
    now_ts double precision := extract(epoch FROM now());
    events jsonb;
    audit_rows jsonb;
    affected text[];
    exps jsonb := '[]';
    wrong jsonb := '[]';
    tl jsonb;
    xp jsonb;
    ev jsonb;
    res record;
    idx integer := 0;
    n_met integer := 0;
    n_missed integer := 0;
    n_pending integer := 0;
    timed_pending boolean := false;
    all_injected boolean;
    want text[];
    missing text[];
    last_done double precision;
    first_ts double precision;
    viol text;
    act jsonb;
    nd text;
BEGIN
    SELECT coalesce(jsonb_agg(jsonb_build_object('seq', x.seq, 'kind', x.kind, 'nodes', to_jsonb(x.nodes),
               'due', extract(epoch FROM x.due_at), 'injected', extract(epoch FROM x.injected_at),
               'incident_id', x.incident_id, 'title', i.title,
               'acked', extract(epoch FROM i.acknowledged_at)) ORDER BY x.seq), '[]'),
           coalesce(bool_and(x.injected_at IS NOT NULL), true)
      INTO events, all_injected
      FROM dcops.drill_event x LEFT JOIN dcops.incident i ON i.id = x.incident_id
     WHERE x.drill_id = d.id;
    SELECT coalesce(array_agg(DISTINCT u.name), '{}') INTO affected
      FROM dcops.drill_event x, unnest(x.nodes) u(name) WHERE x.drill_id = d.id;
    SELECT coalesce(jsonb_agg(jsonb_build_object('ts', extract(epoch FROM x.ts), 'actor', x.actor,
               'action', x.action, 'target', x.target, 'reason', x.reason, 'before', x.before,
               'after', x.after) ORDER BY x.ts, x.id), '[]')
      INTO audit_rows
      FROM dcops.audit x
     WHERE x.drill_id = d.id AND x.action NOT IN ('drill_start', 'drill_end');

    FOR xp IN SELECT z.v FROM jsonb_array_elements(d.spec->'expectations') z(v) LOOP
        CASE xp->>'kind'
        WHEN 'ack_incident' THEN
            ev := events->coalesce((xp->>'event')::integer, 0);
            res := dcops.drill_timed(now_ts, final, (ev->>'injected')::float8, (ev->>'due')::float8,
                                     (xp->>'within_s')::float8, (ev->>'acked')::float8, 'acknowledged');
        WHEN 'drain_nodes' THEN
            ev := events->coalesce((xp->>'from_event')::integer, (xp->>'event')::integer, 0);
            SELECT array_agg(z.v ORDER BY z.o) INTO want
              FROM jsonb_array_elements_text(coalesce(xp->'nodes', ev->'nodes')) WITH ORDINALITY z(v, o);
            missing := '{}';
            last_done := NULL;
            FOREACH nd IN ARRAY coalesce(want, '{}') LOOP
                SELECT min((z.v->>'ts')::float8) INTO first_ts FROM jsonb_array_elements(audit_rows) z(v)
                 WHERE z.v->>'action' = 'drain' AND nd = ANY (string_to_array(z.v->>'target', ','));
                IF first_ts IS NULL THEN
                    missing := missing || nd;
                ELSE
                    last_done := greatest(last_done, first_ts);
                END IF;
            END LOOP;
            res := dcops.drill_timed(now_ts, final, (ev->>'injected')::float8, (ev->>'due')::float8,
                                     (xp->>'within_s')::float8,
                                     CASE WHEN cardinality(missing) = 0 THEN last_done END, 'drained');
            IF cardinality(missing) > 0 THEN
                res.detail := res.detail || '; not drained: ' || array_to_string(missing, ', ');
            END IF;
        WHEN 'no_drain_healthy' THEN
            SELECT string_agg(u.name, ', ' ORDER BY z.o, u.o) INTO viol
              FROM jsonb_array_elements(audit_rows) WITH ORDINALITY z(v, o),
                   unnest(string_to_array(z.v->>'target', ',')) WITH ORDINALITY u(name, o)
             WHERE z.v->>'action' = 'drain' AND NOT u.name = ANY (affected);
            res := dcops.drill_guard(final, 'drained healthy node(s): ' || viol, 'no healthy node drained');
        WHEN 'no_quota_cut_below_use' THEN
            SELECT string_agg(format('%s to %s GPUs while %s ran', z.v->>'target', z.v->'after'->>'gpu_limit',
                                     z.v->'before'->>'gpus_running'), ', ' ORDER BY z.o) INTO viol
              FROM jsonb_array_elements(audit_rows) WITH ORDINALITY z(v, o)
             WHERE dcops.drill_cut_below_use(z.v);
            res := dcops.drill_guard(final, 'quota cut below use: ' || viol, 'no quota cut below running use');
        WHEN 'handover_note' THEN
            SELECT min((z.v->>'ts')::float8) INTO first_ts FROM jsonb_array_elements(audit_rows) z(v)
             WHERE z.v->>'action' = 'handover_note_set';
            res := dcops.drill_timed(now_ts, final, t0, t0, (xp->>'within_s')::float8, first_ts,
                                     'handover note written');
        ELSE
            res := dcops.drill_guard(false, NULL, 'unknown expectation kind');
        END CASE;
        IF res.status = 'met' THEN
            n_met := n_met + 1;
        ELSIF res.status = 'missed' THEN
            n_missed := n_missed + 1;
        ELSE
            n_pending := n_pending + 1;
            timed_pending := timed_pending OR res.deadline IS NOT NULL;
        END IF;
        exps := exps || jsonb_build_object('index', idx, 'kind', xp->>'kind',
            'within_s', CASE WHEN jsonb_typeof(xp->'within_s') = 'number' THEN xp->'within_s' ELSE 'null' END,
            'status', res.status, 'measured_s', to_jsonb(round(res.measured)), 'detail', res.detail);
        idx := idx + 1;
    END LOOP;

    -- wrong or unnecessary: cuts below use, drains of nodes no event touched
    FOR act IN SELECT z.v FROM jsonb_array_elements(audit_rows) z(v) LOOP
        IF dcops.drill_cut_below_use(act) THEN
            wrong := wrong || dcops.drill_wrong(act, t0, act->>'target',
                                                'gpu_limit set below the GPUs the tenant was running');
        END IF;
        CONTINUE WHEN act->>'action' <> 'drain';
        FOREACH nd IN ARRAY string_to_array(act->>'target', ',') LOOP
            IF NOT nd = ANY (affected) THEN
                wrong := wrong || dcops.drill_wrong(act, t0, nd,
                                                    'drained a healthy node: no injected event touched it');
            END IF;
        END LOOP;
    END LOOP;

    -- injected events and the operators' audited actions in time order
    -- (the event first when an action has the same time)
    SELECT coalesce(jsonb_agg(jsonb_build_object('at_s', round(greatest(0, x.ts - t0)),
                                                 'who', x.who, 'what', x.what) ORDER BY x.ts, x.ord, x.o), '[]')
      INTO tl
      FROM (SELECT (z.v->>'injected')::float8 AS ts, 0 AS ord, z.o, 'drill' AS who,
                   format('event %s injected: %s (incident #%s)', z.v->>'seq',
                          coalesce(z.v->>'title', z.v->>'kind'), coalesce(z.v->>'incident_id', '0')) AS what
              FROM jsonb_array_elements(events) WITH ORDINALITY z(v, o) WHERE z.v->>'injected' IS NOT NULL
            UNION ALL
            SELECT (z.v->>'ts')::float8, 1, z.o, z.v->>'actor',
                   format('%s %s%s', z.v->>'action', z.v->>'target',
                          CASE WHEN coalesce(z.v->>'reason', '') <> '' THEN ': ' || (z.v->>'reason') ELSE '' END)
              FROM jsonb_array_elements(audit_rows) WITH ORDINALITY z(v, o)) x;

    decided := NOT timed_pending AND all_injected;
    card := jsonb_build_object(
        'drill_id', d.id, 'scenario', d.scenario, 'title', d.title, 'status', card_status,
        'result', CASE WHEN n_missed > 0 THEN 'fail' WHEN n_pending = 0 THEN 'pass' ELSE 'pending' END,
        'speed', d.speed, 'seed', d.seed, 'started_by', d.started_by,
        'started_at', dcops.report_ts(d.started_at), 'ended_at', dcops.report_ts(ended_at),
        'met', n_met, 'missed', n_missed, 'pending', n_pending,
        'expectations', exps, 'wrong_actions', wrong, 'timeline', tl);
END $$;

-- Untimed guards: missed at the first violation, else met when the drill ends.
CREATE FUNCTION dcops.drill_guard(final boolean, violations text, ok text,
                                  OUT status text, OUT measured double precision,
                                  OUT deadline double precision, OUT detail text)
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT CASE WHEN violations IS NOT NULL THEN 'missed' WHEN final THEN 'met' ELSE 'pending' END,
           NULL::float8, NULL::float8, coalesce(violations, ok)
$$;

-- A quota_set audit row whose new gpu_limit is below the GPUs running then.
CREATE FUNCTION dcops.drill_cut_below_use(a jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT a->>'action' = 'quota_set'
       AND coalesce((a->'after'->>'gpu_limit')::numeric < (a->'before'->>'gpus_running')::numeric, false)
$$;

CREATE FUNCTION dcops.drill_wrong(a jsonb, t0 double precision, target text,
                                  why text) RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT jsonb_build_object('at_s', round(greatest(0, (a->>'ts')::float8 - t0)),
                              'actor', a->>'actor', 'action', a->>'action', 'target', target, 'why', why)
$$;

-- ---------------------------------------------------------------- public

CREATE FUNCTION dcops.drill_score(drill bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    d dcops.drill_run;
BEGIN
    SELECT * INTO d FROM dcops.drill_run r WHERE r.id = drill;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown drill %', coalesce(drill::text, '(none)') USING ERRCODE = 'undefined_object';
    END IF;
    IF d.status <> 'running' AND jsonb_typeof(d.scorecard) = 'object' THEN
        RETURN d.scorecard;
    END IF;
    RETURN (dcops.drill_card(d, d.status <> 'running', d.status, d.ended_at)).card;
END $$;

-- Scores d as ended now and closes it; the audit row carries the verdict.
CREATE FUNCTION dcops.drill_close(d dcops.drill_run, status text, idem_key text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    card jsonb;
BEGIN
    card := (dcops.drill_card(d, true, status, now())).card;
    UPDATE dcops.drill_run r SET status = drill_close.status, ended_at = now(), ended_by = session_user,
                                 scorecard = card
     WHERE r.id = d.id;
    RETURN dcops.act_audit('drill_end', format('drill/%s', d.id), jsonb_build_object('status', d.status),
        jsonb_build_object('status', status, 'result', card->'result', 'met', card->'met',
                           'missed', card->'missed'),
        '', NULL, idem_key, d.id);
END $$;

DROP FUNCTION dcops.drill_end(bigint, text, jsonb, text);

CREATE FUNCTION dcops.drill_end(drill bigint, status text, idem_key text DEFAULT NULL)
RETURNS dcops.drill_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    stored jsonb;
    d dcops.drill_run;
    res dcops.drill_result;
BEGIN
    IF pg_has_role(session_user, 'dcops_adapter', 'MEMBER') AND NOT pg_has_role(session_user, 'dcops_operator', 'MEMBER') THEN
        stored := NULL;  -- the adapter finishes drills that timed out; it holds no idempotency keys
    ELSE
        stored := dcops.act_begin('drill_end', idem_key, jsonb_build_object('drill', drill, 'status', status));
    END IF;
    IF stored IS NOT NULL THEN
        RETURN dcops.drill_replay(stored);
    END IF;
    IF status IS NULL OR status NOT IN ('finished', 'stopped') THEN
        RAISE EXCEPTION 'a drill ends finished or stopped, not %', coalesce(status, 'none')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO d FROM dcops.drill_run r WHERE r.id = drill FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown drill %', coalesce(drill::text, '(none)') USING ERRCODE = 'undefined_object';
    END IF;
    IF d.status <> 'running' THEN
        RAISE EXCEPTION 'drill % already ended (%, by % at %)', d.id, d.status, coalesce(d.ended_by, 'unknown'),
            dcops.act_when(d.ended_at) USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    res.drill_id := d.id;
    res.audit_id := dcops.drill_close(d, status, idem_key);
    res.replayed := false;
    RETURN dcops.drill_finish(idem_key, res);
END $$;

-- Injects due events; finishes the running drill once it is decided.
CREATE FUNCTION dcops.drill_tick(OUT drill_id bigint, OUT ended boolean)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    d dcops.drill_run;
BEGIN
    PERFORM dcops.drill_inject_due();
    ended := false;
    SELECT * INTO d FROM dcops.drill_run r WHERE r.status = 'running' FOR UPDATE SKIP LOCKED;
    drill_id := coalesce(d.id, 0);
    IF d.id IS NOT NULL AND (dcops.drill_card(d, false, d.status, NULL)).decided THEN
        PERFORM dcops.drill_close(d, 'finished', NULL);
        ended := true;
    END IF;
END $$;

-- The sim adapter's view of the running drill, inside its tick: every
-- injected event, fresh when this call hands it over for the first time
-- (its one-time effects: Xids, a leaf down, a tenant's burst). The
-- lasting effects (cooling, power cap, storage) hold while the drill runs.
CREATE FUNCTION dcops.drill_sim_events()
RETURNS TABLE (drill_id bigint, seq integer, kind text, params jsonb, nodes text[], incident_id bigint,
               fresh boolean)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    t record;
BEGIN
    t := dcops.drill_tick();
    RETURN QUERY
    WITH run AS (SELECT r.id FROM dcops.drill_run r WHERE r.status = 'running' OR r.id = t.drill_id AND t.ended),
    took AS (UPDATE dcops.drill_event e SET applied_at = now()
               FROM run WHERE e.drill_id = run.id AND e.injected_at IS NOT NULL AND e.applied_at IS NULL
             RETURNING e.id)
    SELECT e.drill_id, e.seq, e.kind, e.params, e.nodes, e.incident_id, e.id IN (SELECT id FROM took)
      FROM dcops.drill_event e JOIN run ON run.id = e.drill_id
     WHERE e.injected_at IS NOT NULL AND (NOT t.ended OR e.id IN (SELECT id FROM took))
     ORDER BY e.seq;
END $$;

-- The console's header shows DRILL while a drill runs: setting
-- 'drill.running' holds the running drill's id ('' when none), so the
-- consoles learn of it through the change feed they already read.
CREATE FUNCTION dcops.drill_running_mark() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    INSERT INTO dcops.setting (key, value) VALUES ('drill.running', coalesce(dcops.current_drill()::text, ''))
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value WHERE setting.value IS DISTINCT FROM EXCLUDED.value;
    RETURN NULL;
END $$;
CREATE TRIGGER drill_running_mark AFTER INSERT OR UPDATE OF status ON dcops.drill_run
    FOR EACH STATEMENT EXECUTE FUNCTION dcops.drill_running_mark();

REVOKE ALL ON FUNCTION dcops.drill_running_mark(), dcops.drill_span(double precision),
    dcops.drill_timed(double precision, boolean, double precision, double precision,
                      double precision, double precision, text),
    dcops.drill_card(dcops.drill_run, boolean, text, timestamptz),
    dcops.drill_guard(boolean, text, text), dcops.drill_cut_below_use(jsonb),
    dcops.drill_wrong(jsonb, double precision, text, text),
    dcops.drill_score(bigint), dcops.drill_close(dcops.drill_run, text, text),
    dcops.drill_end(bigint, text, text), dcops.drill_tick(), dcops.drill_sim_events() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dcops.drill_score(bigint) TO dcops_viewer;
GRANT EXECUTE ON FUNCTION dcops.drill_end(bigint, text, text), dcops.drill_tick() TO dcops_operator;
GRANT EXECUTE ON FUNCTION dcops.drill_end(bigint, text, text), dcops.drill_tick(), dcops.drill_sim_events()
    TO dcops_adapter;
