-- 011_drills: incident drills (issue 6).
--
-- A drill is a dcops.drill_run and its timeline, dcops.drill_event: one row
-- per injected event, due at started_at + at_s / speed (at_s is scenario
-- time; --speed N runs the scenario N times faster than the wall clock).
-- backend/drill.c validates the scenario file and passes it here already
-- normalised (offsets and limits in seconds); the checks below are the
-- ones a hand-made call could get wrong.
--
--   drill_start(scenario, spec, seed, speed)  only where setting
--        'environment' is drill, staging or demo; one drill at a time
--   drill_inject_due(drill)   records every due event: an incident (source
--        'drill', tagged), its nodes and tenants; returns the events so
--        the sim adapter can apply their effects to its fleet. Called by
--        the adapter each tick and by `dcops drill status`, whichever
--        comes first (rows are locked; each event is injected once).
--   drill_end(drill, status, scorecard)  stores the scorecard and closes it
--
-- Tagging: while a drill runs, every new incident, actions row and audit
-- row gets its id in drill_id (trigger drill_tag, from dcops.current_drill())
-- so the functions of 005 need no change and drill work never mixes with
-- real work. Drills run only on non-production databases, so everything
-- written during a drill belongs to it.

ALTER TABLE dcops.drill_run
    ADD COLUMN title text NOT NULL DEFAULT '',
    ADD COLUMN speed numeric NOT NULL DEFAULT 1 CHECK (speed > 0),
    ADD COLUMN spec jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN ended_by text;
CREATE UNIQUE INDEX drill_run_running_idx ON dcops.drill_run ((true)) WHERE status = 'running';

CREATE TABLE dcops.drill_event (
    id           bigserial PRIMARY KEY,
    drill_id     bigint NOT NULL REFERENCES dcops.drill_run(id),
    seq          integer NOT NULL CHECK (seq >= 0),
    at_s         integer NOT NULL CHECK (at_s >= 0),
    kind         text NOT NULL CHECK (kind IN ('xid', 'leaf_switch', 'cooling', 'storage_degraded',
                                               'runaway_tenant', 'power_cap')),
    params       jsonb NOT NULL,
    due_at       timestamptz NOT NULL,
    nodes        text[] NOT NULL DEFAULT '{}',   -- the nodes it affects
    injected_at  timestamptz,
    incident_id  bigint REFERENCES dcops.incident(id),
    UNIQUE (drill_id, seq)
);
CREATE INDEX drill_event_due_idx ON dcops.drill_event (due_at) WHERE injected_at IS NULL;
REVOKE ALL ON dcops.drill_event FROM PUBLIC;
GRANT SELECT ON dcops.drill_event TO dcops_viewer;

CREATE TYPE dcops.drill_result AS (
    drill_id  bigint,
    audit_id  bigint,
    replayed  boolean
);

-- ---------------------------------------------------------------- tagging

CREATE FUNCTION dcops.current_drill() RETURNS bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT d.id FROM dcops.drill_run d WHERE d.status = 'running'
$$;

CREATE FUNCTION dcops.drill_tag() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    NEW.drill_id := coalesce(NEW.drill_id, dcops.current_drill());
    RETURN NEW;
END $$;
CREATE TRIGGER drill_tag BEFORE INSERT ON dcops.incident FOR EACH ROW EXECUTE FUNCTION dcops.drill_tag();
CREATE TRIGGER drill_tag BEFORE INSERT ON dcops.actions FOR EACH ROW EXECUTE FUNCTION dcops.drill_tag();
CREATE TRIGGER drill_tag BEFORE INSERT ON dcops.audit FOR EACH ROW EXECUTE FUNCTION dcops.drill_tag();
CREATE INDEX audit_drill_idx ON dcops.audit (drill_id) WHERE drill_id IS NOT NULL;
CREATE INDEX actions_drill_idx ON dcops.actions (drill_id) WHERE drill_id IS NOT NULL;
CREATE INDEX incident_drill_idx ON dcops.incident (drill_id) WHERE drill_id IS NOT NULL;

-- ---------------------------------------------------------------- helpers

CREATE FUNCTION dcops.drill_finish(key text, res dcops.drill_result) RETURNS dcops.drill_result
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    IF key IS NOT NULL THEN
        UPDATE dcops.idempotency i SET result = to_jsonb(res) WHERE i.key = drill_finish.key;
    END IF;
    RETURN res;
