-- 061_remedy: from a GPU health event (an Xid, a rising ECC, row-remap or
-- NVLink counter; backend/adapter/telemetry/tel-event.h) to an incident
-- with its blast radius and a proposed drain (issue 14). The adapter's
-- remediation step (backend/adapter/remedy/) resolves each event against
-- the remediation table (backend/remedy/xid.json and the site's
-- overrides) and hands the cycle's events to dcops.remedy_apply in one
-- call, inside the adapter's transaction.
--
--   dcops.gpu_event      every event seen, once: (node, GPU, kind, code,
--                        sample time) is its identity, so the same event
--                        read twice (a re-scrape, a restarted reader) is
--                        one row, one timeline entry and one proposal.
--   incident.proposed_drain   nodes the incident proposes to drain and
--                        nobody has drained yet; proposed_reason names the
--                        Xid and its meaning, proposed_policy the table's
--                        policy. A drain of the node by any path (the
--                        operator accepting, another drain, the adapter's
--                        auto-drain) or the node leaving 'active' in the
--                        scheduler takes it out (remedy_withdraw_*).
--   incident.remedy_flood     an incident that gathers a flood: events from
--                        flood_nodes or more nodes within flood_window
--                        join one incident instead of one each.
--   incident.remedy_note      what the adapter could not do, e.g.
--                        "auto-drain stopped at the guard rail: 1 of 4 nodes".
--   dcops.remedy_apply(events, flood_window, flood_nodes)   the one write
--                        of a cycle (SECURITY DEFINER, dcops_adapter):
--                        returns the cycle's counts as jsonb.
--
-- An automatic drain (the table's auto_drain, opt-in per entry) is the same
-- intent as an operator's (a pending dcops.actions row the Slurm adapter
-- applies with scontrol), checked by the same guard rail
-- (dcops.act_drain_guard, never overridden), audited with actor
-- 'dcopsd (policy <name>)' and the event that caused it; recorded_by keeps
-- the adapter's role.

ALTER TABLE dcops.incident
    ADD COLUMN proposed_drain text[] NOT NULL DEFAULT '{}',
    ADD COLUMN proposed_reason text NOT NULL DEFAULT '',
    ADD COLUMN proposed_policy text NOT NULL DEFAULT '',
    ADD COLUMN remedy_flood boolean NOT NULL DEFAULT false,
    ADD COLUMN remedy_note text NOT NULL DEFAULT '';

CREATE TABLE dcops.gpu_event (
    id          bigserial PRIMARY KEY,
    node_id     integer NOT NULL REFERENCES dcops.node(id),
    gpu         integer NOT NULL CHECK (gpu BETWEEN 0 AND 63),
    uuid        text NOT NULL DEFAULT '' CHECK (length(uuid) <= 200),
    kind        text NOT NULL CHECK (kind IN ('xid', 'ecc_dbe', 'remap_failure', 'remap_pending', 'nvlink')),
    code        bigint NOT NULL,
    rise        bigint NOT NULL,
    at          timestamptz NOT NULL,
    seen_at     timestamptz NOT NULL DEFAULT now(),
    policy      text NOT NULL,
    incident_id bigint REFERENCES dcops.incident(id),
    UNIQUE (node_id, gpu, kind, code, at)
);
CREATE INDEX gpu_event_at_idx ON dcops.gpu_event (at);
CREATE INDEX gpu_event_incident_idx ON dcops.gpu_event (incident_id);
REVOKE ALL ON dcops.gpu_event FROM PUBLIC;
GRANT SELECT ON dcops.gpu_event TO dcops_viewer;

-- The audit's actor for an automatic drain: as 050 lets an adapter name
-- an external Slurm actor, it may name its own policy, and nothing else.
CREATE OR REPLACE FUNCTION dcops.audit_stamp() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    ext text := current_setting('dcops.audit_external_actor', true);
BEGIN
    NEW.actor := session_user;
    IF coalesce(ext, '') ~ '^(slurm:[A-Za-z0-9._-]{1,64}|dcopsd \(policy [A-Za-z0-9._-]{1,40}\))$'
       AND pg_has_role(session_user, 'dcops_adapter', 'MEMBER') THEN
        NEW.actor := ext;
    END IF;
    NEW.recorded_by := session_user;
    NEW.ts := now();
    NEW.client_addr := coalesce(host(inet_client_addr()), 'local');
    RETURN NEW;