END $$;

CREATE FUNCTION dcops.drill_replay(stored jsonb) RETURNS dcops.drill_result
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT r.drill_id, r.audit_id, true FROM jsonb_populate_record(NULL::dcops.drill_result, stored) r
$$;

-- The nodes an event affects; raises 42704 naming the scenario path when a
-- node, row or tenant is not in this database.
CREATE FUNCTION dcops.drill_event_nodes(seq integer, kind text, p jsonb) RETURNS text[]
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    ns text[];
BEGIN
    IF kind = 'xid' THEN
        SELECT ARRAY[n.name] INTO ns FROM dcops.node n WHERE n.name = p->>'node';
        IF ns IS NULL THEN
            RAISE EXCEPTION 'timeline[%].node: no node % in this database', seq, to_json(p->>'node')
                USING ERRCODE = 'undefined_object';
        END IF;
        RETURN ns;
    END IF;
    IF kind IN ('leaf_switch', 'cooling', 'power_cap') THEN
        SELECT array_agg(n.name ORDER BY n.name) INTO ns FROM dcops.node n JOIN dcops.rack r ON r.id = n.rack_id
         WHERE r.row_no = (p->>'row')::integer;
        IF ns IS NULL THEN
            RAISE EXCEPTION 'timeline[%].row: row % has no nodes in this database', seq, p->>'row'
                USING ERRCODE = 'undefined_object';
        END IF;
        RETURN ns;
    END IF;
    IF kind = 'runaway_tenant' AND NOT EXISTS (SELECT 1 FROM dcops.tenant t WHERE t.name = p->>'tenant') THEN
        RAISE EXCEPTION 'timeline[%].tenant: no tenant % in this database', seq, to_json(p->>'tenant')
            USING ERRCODE = 'undefined_object';
    END IF;
    RETURN '{}';
END $$;

-- Severity per the reference table unless the scenario sets one.
CREATE FUNCTION dcops.drill_event_incident(kind text, p jsonb, nodes text[],
                                           OUT sev integer, OUT title text, OUT impact text)
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    CASE kind
    WHEN 'xid' THEN
        sev := 4;
        title := format('%s: Xid %s on GPU %s', p->>'node', p->>'xid', p->>'gpu');
        impact := format('node %s, GPU %s', p->>'node', p->>'gpu');
    WHEN 'leaf_switch' THEN
        sev := 3;
        title := format('row %s: InfiniBand leaf switch down, %s nodes cut off', p->>'row', cardinality(nodes));
        impact := format('%s nodes of row %s unreachable', cardinality(nodes), p->>'row');
    WHEN 'cooling' THEN
        sev := 3;
        title := format('row %s: cooling failure, GPUs throttled to %s%%', p->>'row', p->>'throttle_pct');
        impact := format('%s nodes of row %s throttled', cardinality(nodes), p->>'row');
    WHEN 'storage_degraded' THEN
        sev := CASE WHEN (p->>'pct')::integer >= 50 THEN 1 ELSE 2 END;
        title := format('parallel file system degraded: %s%% of throughput lost', p->>'pct');
        impact := 'jobs reading or writing the parallel file system slow down';
    WHEN 'runaway_tenant' THEN
        sev := 4;
        title := format('tenant %s holding %s GPUs at low utilisation', p->>'tenant', p->>'gpus');
        impact := 'the queue is starved while the GPUs idle';
    WHEN 'power_cap' THEN
        sev := 3;
        title := format('row %s: power capped at %s kW', p->>'row', p->>'kw');
        impact := format('%s nodes of row %s power-limited', cardinality(nodes), p->>'row');
    END CASE;
    sev := coalesce((p->>'sev')::integer, sev);
END $$;

-- ---------------------------------------------------------------- lifecycle

CREATE FUNCTION dcops.drill_start(scenario text, spec jsonb, seed bigint, speed numeric,
                                  idem_key text DEFAULT NULL)
RETURNS dcops.drill_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    stored jsonb;
    env text;
    running dcops.drill_run;
    d dcops.drill_run;
    ev record;
    res dcops.drill_result;