END $$;

-- ---------------------------------------------------------------- withdrawal

-- A drain recorded for a node by any path ends every open proposal of it;
-- an incident whose proposal another drain overtook says so on its timeline.
CREATE FUNCTION dcops.remedy_withdraw(node text, why text, incident bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    i record;
BEGIN
    FOR i IN SELECT x.id FROM dcops.incident x
              WHERE x.state <> 'resolved' AND node = ANY (x.proposed_drain) ORDER BY x.id FOR UPDATE LOOP
        UPDATE dcops.incident x SET proposed_drain = array_remove(x.proposed_drain, node) WHERE x.id = i.id;
        IF incident IS DISTINCT FROM i.id THEN
            INSERT INTO dcops.incident_event (incident_id, actor, kind, body)
            VALUES (i.id, session_user, 'signal', format('proposed drain of %s withdrawn: %s', node, why));
        END IF;
    END LOOP;
END $$;

CREATE FUNCTION dcops.remedy_withdraw_action() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    PERFORM dcops.remedy_withdraw(NEW.target, format('drain #%s requested by %s', NEW.id, NEW.requested_by),
                                  NEW.incident_id);
    RETURN NULL;
END $$;
CREATE TRIGGER remedy_withdraw_action AFTER INSERT ON dcops.actions
    FOR EACH ROW WHEN (NEW.kind = 'drain') EXECUTE FUNCTION dcops.remedy_withdraw_action();

CREATE FUNCTION dcops.remedy_withdraw_node() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    PERFORM dcops.remedy_withdraw(NEW.name, format('%s in the scheduler (by %s)', NEW.admin_state,
                                  coalesce(nullif(NEW.drained_by, ''), session_user)), NULL);
    RETURN NULL;
END $$;
CREATE TRIGGER remedy_withdraw_node AFTER UPDATE OF admin_state ON dcops.node
    FOR EACH ROW WHEN (OLD.admin_state = 'active' AND NEW.admin_state <> 'active')
    EXECUTE FUNCTION dcops.remedy_withdraw_node();

-- ---------------------------------------------------------------- one event

-- The open incident an event of node joins: the node's own, else, in a
-- flood (the caller counted events of flood_nodes or more nodes within
-- flood_window of this cycle's), the flood's incident still gathering;
-- NULL: open a new one.
CREATE FUNCTION dcops.remedy_incident_of(node_id integer, at timestamptz, flood_window interval,
                                         flood boolean) RETURNS bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT coalesce(
        (SELECT i.id FROM dcops.incident i JOIN dcops.incident_node l ON l.incident_id = i.id
          WHERE l.node_id = remedy_incident_of.node_id AND i.state <> 'resolved' AND i.source = 'dcgm'
          ORDER BY i.id DESC LIMIT 1),
        (SELECT i.id FROM dcops.incident i
          WHERE flood AND i.remedy_flood AND i.state <> 'resolved' AND i.source = 'dcgm'
            AND EXISTS (SELECT 1 FROM dcops.gpu_event e WHERE e.incident_id = i.id
                           AND e.at > remedy_incident_of.at - flood_window)
          ORDER BY i.id DESC LIMIT 1))
$$;

-- The jobs running on the node's GPUs now, linked to the incident through
-- incident_jobs_link (043), and their tenants.
CREATE FUNCTION dcops.remedy_link(inc bigint, node_id integer) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    jobs bigint[];
BEGIN
    INSERT INTO dcops.incident_node (incident_id, node_id) VALUES (inc, node_id) ON CONFLICT DO NOTHING;
    SELECT coalesce(array_agg(DISTINCT g.job_id), '{}') INTO jobs FROM dcops.gpu g
      JOIN dcops.job j ON j.id = g.job_id
     WHERE g.node_id = remedy_link.node_id AND j.state = 'running';
    PERFORM dcops.incident_jobs_link(inc, jobs);
    INSERT INTO dcops.incident_tenant (incident_id, tenant_id)
    SELECT DISTINCT inc, j.tenant_id FROM dcops.job j WHERE j.id = ANY (jobs) ON CONFLICT DO NOTHING;
END $$;

-- The incident's blast radius in words and numbers, once per cycle: where
-- the table says the jobs are likely dead, the jobs it killed and the
-- severity from dcops.incident_severity (032); a flood is at least a leaf
-- switch's (3); sev only ever rises. A flood's title counts its nodes.
CREATE FUNCTION dcops.remedy_impact(inc bigint, jobs_dead boolean, sev integer, flood_window interval)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    i dcops.incident;
    k record;
    txt text;
BEGIN
    SELECT * INTO i FROM dcops.incident x WHERE x.id = inc;
    SELECT count(*)::int AS jobs, count(DISTINCT l.tenant_id)::int AS tenants,
           coalesce(sum(l.gpus), 0)::int AS gpus, coalesce(max(l.gpus), 0)::int AS largest,
           (SELECT count(*)::int FROM dcops.incident_node n WHERE n.incident_id = inc) AS nodes,
           (SELECT count(*)::int FROM (SELECT DISTINCT e.node_id, e.gpu FROM dcops.gpu_event e
                                        WHERE e.incident_id = inc) f) AS faulty
      INTO k FROM dcops.incident_job l WHERE l.incident_id = inc;
    txt := format('%s %s, %s faulty %s; %s %s of %s %s on %s', k.nodes, CASE k.nodes WHEN 1 THEN 'node' ELSE 'nodes' END,
                  k.faulty, CASE k.faulty WHEN 1 THEN 'GPU' ELSE 'GPUs' END, k.jobs,
                  CASE k.jobs WHEN 1 THEN 'job' ELSE 'jobs' END, k.tenants,
                  CASE k.tenants WHEN 1 THEN 'tenant' ELSE 'tenants' END,
                  CASE k.nodes WHEN 1 THEN 'it' ELSE 'them' END);
    IF jobs_dead OR i.jobs_killed > 0 THEN
        txt := txt || ' (likely dead)';
        UPDATE dcops.incident x SET jobs_killed = k.jobs, tenants_hit = k.tenants, gpus_killed = k.gpus,
                                    largest_job_gpus = k.largest
         WHERE x.id = inc;
        sev := least(sev, dcops.incident_severity(CASE WHEN i.remedy_flood THEN 'leaf' ELSE 'gpu' END,
                                                  k.tenants, k.gpus, k.largest, NULL));
    END IF;
    IF i.remedy_flood THEN
        sev := least(sev, dcops.incident_severity('leaf', 0, 0, 0, NULL));
    END IF;
    UPDATE dcops.incident x
       SET impact = left(txt, 300), gpus_out = k.faulty, sev = least(x.sev, remedy_impact.sev),
           title = CASE WHEN i.remedy_flood THEN format('GPU faults on %s nodes within %s s', k.nodes,
                                                        extract(epoch FROM flood_window)::bigint)
                        ELSE x.title END
     WHERE x.id = inc;
END $$;

-- Adds node to the incident's proposed drain, when the node is active with
-- no drain pending and not proposed already; true when it was added.
CREATE FUNCTION dcops.remedy_propose(inc bigint, nd dcops.node, reason text, policy text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    i dcops.incident;
BEGIN
    IF (dcops.act_node_intent(nd)).state <> 'active' THEN
        RETURN false;
    END IF;
    SELECT * INTO i FROM dcops.incident x WHERE x.id = inc FOR UPDATE;
    IF nd.name = ANY (i.proposed_drain) THEN
        RETURN false;
    END IF;
    UPDATE dcops.incident x
       SET proposed_drain = x.proposed_drain || nd.name,
           proposed_reason = CASE WHEN x.proposed_reason = '' THEN reason
                                  WHEN strpos(x.proposed_reason, split_part(reason, ':', 1)) > 0
                                       OR length(x.proposed_reason) > 240 THEN x.proposed_reason
                                  ELSE x.proposed_reason || '; ' || reason END,
           proposed_policy = CASE WHEN x.proposed_policy = '' THEN policy ELSE x.proposed_policy END
     WHERE x.id = inc;
    INSERT INTO dcops.incident_event (incident_id, actor, kind, body)
    VALUES (inc, session_user, 'signal', format('proposed: drain %s (%s), policy %s', nd.name, reason, policy));
    RETURN true;
END $$;

-- The automatic drain of one node: the operator's drain path without the
-- operator (act_drain_guard, never overridden; a pending intent; one audit
-- row with the policy as actor and the event in it). false: the guard
-- rail refused it (the node stays proposed).
CREATE FUNCTION dcops.remedy_auto_drain(inc bigint, node text, reason text, policy text, event jsonb)
RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    actor text := format('dcopsd (policy %s)', policy);
    nd dcops.node;
    aid bigint;
BEGIN
    BEGIN
        PERFORM dcops.act_drain_guard(ARRAY[node], false);
    EXCEPTION WHEN insufficient_privilege THEN
        RETURN false;
    END;
    SELECT * INTO nd FROM dcops.node n WHERE n.name = node FOR UPDATE;
    IF (dcops.act_node_intent(nd)).state <> 'active' THEN
        RETURN true;
    END IF;
    UPDATE dcops.node n SET admin_version = n.admin_version + 1, admin_changed_by = actor,
                            admin_changed_at = now()
     WHERE n.id = nd.id;
    INSERT INTO dcops.actions (kind, target, params, reason, requested_by, idempotency_key, incident_id)
    VALUES ('drain', nd.name,
            jsonb_build_object('resume_after', NULL, 'incident_id', inc, 'expected_version', nd.admin_version + 1,
                               'policy', policy, 'event', event),
            reason, actor, dcops.act_row_key(NULL, nd.name), inc)
    RETURNING id INTO aid;
    INSERT INTO dcops.incident_event (incident_id, actor, kind, body)
    VALUES (inc, session_user, 'link', format('auto-drain requested for %s by %s: %s', nd.name, actor, reason));
    PERFORM set_config('dcops.audit_external_actor', actor, true);
    PERFORM dcops.act_audit('drain', nd.name,
        jsonb_build_object(nd.name, jsonb_build_object('admin_state', nd.admin_state, 'intent', 'active',
                                                       'admin_version', nd.admin_version)),
        jsonb_build_object(nd.name, jsonb_build_object('intent', 'draining', 'drain_reason', reason,
                                                       'admin_version', nd.admin_version + 1, 'action_id', aid),
                           'policy', policy, 'event', event),
        reason, inc, NULL, NULL);
    PERFORM set_config('dcops.audit_external_actor', '', true);
    RETURN true;
END $$;

-- ---------------------------------------------------------------- the cycle

-- events: [{node, gpu, uuid, kind, code, rise, at (epoch seconds), label,
-- meaning, action, sev, drain, jobs_dead, auto_drain, policy}], each
-- already resolved against the remediation table by the adapter.
CREATE FUNCTION dcops.remedy_apply(events jsonb, flood_window interval, flood_nodes integer) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    e record;
    nd dcops.node;
    inc record;
    iid bigint;
    body text;
    reason text;
    n_new integer := 0;
    n_dup integer := 0;
    n_unknown integer := 0;
    n_opened integer := 0;
    n_updated integer := 0;
    n_proposed integer := 0;
    n_auto integer := 0;
    n_stopped integer := 0;
    ne record;
    flood boolean;
    done integer;
    wanted integer;
BEGIN
    IF NOT (pg_has_role(session_user, 'dcops_adapter', 'MEMBER') OR dcops.act_is_admin()) THEN
        RAISE EXCEPTION 'dcops.remedy_apply: % is not the adapter', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF jsonb_typeof(events) IS DISTINCT FROM 'array' OR flood_window IS NULL OR flood_window <= interval '0'
       OR flood_nodes IS NULL OR flood_nodes < 2 THEN
        RAISE EXCEPTION 'dcops.remedy_apply: events must be an array, flood_window positive, flood_nodes 2 or more'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    CREATE TEMP TABLE IF NOT EXISTS remedy_new (id bigint PRIMARY KEY, node_id integer, ev jsonb,
                                                auto boolean, incident_id bigint) ON COMMIT DROP;
    TRUNCATE remedy_new;
    -- First every new event, so a burst read in one cycle counts as one.
    FOR e IN SELECT x.*, o FROM jsonb_array_elements(events) WITH ORDINALITY AS a(j, o),
                  LATERAL jsonb_to_record(a.j) AS x(node text, gpu integer, uuid text, kind text, code bigint,
                      rise bigint, at double precision, label text, meaning text, action text, sev integer,
                      drain boolean, jobs_dead boolean, auto_drain boolean, policy text)
             ORDER BY x.at, o LOOP
        SELECT * INTO nd FROM dcops.node n WHERE n.name = e.node;
        IF NOT FOUND THEN
            n_unknown := n_unknown + 1;
            CONTINUE;
        END IF;
        INSERT INTO dcops.gpu_event (node_id, gpu, uuid, kind, code, rise, at, policy)
        VALUES (nd.id, e.gpu, left(coalesce(e.uuid, ''), 200), e.kind, e.code, coalesce(e.rise, 1),
                to_timestamp(e.at), e.policy)
        ON CONFLICT DO NOTHING RETURNING id INTO iid;
        IF iid IS NULL THEN
            n_dup := n_dup + 1;
            CONTINUE;
        END IF;
        n_new := n_new + 1;
        INSERT INTO remedy_new VALUES (iid, nd.id, to_jsonb(e) - 'o', coalesce(e.auto_drain, false), NULL);
        IF e.kind = 'xid' THEN
            UPDATE dcops.gpu g SET last_xid = e.code, last_xid_at = to_timestamp(e.at)
             WHERE g.node_id = nd.id AND g.idx = e.gpu;
        ELSIF e.kind = 'remap_pending' THEN
            UPDATE dcops.gpu g SET remap_pending = true WHERE g.node_id = nd.id AND g.idx = e.gpu;
        END IF;
    END LOOP;

    -- A flood: events of flood_nodes or more nodes within flood_window of
    -- this cycle's, counted once.
    SELECT count(DISTINCT x.node_id) >= flood_nodes INTO flood FROM dcops.gpu_event x
     WHERE x.at > (SELECT min(to_timestamp((r.ev->>'at')::double precision)) FROM remedy_new r) - flood_window
       AND x.at <= (SELECT max(to_timestamp((r.ev->>'at')::double precision)) FROM remedy_new r) + flood_window;
    FOR ne IN SELECT r.id, r.node_id, r.ev FROM remedy_new r ORDER BY r.id LOOP
        SELECT * INTO nd FROM dcops.node n WHERE n.id = ne.node_id;
        body := format('%s GPU %s: %s: %s (NVIDIA: %s; policy %s)', nd.name, ne.ev->>'gpu', ne.ev->>'label',
                       ne.ev->>'meaning', ne.ev->>'action', ne.ev->>'policy');
        iid := dcops.remedy_incident_of(nd.id, to_timestamp((ne.ev->>'at')::double precision), flood_window,
                                        flood);
        IF iid IS NULL THEN
            INSERT INTO dcops.incident (sev, title, source, remedy_flood)
            VALUES ((ne.ev->>'sev')::integer,
                    left(CASE WHEN flood THEN format('GPU faults on 1 node within %s s',
                                                         extract(epoch FROM flood_window)::bigint)
                              ELSE format('%s: %s on GPU %s: %s', nd.name, ne.ev->>'label', ne.ev->>'gpu',
                                          ne.ev->>'meaning') END, 300),
                    'dcgm', flood)
            RETURNING id INTO iid;
            INSERT INTO dcops.incident_event (incident_id, actor, kind, body)
            VALUES (iid, session_user, 'opened', body);
            PERFORM dcops.adapter_audit('incident_open', format('incident/%s', iid), NULL,
                jsonb_build_object('sev', (ne.ev->>'sev')::integer, 'node', nd.name, 'event', ne.ev),
                format('%s: %s', ne.ev->>'label', ne.ev->>'meaning'));
            n_opened := n_opened + 1;
        ELSE
            INSERT INTO dcops.incident_event (incident_id, actor, kind, body)
            VALUES (iid, session_user, 'signal', body);
            n_updated := n_updated + 1;
        END IF;
        UPDATE dcops.gpu_event x SET incident_id = iid WHERE x.id = ne.id;
        UPDATE remedy_new r SET incident_id = iid WHERE r.id = ne.id;
        IF NOT EXISTS (SELECT 1 FROM dcops.incident_node l WHERE l.incident_id = iid AND l.node_id = nd.id) THEN
            PERFORM dcops.remedy_link(iid, nd.id);
        END IF;
        IF coalesce((ne.ev->>'drain')::boolean, false) THEN
            reason := format('%s on GPU %s: %s', ne.ev->>'label', ne.ev->>'gpu', ne.ev->>'meaning');
            IF dcops.remedy_propose(iid, nd, reason, ne.ev->>'policy') THEN
                n_proposed := n_proposed + 1;
            END IF;
        END IF;
    END LOOP;
    FOR ne IN SELECT r.incident_id AS id, bool_or(coalesce((r.ev->>'jobs_dead')::boolean, false)) AS dead,
                     min((r.ev->>'sev')::integer) AS sev
                FROM remedy_new r GROUP BY r.incident_id ORDER BY r.incident_id LOOP
        PERFORM dcops.remedy_impact(ne.id, ne.dead, ne.sev, flood_window);
    END LOOP;

    -- Automatic drains, per incident, in event order, each through the
    -- guard rail; what it stops stays proposed and the incident says so.
    FOR inc IN SELECT DISTINCT r.incident_id AS id FROM remedy_new r
                WHERE r.auto AND coalesce((r.ev->>'drain')::boolean, false) ORDER BY 1 LOOP
        done := 0;
        wanted := 0;
        FOR ne IN SELECT DISTINCT ON (n.name) n.name, r.ev, r.id FROM remedy_new r
                   JOIN dcops.node n ON n.id = r.node_id
                  WHERE r.auto AND r.incident_id = inc.id
                  ORDER BY n.name, r.id LOOP
            IF NOT EXISTS (SELECT 1 FROM dcops.incident x WHERE x.id = inc.id AND ne.name = ANY (x.proposed_drain)) THEN
                CONTINUE;
            END IF;
            wanted := wanted + 1;
            reason := format('%s on GPU %s: %s', ne.ev->>'label', ne.ev->>'gpu', ne.ev->>'meaning');
            IF dcops.remedy_auto_drain(inc.id, ne.name, reason, ne.ev->>'policy', ne.ev) THEN
                done := done + 1;
            END IF;
        END LOOP;
        n_auto := n_auto + done;
        IF done < wanted THEN
            n_stopped := n_stopped + (wanted - done);
            body := format('auto-drain stopped at the guard rail: %s of %s nodes; the rest stay proposed (guard.drain_pct %s%% within %s)',
                           done, wanted, dcops.guard_text('guard.drain_pct'), dcops.guard_text('guard.drain_window'));
            UPDATE dcops.incident x SET remedy_note = body WHERE x.id = inc.id;
            INSERT INTO dcops.incident_event (incident_id, actor, kind, body)
            VALUES (inc.id, session_user, 'signal', body);
        END IF;
    END LOOP;
    RETURN jsonb_build_object('new', n_new, 'duplicate', n_dup, 'unknown_node', n_unknown,
                              'opened', n_opened, 'updated', n_updated, 'proposed', n_proposed,
                              'auto_drained', n_auto, 'guard_stopped', n_stopped);
END $$;

REVOKE ALL ON FUNCTION dcops.remedy_withdraw(text, text, bigint), dcops.remedy_withdraw_action(),
    dcops.remedy_withdraw_node(), dcops.remedy_incident_of(integer, timestamptz, interval, boolean),
    dcops.remedy_link(bigint, integer), dcops.remedy_impact(bigint, boolean, integer, interval),
    dcops.remedy_propose(bigint, dcops.node, text, text),
    dcops.remedy_auto_drain(bigint, text, text, text, jsonb),
    dcops.remedy_apply(jsonb, interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dcops.remedy_apply(jsonb, interval, integer) TO dcops_adapter;