BEGIN
    stored := dcops.act_begin('drill_start', idem_key, jsonb_build_object(
        'scenario', scenario, 'spec', spec, 'seed', seed, 'speed', speed));
    IF stored IS NOT NULL THEN
        RETURN dcops.drill_replay(stored);
    END IF;
    SELECT s.value INTO env FROM dcops.setting s WHERE s.key = 'environment';
    IF env IS DISTINCT FROM 'drill' AND env IS DISTINCT FROM 'staging' AND env IS DISTINCT FROM 'demo' THEN
        RAISE EXCEPTION 'drills run only where dcops.setting ''environment'' is drill, staging or demo; this database is %',
            coalesce(to_json(env)::text, 'not marked (no environment setting)')
            USING ERRCODE = 'insufficient_privilege', DETAIL = 'environment';
    END IF;
    IF speed IS NULL OR speed <= 0 OR speed > 10000 THEN
        RAISE EXCEPTION 'speed must be above 0 and at most 10000, not %', coalesce(speed::text, 'none')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF length(coalesce(scenario, '')) NOT BETWEEN 1 AND 64 OR jsonb_typeof(spec->'timeline') IS DISTINCT FROM 'array'
       OR jsonb_typeof(spec->'expectations') IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'a drill needs a scenario name and a spec with timeline and expectations lists'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('dcops.drill_start'));
    SELECT * INTO running FROM dcops.drill_run r WHERE r.status = 'running';
    IF FOUND THEN
        RAISE EXCEPTION 'drill % (%) is running, started by % at %: stop it first', running.id,
            running.scenario, running.started_by, dcops.act_when(running.started_at)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    INSERT INTO dcops.drill_run (scenario, seed, started_by, title, speed, spec)
    VALUES (scenario, coalesce(seed, 0), session_user, coalesce(spec->>'title', scenario), speed, spec)
    RETURNING * INTO d;
    FOR ev IN SELECT (o - 1)::integer AS seq, e FROM jsonb_array_elements(spec->'timeline') WITH ORDINALITY t(e, o) LOOP
        IF jsonb_typeof(ev.e->'at_s') IS DISTINCT FROM 'number' OR (ev.e->>'at_s')::numeric < 0 THEN
            RAISE EXCEPTION 'timeline[%].at_s must be a number of seconds >= 0', ev.seq
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF coalesce(ev.e->>'kind', '') NOT IN ('xid', 'leaf_switch', 'cooling', 'storage_degraded',
                                               'runaway_tenant', 'power_cap') THEN
            RAISE EXCEPTION 'timeline[%].kind: unknown event kind %', ev.seq, coalesce(to_json(ev.e->>'kind')::text, 'none')
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        INSERT INTO dcops.drill_event (drill_id, seq, at_s, kind, params, due_at, nodes)
        VALUES (d.id, ev.seq, (ev.e->>'at_s')::numeric::integer, ev.e->>'kind', ev.e - 'at_s' - 'kind',
                d.started_at + make_interval(secs => (ev.e->>'at_s')::numeric / speed),
                dcops.drill_event_nodes(ev.seq, ev.e->>'kind', ev.e));
    END LOOP;
    res.drill_id := d.id;
    res.audit_id := dcops.act_audit('drill_start', format('drill/%s', d.id), NULL,
        jsonb_build_object('scenario', scenario, 'seed', d.seed, 'speed', speed,
                           'events', jsonb_array_length(spec->'timeline')),
        '', NULL, idem_key, d.id);
    res.replayed := false;
    RETURN dcops.drill_finish(idem_key, res);
END $$;

-- Injects the running drill's due events (all of them when the drill is
-- not given); returns the rows injected by this call.
CREATE FUNCTION dcops.drill_inject_due(drill bigint DEFAULT NULL) RETURNS SETOF dcops.drill_event
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    ev dcops.drill_event;
    inc record;
    iid bigint;
BEGIN
    IF NOT (pg_has_role(session_user, 'dcops_operator', 'MEMBER')
            OR pg_has_role(session_user, 'dcops_adapter', 'MEMBER') OR dcops.act_is_admin()) THEN
        RAISE EXCEPTION 'dcops.drill_inject_due: % is neither an operator nor the adapter', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    FOR ev IN SELECT e.* FROM dcops.drill_event e JOIN dcops.drill_run d ON d.id = e.drill_id
               WHERE d.status = 'running' AND e.injected_at IS NULL AND e.due_at <= now()
                 AND (drill IS NULL OR e.drill_id = drill)
               ORDER BY e.due_at, e.seq FOR UPDATE OF e SKIP LOCKED LOOP
        inc := dcops.drill_event_incident(ev.kind, ev.params, ev.nodes);
        INSERT INTO dcops.incident (sev, title, impact, source, next_update_at, drill_id)
        VALUES (inc.sev, inc.title, inc.impact, 'drill', now() + interval '30 minutes', ev.drill_id)
        RETURNING id INTO iid;
        INSERT INTO dcops.incident_node (incident_id, node_id)
        SELECT iid, n.id FROM dcops.node n WHERE n.name = ANY (ev.nodes);
        INSERT INTO dcops.incident_tenant (incident_id, tenant_id)
        SELECT iid, t.id FROM dcops.tenant t WHERE t.name = ev.params->>'tenant';
        INSERT INTO dcops.incident_event (incident_id, actor, kind, body)
        VALUES (iid, 'drill', 'opened', format('drill %s: event %s (%s) injected', ev.drill_id, ev.seq, ev.kind));
        IF ev.kind = 'xid' THEN
            UPDATE dcops.gpu g SET last_xid = (ev.params->>'xid')::integer, last_xid_at = now()
              FROM dcops.node n
             WHERE n.id = g.node_id AND n.name = ev.params->>'node' AND g.idx = (ev.params->>'gpu')::integer;
        END IF;
        UPDATE dcops.drill_event e SET injected_at = now(), incident_id = iid WHERE e.id = ev.id
        RETURNING * INTO ev;
        RETURN NEXT ev;
    END LOOP;
END $$;

CREATE FUNCTION dcops.drill_end(drill bigint, status text, scorecard jsonb, idem_key text DEFAULT NULL)
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
        stored := dcops.act_begin('drill_end', idem_key, jsonb_build_object(
            'drill', drill, 'status', status, 'scorecard', scorecard));
    END IF;
    IF stored IS NOT NULL THEN
        RETURN dcops.drill_replay(stored);
    END IF;
    IF status IS NULL OR status NOT IN ('finished', 'stopped') THEN
        RAISE EXCEPTION 'a drill ends finished or stopped, not %', coalesce(status, 'none')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF jsonb_typeof(scorecard) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'the scorecard must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO d FROM dcops.drill_run r WHERE r.id = drill FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown drill %', coalesce(drill::text, '(none)') USING ERRCODE = 'undefined_object';
    END IF;
    IF d.status <> 'running' THEN
        RAISE EXCEPTION 'drill % already ended (%, by % at %)', d.id, d.status, coalesce(d.ended_by, 'unknown'),
            dcops.act_when(d.ended_at) USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    UPDATE dcops.drill_run r SET status = drill_end.status, ended_at = now(), ended_by = session_user,
                                 scorecard = drill_end.scorecard
     WHERE r.id = d.id;
    res.drill_id := d.id;
    res.audit_id := dcops.act_audit('drill_end', format('drill/%s', d.id), jsonb_build_object('status', d.status),
        jsonb_build_object('status', status, 'result', scorecard->'result', 'met', scorecard->'met',
                           'missed', scorecard->'missed'),
        '', NULL, idem_key, d.id);
    res.replayed := false;
    RETURN dcops.drill_finish(idem_key, res);
END $$;

-- ---------------------------------------------------------------- rights

REVOKE ALL ON FUNCTION dcops.current_drill(), dcops.drill_tag(), dcops.drill_finish(text, dcops.drill_result),
    dcops.drill_replay(jsonb), dcops.drill_event_nodes(integer, text, jsonb),
    dcops.drill_event_incident(text, jsonb, text[]),
    dcops.drill_start(text, jsonb, bigint, numeric, text), dcops.drill_inject_due(bigint),
    dcops.drill_end(bigint, text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dcops.current_drill() TO dcops_viewer;
GRANT EXECUTE ON FUNCTION dcops.drill_start(text, jsonb, bigint, numeric, text),
    dcops.drill_inject_due(bigint), dcops.drill_end(bigint, text, jsonb, text) TO dcops_operator;
GRANT EXECUTE ON FUNCTION dcops.drill_inject_due(bigint), dcops.drill_end(bigint, text, jsonb, text)
    TO dcops_adapter;
