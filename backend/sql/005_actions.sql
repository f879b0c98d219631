-- 005_actions: operator actions as SQL functions (issue 4).
--
-- Every write an operator makes goes through one SECURITY DEFINER function
-- here. In one transaction each call
--   1. checks the caller's role (session_user, so SET ROLE cannot lend rights),
--   2. replays the original outcome when its idempotency key was seen before,
--   3. checks guard rails (settings guard.*) and the operator-state version
--      the caller saw (optimistic concurrency),
--   4. records the intent: dcops.actions rows (drain, resume, quota_set) that
--      the adapter applies, or the incident change and its incident_event,
--   5. appends exactly one dcops.audit row.
-- Every function returns dcops.action_result. SQLSTATEs the callers act on:
--   42501  not allowed: role, or a guard rail that needs dcops_admin
--          (DETAIL names the guard setting)
--   40001  the row changed since the version the caller saw (who, when)
--   42704  unknown node, tenant, incident or operator (names them)
--   55000  wrong state: already draining, not drained, incident resolved ...
--   22023  bad argument: reason too short, no change, time in the past ...
--   23505  idempotency key reused with different arguments or by another role
--   55P03  a row stayed locked past lock_timeout (2s); retry
--
-- Operator-state versions: node.version, quota.version and incident.version
-- move with every telemetry write, so callers compare these instead:
--   node.admin_version      bumped when an intent is recorded and when
--                           admin_state leaves or enters 'active', or
--                           drain_reason / resume_after change
--   quota.limits_version    bumped when an intent is recorded and when
--                           gpu_limit, gpu_hours_budget, storage_tb or
--                           expires_at change
--   incident.op_version     bumped when state, owner or sev change
-- each with *_changed_by (a role name) and *_changed_at.
--
-- The adapter's contract (params of dcops.actions rows):
--   drain / resume   target = node name; {"resume_after", "incident_id",
--                    "expected_version": node.admin_version after this intent}
--   quota_set        target = tenant name; {"tenant_id", "gpu_limit",
--   quota_revert     "gpu_hours_budget", "storage_tb", "expires_at",
--                    "previous": {same keys}}: both kinds apply the same way.
-- dcops.quota_revert_due() queues the reverts of expired time-boxed quotas.

-- Guard rails are settings, so a site tunes them without a migration.
INSERT INTO dcops.setting (key, value) VALUES
    ('guard.drain_pct', '10'),            -- % of a partition's nodes drained per window
    ('guard.drain_window', '1 hour'),
    ('guard.quota_change_pct', '50'),     -- bigger quota changes need dcops_admin
    ('guard.reason_min_words', '3'),
    ('guard.reason_min_chars', '15')
ON CONFLICT (key) DO NOTHING;

ALTER TABLE dcops.node
    ADD COLUMN admin_version bigint NOT NULL DEFAULT 0,
    ADD COLUMN admin_changed_by text,
    ADD COLUMN admin_changed_at timestamptz;
ALTER TABLE dcops.quota
    ADD COLUMN limits_version bigint NOT NULL DEFAULT 0,
    ADD COLUMN limits_changed_by text,
    ADD COLUMN limits_changed_at timestamptz;
ALTER TABLE dcops.incident
    ADD COLUMN op_version bigint NOT NULL DEFAULT 0,
    ADD COLUMN op_changed_by text,
    ADD COLUMN op_changed_at timestamptz;

-- draining -> drained is the adapter noticing the jobs ended, not a change
-- of the operator's intent: it does not bump admin_version.
CREATE FUNCTION dcops.node_admin_stamp() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    IF (OLD.admin_state = 'active') IS DISTINCT FROM (NEW.admin_state = 'active')
       OR OLD.drain_reason IS DISTINCT FROM NEW.drain_reason
       OR OLD.resume_after IS DISTINCT FROM NEW.resume_after THEN
        NEW.admin_version := OLD.admin_version + 1;
        NEW.admin_changed_by := session_user;
        NEW.admin_changed_at := now();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER node_admin_stamp BEFORE UPDATE OF admin_state, drain_reason, resume_after
    ON dcops.node FOR EACH ROW EXECUTE FUNCTION dcops.node_admin_stamp();

CREATE FUNCTION dcops.quota_limits_stamp() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    IF (OLD.gpu_limit, OLD.gpu_hours_budget, OLD.storage_tb, OLD.expires_at)
       IS DISTINCT FROM (NEW.gpu_limit, NEW.gpu_hours_budget, NEW.storage_tb, NEW.expires_at) THEN
        NEW.limits_version := OLD.limits_version + 1;
        NEW.limits_changed_by := session_user;
        NEW.limits_changed_at := now();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER quota_limits_stamp BEFORE UPDATE OF gpu_limit, gpu_hours_budget, storage_tb, expires_at
    ON dcops.quota FOR EACH ROW EXECUTE FUNCTION dcops.quota_limits_stamp();

CREATE FUNCTION dcops.incident_op_stamp() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    IF (OLD.state, OLD.owner, OLD.sev) IS DISTINCT FROM (NEW.state, NEW.owner, NEW.sev) THEN
        NEW.op_version := OLD.op_version + 1;
        NEW.op_changed_by := session_user;
        NEW.op_changed_at := now();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER incident_op_stamp BEFORE UPDATE OF state, owner, sev
    ON dcops.incident FOR EACH ROW EXECUTE FUNCTION dcops.incident_op_stamp();

-- One row per idempotency key: who used it, for what, and what came of it.
-- Only the functions below read or write it.
CREATE TABLE dcops.idempotency (
    key         text PRIMARY KEY CHECK (length(key) BETWEEN 8 AND 64),
    func        text NOT NULL,
    actor       text NOT NULL,
    args        jsonb NOT NULL,
    result      jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON dcops.idempotency FROM PUBLIC;

CREATE TYPE dcops.action_result AS (
    action_ids  bigint[],   -- dcops.actions rows written (empty for incident work)
    incident_id bigint,     -- the incident opened or changed, else NULL
    audit_id    bigint,     -- the one audit row
    replayed    boolean     -- true: an earlier call with this key did the work
);

-- ---------------------------------------------------------------- helpers

CREATE FUNCTION dcops.guard_text(k text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    v text;
BEGIN
    SELECT s.value INTO v FROM dcops.setting s WHERE s.key = k;
    IF v IS NULL THEN
        RAISE EXCEPTION 'guard rail setting % is missing from dcops.setting', k
            USING ERRCODE = 'undefined_object';
    END IF;
    RETURN v;
END $$;

CREATE FUNCTION dcops.act_is_admin() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT pg_has_role(session_user, 'dcops_admin', 'MEMBER')
        OR coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = session_user), false)
$$;

-- Role check, transaction checks and the idempotency gate. Returns the
-- stored result of an earlier call with the same key (the caller replays
-- it), or NULL when this call is new and must do the work.
CREATE FUNCTION dcops.act_begin(func text, key text, args jsonb) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    prev dcops.idempotency;
BEGIN
    IF NOT (pg_has_role(session_user, 'dcops_operator', 'MEMBER') OR dcops.act_is_admin()) THEN
        RAISE EXCEPTION 'dcops.%: % is not a dcops operator', func, session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- The guard-rail counts rely on each statement seeing rows committed
    -- while it waited for a lock.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'dcops.% must run at READ COMMITTED, not %', func,
            current_setting('transaction_isolation') USING ERRCODE = 'invalid_transaction_state';
    END IF;
    IF current_setting('transaction_read_only')::boolean THEN
        RAISE EXCEPTION 'dcops.%: the session is read-only', func
            USING ERRCODE = 'read_only_sql_transaction';
    END IF;
    IF key IS NULL THEN
        RETURN NULL;
    END IF;
    IF length(key) NOT BETWEEN 8 AND 64 OR key !~ '^[A-Za-z0-9_.:-]+$' THEN
        RAISE EXCEPTION 'idempotency key must be 8 to 64 characters of [A-Za-z0-9_.:-]'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- A concurrent call with the same key waits here until the first commits.
    INSERT INTO dcops.idempotency (key, func, actor, args)
    VALUES (key, func, session_user, args) ON CONFLICT DO NOTHING;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    SELECT * INTO prev FROM dcops.idempotency i WHERE i.key = act_begin.key;
    IF prev.func <> func OR prev.actor <> session_user OR prev.args <> args THEN
        RAISE EXCEPTION 'idempotency key % was already used by % at % for a different % call',
            key, prev.actor, to_char(prev.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"Z"'),
            prev.func USING ERRCODE = 'unique_violation';
    END IF;
    RETURN prev.result;
END $$;

CREATE FUNCTION dcops.act_finish(key text, res dcops.action_result) RETURNS dcops.action_result
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    IF key IS NOT NULL THEN
        UPDATE dcops.idempotency i SET result = to_jsonb(res) WHERE i.key = act_finish.key;
    END IF;
    RETURN res;
END $$;

CREATE FUNCTION dcops.act_replay(stored jsonb) RETURNS dcops.action_result
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT r.action_ids, r.incident_id, r.audit_id, true
      FROM jsonb_populate_record(NULL::dcops.action_result, stored) r
$$;

-- The key stored with each actions row: unique per row, traceable to the call.
CREATE FUNCTION dcops.act_row_key(key text, target text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT coalesce(key, 'srv-' || gen_random_uuid()::text) || '/' || left(target, 63)
$$;

CREATE FUNCTION dcops.act_reason_check(what text, reason text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    words integer := coalesce(array_length(regexp_split_to_array(btrim(coalesce(reason, '')), '\s+'), 1), 0);
    min_words integer := dcops.guard_text('guard.reason_min_words')::integer;
    min_chars integer := dcops.guard_text('guard.reason_min_chars')::integer;
BEGIN
    IF btrim(coalesce(reason, '')) = '' THEN
        words := 0;
    END IF;
    IF words < min_words OR length(btrim(coalesce(reason, ''))) < min_chars THEN
        RAISE EXCEPTION '% needs a % of at least % words and % characters (got % words, % characters)',
            what, CASE WHEN what = 'resolve' THEN 'summary' ELSE 'reason' END,
            min_words, min_chars, words, length(btrim(coalesce(reason, '')))
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'guard.reason_min_words';
    END IF;
    IF length(reason) > 2000 THEN
        RAISE EXCEPTION '% reason is longer than 2000 characters', what
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END $$;

-- Names as JSON strings: quoted, and control characters escaped, so a
-- hostile name cannot move an operator's cursor when the message is shown.
CREATE FUNCTION dcops.act_names(names text[]) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT string_agg(to_json(n)::text, ', ' ORDER BY o) FROM unnest(names) WITH ORDINALITY u(n, o)
$$;

CREATE FUNCTION dcops.act_when(ts timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT coalesce(to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS"Z"'), 'an unknown time')
$$;

CREATE FUNCTION dcops.act_conflict(what text, seen bigint, now_v bigint, by_role text,
                                   at_ts timestamptz) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    IF by_role IS NULL THEN
        RAISE EXCEPTION '% is at version %, not the version % you saw', what, now_v, seen
            USING ERRCODE = 'serialization_failure', HINT = 'reload and decide again';
    END IF;
    RAISE EXCEPTION '% was changed by % at % (you saw version %, it is now %)',
        what, by_role, dcops.act_when(at_ts), seen, now_v
        USING ERRCODE = 'serialization_failure', HINT = 'reload and decide again';
END $$;

CREATE FUNCTION dcops.act_nodes_check(nodes text[], expected_versions bigint[]) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    bad text;
BEGIN
    IF nodes IS NULL OR cardinality(nodes) = 0 THEN
        RAISE EXCEPTION 'no nodes given' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF array_position(nodes, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'a node name is NULL' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT dcops.act_names(array_agg(n)) INTO bad
      FROM (SELECT n FROM unnest(nodes) n GROUP BY n HAVING count(*) > 1) d;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'node(s) listed twice: %', bad USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT dcops.act_names(array_agg(n ORDER BY o)) INTO bad
      FROM unnest(nodes) WITH ORDINALITY u(n, o)
     WHERE NOT EXISTS (SELECT 1 FROM dcops.node x WHERE x.name = u.n);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown node(s): %', bad USING ERRCODE = 'undefined_object';
    END IF;
    IF expected_versions IS NOT NULL AND cardinality(expected_versions) <> cardinality(nodes) THEN
        RAISE EXCEPTION 'got % expected versions for % nodes', cardinality(expected_versions),
            cardinality(nodes) USING ERRCODE = 'invalid_parameter_value';
    END IF;
END $$;

-- The node's admin state once the pending intents are applied, and the
-- latest pending intent (NULL when none).
CREATE FUNCTION dcops.act_node_intent(node dcops.node, OUT state text, OUT pending dcops.actions)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    SELECT * INTO pending FROM dcops.actions a
     WHERE a.status = 'pending' AND a.kind IN ('drain', 'resume') AND a.target = node.name
     ORDER BY a.id DESC LIMIT 1;
    state := CASE pending.kind WHEN 'drain' THEN 'draining' WHEN 'resume' THEN 'active'
                               ELSE node.admin_state::text END;
END $$;

CREATE FUNCTION dcops.act_audit(action text, target text, before jsonb, after jsonb, reason text,
                                incident_id bigint, key text, drill_id bigint) RETURNS bigint
LANGUAGE sql SET search_path = pg_catalog, dcops, pg_temp AS $$
    INSERT INTO dcops.audit (actor, client_addr, action, target, before, after, reason,
                             incident_id, idempotency_key, drill_id)
    VALUES (session_user, coalesce(host(inet_client_addr()), 'local'), action, target, before,
            after, coalesce(reason, ''), incident_id, key, drill_id)
    RETURNING id
$$;

-- The incident an action links to: must exist and be open. Returns its drill.
CREATE FUNCTION dcops.act_incident_open_check(incident_id bigint) RETURNS bigint
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    inc dcops.incident;
BEGIN
    IF incident_id IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO inc FROM dcops.incident i WHERE i.id = act_incident_open_check.incident_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown incident %', incident_id USING ERRCODE = 'undefined_object';
    END IF;
    IF inc.state = 'resolved' THEN
        RAISE EXCEPTION 'incident % is resolved (by % at %)', incident_id,
            coalesce(inc.op_changed_by, inc.owner, 'an unknown role'), dcops.act_when(inc.resolved_at)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN inc.drill_id;
END $$;

-- ---------------------------------------------------------------- drain / resume

-- Refuses a drain that would take a partition past guard.drain_pct within
-- guard.drain_window (counting nodes drained in the window and pending
-- drains requested in it), unless an admin overrides. Locks the partitions first
-- (in id order, so two drains cannot deadlock) and counts only then: a
-- concurrent drain in the same partition waits here and then sees this
-- one's pending actions. Returns the overridden partitions (NULL if none).
CREATE FUNCTION dcops.act_drain_guard(nodes text[], override boolean) RETURNS text[]
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    pct numeric := dcops.guard_text('guard.drain_pct')::numeric;
    win interval := dcops.guard_text('guard.drain_window')::interval;
    p record;
    recent bigint;
    overridden text[];
BEGIN
    PERFORM 1 FROM dcops.partition pt
     WHERE pt.id IN (SELECT n.partition_id FROM dcops.node n WHERE n.name = ANY (nodes))
     ORDER BY pt.id FOR UPDATE;
    FOR p IN SELECT pt.id, pt.name, count(*) AS adding,
                    (SELECT count(*) FROM dcops.node a WHERE a.partition_id = pt.id) AS total
               FROM dcops.node n JOIN dcops.partition pt ON pt.id = n.partition_id
              WHERE n.name = ANY (nodes) GROUP BY pt.id, pt.name ORDER BY pt.id LOOP
        SELECT count(*) INTO recent FROM dcops.node n
         WHERE n.partition_id = p.id
           AND ((n.admin_state <> 'active'
                 AND coalesce(n.drained_at, n.admin_changed_at, '-infinity') >= now() - win)
                OR EXISTS (SELECT 1 FROM dcops.actions a
                            WHERE a.status = 'pending' AND a.kind = 'drain' AND a.target = n.name
                              AND a.requested_at >= now() - win));
        -- One node at a time is always allowed, however small the partition.
        CONTINUE WHEN recent + p.adding <= greatest(1, floor(pct * p.total / 100));
        IF NOT (override AND dcops.act_is_admin()) THEN
            RAISE EXCEPTION 'draining % more node(s) in partition % would make % of % drained within % (limit %): %',
                p.adding, p.name, recent + p.adding, p.total, dcops.guard_text('guard.drain_window'), pct || '%',
                CASE WHEN dcops.act_is_admin() THEN 'confirm with override'
                     ELSE 'needs dcops_admin with override' END
                USING ERRCODE = 'insufficient_privilege', DETAIL = 'guard.drain_pct';
        END IF;
        overridden := overridden || p.name;
    END LOOP;
    RETURN overridden;
END $$;

-- Shared by drain and resume: locks the nodes, checks the versions the
-- caller saw and that each node is in a state `want` accepts, then writes
-- one pending action per node and bumps its admin_version.
CREATE FUNCTION dcops.act_node_intents(kind dcops.action_kind, nodes text[], reason text,
                                       incident_id bigint, resume_after timestamptz,
                                       expected_versions bigint[], key text, drill_id bigint,
                                       OUT ids bigint[], OUT before jsonb, OUT after jsonb)
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    r record;
    it record;
    aid bigint;
BEGIN
    before := '{}';
    after := '{}';
    ids := '{}';
    PERFORM 1 FROM dcops.node n WHERE n.name = ANY (nodes) ORDER BY n.id FOR UPDATE;
    FOR r IN SELECT n AS node, u.o::integer AS o FROM unnest(nodes) WITH ORDINALITY u(name, o)
               JOIN dcops.node n ON n.name = u.name ORDER BY u.o LOOP
        IF expected_versions[r.o] IS NOT NULL AND expected_versions[r.o] <> (r.node).admin_version THEN
            PERFORM dcops.act_conflict(format('node %s', (r.node).name), expected_versions[r.o],
                                       (r.node).admin_version, (r.node).admin_changed_by,
                                       (r.node).admin_changed_at);
        END IF;
        it := dcops.act_node_intent(r.node);
        IF kind = 'drain' AND it.state <> 'active' THEN
            RAISE EXCEPTION 'node % is already %', (r.node).name,
                CASE WHEN (it.pending).id IS NOT NULL
                     THEN format('draining: drain #%s requested by %s at %s is pending', (it.pending).id,
                                 (it.pending).requested_by, dcops.act_when((it.pending).requested_at))
                     ELSE format('%s (by %s at %s: %s)', it.state,
                                 coalesce((r.node).drained_by, (r.node).admin_changed_by, 'an unknown role'),
                                 dcops.act_when(coalesce((r.node).drained_at, (r.node).admin_changed_at)),
                                 to_json((r.node).drain_reason)) END
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        IF kind = 'resume' AND it.state = 'active' THEN
            RAISE EXCEPTION 'node % is not drained or draining%', (r.node).name,
                CASE WHEN (it.pending).id IS NOT NULL
                     THEN format(' (resume #%s requested by %s at %s is pending)', (it.pending).id,
                                 (it.pending).requested_by, dcops.act_when((it.pending).requested_at))
                     ELSE '' END
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        UPDATE dcops.node n SET admin_version = n.admin_version + 1, admin_changed_by = session_user,
                                admin_changed_at = now()
         WHERE n.id = (r.node).id;
        INSERT INTO dcops.actions (kind, target, params, reason, requested_by, idempotency_key,
                                   incident_id, drill_id)
        VALUES (kind, (r.node).name,
                jsonb_build_object('resume_after', resume_after, 'incident_id', incident_id,
                                   'expected_version', (r.node).admin_version + 1),
                reason, session_user, dcops.act_row_key(key, (r.node).name), incident_id, drill_id)
        RETURNING id INTO aid;
        ids := ids || aid;
        before := before || jsonb_build_object((r.node).name, jsonb_build_object(
            'admin_state', (r.node).admin_state, 'intent', it.state,
            'drain_reason', (r.node).drain_reason, 'resume_after', (r.node).resume_after,
            'admin_version', (r.node).admin_version));
        after := after || jsonb_build_object((r.node).name, jsonb_build_object(
            'intent', CASE kind WHEN 'drain' THEN 'draining' ELSE 'active' END,
            'drain_reason', CASE kind WHEN 'drain' THEN reason END, 'resume_after', resume_after,
            'admin_version', (r.node).admin_version + 1, 'action_id', aid));
    END LOOP;
END $$;

CREATE FUNCTION dcops.drain(nodes text[], reason text, incident_id bigint DEFAULT NULL,
                            resume_after timestamptz DEFAULT NULL,
                            expected_versions bigint[] DEFAULT NULL, idem_key text DEFAULT NULL,
                            override boolean DEFAULT false)
RETURNS dcops.action_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    stored jsonb;
    drill bigint;
    overridden text[];
    w record;
    res dcops.action_result;
BEGIN
    stored := dcops.act_begin('drain', idem_key, jsonb_build_object(
        'nodes', nodes, 'reason', reason, 'incident_id', incident_id, 'resume_after', resume_after,
        'expected_versions', expected_versions, 'override', coalesce(override, false)));
    IF stored IS NOT NULL THEN
        RETURN dcops.act_replay(stored);
    END IF;
    PERFORM dcops.act_reason_check('drain', reason);
    PERFORM dcops.act_nodes_check(nodes, expected_versions);
    IF resume_after IS NOT NULL AND resume_after <= now() THEN
        RAISE EXCEPTION 'resume_after % is not in the future', dcops.act_when(resume_after)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF coalesce(override, false) AND NOT dcops.act_is_admin() THEN
        RAISE EXCEPTION 'override needs dcops_admin' USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'guard.drain_pct';
    END IF;
    drill := dcops.act_incident_open_check(incident_id);
    overridden := dcops.act_drain_guard(nodes, coalesce(override, false));
    w := dcops.act_node_intents('drain', nodes, reason, incident_id, resume_after,
                                expected_versions, idem_key, drill);
    IF incident_id IS NOT NULL THEN
        INSERT INTO dcops.incident_node (incident_id, node_id)
        SELECT drain.incident_id, n.id FROM dcops.node n WHERE n.name = ANY (nodes)
        ON CONFLICT DO NOTHING;
        INSERT INTO dcops.incident_event (incident_id, actor, kind, body)
        VALUES (incident_id, session_user, 'link',
                format('drain requested for %s: %s', array_to_string(nodes, ', '), reason));
    END IF;
    res.action_ids := w.ids;
    res.incident_id := incident_id;
    res.audit_id := dcops.act_audit('drain', array_to_string(nodes, ','), w.before,
        w.after || jsonb_build_object('overridden_partitions', to_jsonb(overridden)),
        reason, incident_id, idem_key, drill);
    res.replayed := false;
    RETURN dcops.act_finish(idem_key, res);
END $$;

CREATE FUNCTION dcops.resume(nodes text[], reason text, expected_versions bigint[] DEFAULT NULL,
                             idem_key text DEFAULT NULL)
RETURNS dcops.action_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    stored jsonb;
    w record;
    res dcops.action_result;
BEGIN
    stored := dcops.act_begin('resume', idem_key, jsonb_build_object(
        'nodes', nodes, 'reason', reason, 'expected_versions', expected_versions));
    IF stored IS NOT NULL THEN
        RETURN dcops.act_replay(stored);
    END IF;
    PERFORM dcops.act_reason_check('resume', reason);
    PERFORM dcops.act_nodes_check(nodes, expected_versions);
    w := dcops.act_node_intents('resume', nodes, reason, NULL, NULL, expected_versions, idem_key, NULL);
    res.action_ids := w.ids;
    res.audit_id := dcops.act_audit('resume', array_to_string(nodes, ','), w.before, w.after,
                                    reason, NULL, idem_key, NULL);
    res.replayed := false;
    RETURN dcops.act_finish(idem_key, res);
END $$;

-- ---------------------------------------------------------------- quotas

-- The limits a tenant will have once its pending quota intents apply.
CREATE FUNCTION dcops.act_quota_intent(q dcops.quota) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT coalesce(
        (SELECT a.params - 'previous' - 'tenant_id' FROM dcops.actions a
          WHERE a.status = 'pending' AND a.kind IN ('quota_set', 'quota_revert')
            AND a.params->>'tenant_id' = q.tenant_id::text
          ORDER BY a.id DESC LIMIT 1),
        jsonb_build_object('gpu_limit', q.gpu_limit, 'gpu_hours_budget', q.gpu_hours_budget,
                           'storage_tb', q.storage_tb, 'expires_at', q.expires_at))
$$;

-- True when old -> new moves more than guard.quota_change_pct either way.
CREATE FUNCTION dcops.act_quota_big(old_v numeric, new_v numeric) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT CASE WHEN old_v = new_v THEN false
                WHEN old_v = 0 THEN true
                ELSE abs(new_v - old_v) * 100 > dcops.guard_text('guard.quota_change_pct')::numeric * old_v END
$$;

CREATE FUNCTION dcops.quota_set(tenant text, gpu_limit integer, gpu_hours_budget numeric,
                                storage_tb numeric, reason text, expires_at timestamptz DEFAULT NULL,
                                expected_version bigint DEFAULT NULL, idem_key text DEFAULT NULL)
RETURNS dcops.action_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    stored jsonb;
    t dcops.tenant;
    q dcops.quota;
    cur jsonb;
    nxt jsonb;
    running bigint;
    big text[];
    aid bigint;
    res dcops.action_result;
BEGIN
    stored := dcops.act_begin('quota_set', idem_key, jsonb_build_object(
        'tenant', tenant, 'gpu_limit', gpu_limit, 'gpu_hours_budget', gpu_hours_budget,
        'storage_tb', storage_tb, 'reason', reason, 'expires_at', expires_at,
        'expected_version', expected_version));
    IF stored IS NOT NULL THEN
        RETURN dcops.act_replay(stored);
    END IF;
    PERFORM dcops.act_reason_check('quota_set', reason);
    SELECT * INTO t FROM dcops.tenant x WHERE x.name = quota_set.tenant;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown tenant %', coalesce(to_json(tenant)::text, '(none)')
            USING ERRCODE = 'undefined_object';
    END IF;
    IF gpu_limit < 0 OR gpu_hours_budget < 0 OR storage_tb < 0 THEN
        RAISE EXCEPTION 'quota values cannot be negative' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF expires_at IS NOT NULL AND expires_at <= now() THEN
        RAISE EXCEPTION 'expires_at % is not in the future', dcops.act_when(expires_at)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO q FROM dcops.quota x WHERE x.tenant_id = t.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'tenant % has no quota', to_json(t.name) USING ERRCODE = 'undefined_object';
    END IF;
    IF expected_version IS NOT NULL AND expected_version <> q.limits_version THEN
        PERFORM dcops.act_conflict(format('quota of %s', to_json(t.name)), expected_version,
                                   q.limits_version, q.limits_changed_by, q.limits_changed_at);
    END IF;
    cur := dcops.act_quota_intent(q);
    nxt := jsonb_build_object(
        'gpu_limit', coalesce(gpu_limit, (cur->>'gpu_limit')::integer),
        'gpu_hours_budget', round(coalesce(gpu_hours_budget, (cur->>'gpu_hours_budget')::numeric), 1),
        'storage_tb', round(coalesce(storage_tb, (cur->>'storage_tb')::numeric), 2),
        'expires_at', expires_at);
    IF nxt = cur THEN
        RAISE EXCEPTION 'quota of % already has these values', to_json(t.name)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT array_agg(k ORDER BY k) INTO big FROM unnest(ARRAY['gpu_limit', 'gpu_hours_budget', 'storage_tb']) k
     WHERE dcops.act_quota_big((cur->>k)::numeric, (nxt->>k)::numeric);
    IF big IS NOT NULL AND NOT dcops.act_is_admin() THEN
        RAISE EXCEPTION 'changing % of % by more than % needs dcops_admin', array_to_string(big, ', '),
            to_json(t.name), dcops.guard_text('guard.quota_change_pct') || '%'
            USING ERRCODE = 'insufficient_privilege', DETAIL = 'guard.quota_change_pct';
    END IF;
    SELECT coalesce(sum(j.gpus), 0) INTO running FROM dcops.job j
     WHERE j.tenant_id = t.id AND j.state = 'running';
    IF (nxt->>'gpu_limit')::integer < running AND (nxt->>'gpu_limit')::integer < (cur->>'gpu_limit')::integer
       AND NOT dcops.act_is_admin() THEN
        RAISE EXCEPTION 'gpu_limit % for % is below its % running GPUs: needs dcops_admin',
            nxt->>'gpu_limit', to_json(t.name), running
            USING ERRCODE = 'insufficient_privilege', DETAIL = 'guard.quota_below_use';
    END IF;
    UPDATE dcops.quota x SET limits_version = x.limits_version + 1, limits_changed_by = session_user,
                             limits_changed_at = now()
     WHERE x.id = q.id;
    INSERT INTO dcops.actions (kind, target, params, reason, requested_by, idempotency_key)
    VALUES ('quota_set', t.name,
            jsonb_build_object('tenant_id', t.id) || nxt || jsonb_build_object('previous', cur),
            reason, session_user, dcops.act_row_key(idem_key, 'quota'))
    RETURNING id INTO aid;
    res.action_ids := ARRAY[aid];
    res.audit_id := dcops.act_audit('quota_set', t.name,
        cur || jsonb_build_object('limits_version', q.limits_version, 'gpus_running', running),
        nxt || jsonb_build_object('limits_version', q.limits_version + 1, 'action_id', aid),
        reason, NULL, idem_key, NULL);
    res.replayed := false;
    RETURN dcops.act_finish(idem_key, res);
END $$;

-- Called by the adapter: queues a quota_revert action (and its audit row)
-- for every time-boxed quota whose expiry has passed and that has no
-- pending quota intent. The previous limits come from quota.prev_values,
-- else from the applied quota_set that set the expiry. Safe to call as
-- often as wanted: one revert per (tenant, expiry). Returns the new ids.
CREATE FUNCTION dcops.quota_revert_due() RETURNS SETOF bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    q record;
    prev jsonb;
    cur jsonb;
    nxt jsonb;
    aid bigint;
BEGIN
    IF NOT (pg_has_role(session_user, 'dcops_adapter', 'MEMBER') OR dcops.act_is_admin()) THEN
        RAISE EXCEPTION 'dcops.quota_revert_due: % is not the adapter', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    FOR q IN SELECT x.*, t.name AS tenant_name FROM dcops.quota x JOIN dcops.tenant t ON t.id = x.tenant_id
              WHERE x.expires_at <= now() ORDER BY x.id FOR UPDATE OF x SKIP LOCKED LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM dcops.actions a
                               WHERE a.status = 'pending' AND a.kind IN ('quota_set', 'quota_revert')
                                 AND a.params->>'tenant_id' = q.tenant_id::text);
        prev := coalesce(q.prev_values,
            (SELECT a.params->'previous' FROM dcops.actions a
              WHERE a.status = 'applied' AND a.kind = 'quota_set'
                AND a.params->>'tenant_id' = q.tenant_id::text
                AND (a.params->>'expires_at')::timestamptz = q.expires_at
              ORDER BY a.id DESC LIMIT 1));
        CONTINUE WHEN prev IS NULL;
        cur := jsonb_build_object('gpu_limit', q.gpu_limit, 'gpu_hours_budget', q.gpu_hours_budget,
                                  'storage_tb', q.storage_tb, 'expires_at', q.expires_at);
        nxt := jsonb_build_object('gpu_limit', prev->'gpu_limit', 'gpu_hours_budget', prev->'gpu_hours_budget',
                                  'storage_tb', prev->'storage_tb',
                                  'expires_at', CASE WHEN (prev->>'expires_at')::timestamptz > now()
                                                     THEN prev->'expires_at' END);
        INSERT INTO dcops.actions (kind, target, params, reason, requested_by, idempotency_key)
        VALUES ('quota_revert', q.tenant_name,
                jsonb_build_object('tenant_id', q.tenant_id) || nxt || jsonb_build_object('previous', cur),
                format('time-boxed quota expired at %s', dcops.act_when(q.expires_at)), session_user,
                format('quota_revert/%s/%s', q.tenant_id, extract(epoch FROM q.expires_at)::bigint))
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING id INTO aid;
        CONTINUE WHEN aid IS NULL;
        UPDATE dcops.quota x SET limits_version = x.limits_version + 1, limits_changed_by = session_user,
                                 limits_changed_at = now()
         WHERE x.id = q.id;
        PERFORM dcops.act_audit('quota_revert', q.tenant_name, cur, nxt || jsonb_build_object('action_id', aid),
                                format('time-boxed quota expired at %s', dcops.act_when(q.expires_at)),
                                NULL, NULL, NULL);
        RETURN NEXT aid;
        aid := NULL;
    END LOOP;
END $$;

-- ---------------------------------------------------------------- incidents

CREATE FUNCTION dcops.act_incident_json(i dcops.incident) RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT jsonb_build_object('state', i.state, 'sev', i.sev, 'owner', i.owner,
                              'op_version', i.op_version)
$$;

-- Locks an incident for a change; checks it exists, is open unless
-- allow_resolved, and still has the op_version the caller saw.
CREATE FUNCTION dcops.act_incident_lock(id bigint, expected_version bigint, allow_resolved boolean)
RETURNS dcops.incident
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    inc dcops.incident;
BEGIN
    SELECT * INTO inc FROM dcops.incident i WHERE i.id = act_incident_lock.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown incident %', coalesce(id::text, '(none)') USING ERRCODE = 'undefined_object';
    END IF;
    IF expected_version IS NOT NULL AND expected_version <> inc.op_version THEN
        PERFORM dcops.act_conflict(format('incident %s', id), expected_version, inc.op_version,
                                   inc.op_changed_by, inc.op_changed_at);
    END IF;
    IF inc.state = 'resolved' AND NOT allow_resolved THEN
        RAISE EXCEPTION 'incident % is resolved (by % at %)', id,
            coalesce(inc.op_changed_by, 'an unknown role'), dcops.act_when(inc.resolved_at)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN inc;
END $$;

-- Links nodes and tenants (refusing unknown names); returns what was newly linked.
CREATE FUNCTION dcops.act_incident_link(id bigint, nodes text[], tenants text[]) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    bad text;
    ln text[];
    lt text[];
BEGIN
    SELECT dcops.act_names(array_agg(n ORDER BY o)) INTO bad FROM unnest(nodes) WITH ORDINALITY u(n, o)
     WHERE NOT EXISTS (SELECT 1 FROM dcops.node x WHERE x.name = u.n);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown node(s): %', bad USING ERRCODE = 'undefined_object';
    END IF;
    SELECT dcops.act_names(array_agg(n ORDER BY o)) INTO bad FROM unnest(tenants) WITH ORDINALITY u(n, o)
     WHERE NOT EXISTS (SELECT 1 FROM dcops.tenant x WHERE x.name = u.n);
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown tenant(s): %', bad USING ERRCODE = 'undefined_object';
    END IF;
    WITH ins AS (
        INSERT INTO dcops.incident_node (incident_id, node_id)
        SELECT act_incident_link.id, x.id FROM dcops.node x WHERE x.name = ANY (nodes)
        ON CONFLICT DO NOTHING RETURNING node_id)
    SELECT coalesce(array_agg(x.name ORDER BY x.name), '{}') INTO ln
      FROM ins JOIN dcops.node x ON x.id = ins.node_id;
    WITH ins AS (
        INSERT INTO dcops.incident_tenant (incident_id, tenant_id)
        SELECT act_incident_link.id, x.id FROM dcops.tenant x WHERE x.name = ANY (tenants)
        ON CONFLICT DO NOTHING RETURNING tenant_id)
    SELECT coalesce(array_agg(x.name ORDER BY x.name), '{}') INTO lt
      FROM ins JOIN dcops.tenant x ON x.id = ins.tenant_id;
    RETURN jsonb_build_object('nodes', ln, 'tenants', lt);
END $$;

CREATE FUNCTION dcops.act_incident_event(id bigint, kind text, body text) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, dcops, pg_temp AS $$
    INSERT INTO dcops.incident_event (incident_id, actor, kind, body) VALUES (id, session_user, kind, body)
$$;

CREATE FUNCTION dcops.act_incident_done(action text, inc dcops.incident, before jsonb, after jsonb,
                                        reason text, key text) RETURNS dcops.action_result
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    res dcops.action_result;
BEGIN
    res.action_ids := '{}';
    res.incident_id := inc.id;
    res.audit_id := dcops.act_audit(action, format('incident/%s', inc.id), before, after, reason,
                                    inc.id, key, inc.drill_id);
    res.replayed := false;
    RETURN dcops.act_finish(key, res);
END $$;

CREATE FUNCTION dcops.incident_open(sev integer, title text, impact text DEFAULT '',
                                    nodes text[] DEFAULT NULL, tenants text[] DEFAULT NULL,
                                    idem_key text DEFAULT NULL)
RETURNS dcops.action_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    stored jsonb;
    inc dcops.incident;
    links jsonb;
BEGIN
    stored := dcops.act_begin('incident_open', idem_key, jsonb_build_object(
        'sev', sev, 'title', title, 'impact', impact, 'nodes', nodes, 'tenants', tenants));
    IF stored IS NOT NULL THEN
        RETURN dcops.act_replay(stored);
    END IF;
    IF sev IS NULL OR sev NOT BETWEEN 1 AND 5 THEN
        RAISE EXCEPTION 'severity must be 1 to 5, not %', coalesce(sev::text, 'none')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF length(btrim(coalesce(title, ''))) NOT BETWEEN 3 AND 300 THEN
        RAISE EXCEPTION 'title must be 3 to 300 characters' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO dcops.incident (sev, title, impact, source)
    VALUES (sev, btrim(title), coalesce(impact, ''), 'manual') RETURNING * INTO inc;
    links := dcops.act_incident_link(inc.id, nodes, tenants);
    PERFORM dcops.act_incident_event(inc.id, 'opened', format('sev %s: %s', sev, btrim(title)));
    RETURN dcops.act_incident_done('incident_open', inc, NULL,
        dcops.act_incident_json(inc) || jsonb_build_object('title', inc.title, 'impact', inc.impact) || links,
        btrim(title), idem_key);
END $$;

CREATE FUNCTION dcops.incident_ack(id bigint, expected_version bigint DEFAULT NULL,
                                   idem_key text DEFAULT NULL)
RETURNS dcops.action_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    stored jsonb;
    inc dcops.incident;
    old jsonb;
BEGIN
    stored := dcops.act_begin('incident_ack', idem_key, jsonb_build_object(
        'id', id, 'expected_version', expected_version));
    IF stored IS NOT NULL THEN
        RETURN dcops.act_replay(stored);
    END IF;
    inc := dcops.act_incident_lock(id, expected_version, false);
    IF inc.state <> 'triggered' THEN
        RAISE EXCEPTION 'incident % is already % (owner %, since %)', id, inc.state,
            coalesce(inc.owner, 'none'), dcops.act_when(coalesce(inc.acknowledged_at, inc.op_changed_at))
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    old := dcops.act_incident_json(inc);
    UPDATE dcops.incident i SET state = 'acknowledged', owner = session_user, acknowledged_at = now()
     WHERE i.id = incident_ack.id RETURNING * INTO inc;
    PERFORM dcops.act_incident_event(inc.id, 'ack', format('acknowledged by %s', session_user));
    RETURN dcops.act_incident_done('incident_ack', inc, old, dcops.act_incident_json(inc), '', idem_key);
END $$;

CREATE FUNCTION dcops.incident_assign(id bigint, owner text, expected_version bigint DEFAULT NULL,
                                      idem_key text DEFAULT NULL)
RETURNS dcops.action_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    stored jsonb;
    inc dcops.incident;
    old jsonb;
BEGIN
    stored := dcops.act_begin('incident_assign', idem_key, jsonb_build_object(
        'id', id, 'owner', owner, 'expected_version', expected_version));
    IF stored IS NOT NULL THEN
        RETURN dcops.act_replay(stored);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = owner AND r.rolcanlogin
                      AND pg_has_role(r.oid, 'dcops_operator', 'MEMBER')) THEN
        RAISE EXCEPTION 'unknown operator % (no login role in dcops_operator)',
            coalesce(to_json(owner)::text, '(none)') USING ERRCODE = 'undefined_object';
    END IF;
    inc := dcops.act_incident_lock(id, expected_version, false);
    IF inc.owner = owner THEN
        RAISE EXCEPTION 'incident % is already owned by %', id, owner USING ERRCODE = 'invalid_parameter_value';
    END IF;
    old := dcops.act_incident_json(inc);
    UPDATE dcops.incident i
       SET owner = incident_assign.owner,
           state = CASE WHEN i.state = 'triggered' THEN 'acknowledged' ELSE i.state END,
           acknowledged_at = coalesce(i.acknowledged_at, now())
     WHERE i.id = incident_assign.id RETURNING * INTO inc;
    PERFORM dcops.act_incident_event(inc.id, 'assign',
        format('assigned to %s by %s', owner, session_user));
    RETURN dcops.act_incident_done('incident_assign', inc, old, dcops.act_incident_json(inc), '', idem_key);
END $$;

CREATE FUNCTION dcops.incident_sev(id bigint, sev integer, reason text,
                                   expected_version bigint DEFAULT NULL, idem_key text DEFAULT NULL)
RETURNS dcops.action_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    stored jsonb;
    inc dcops.incident;
    old jsonb;
BEGIN
    stored := dcops.act_begin('incident_sev', idem_key, jsonb_build_object(
        'id', id, 'sev', sev, 'reason', reason, 'expected_version', expected_version));
    IF stored IS NOT NULL THEN
        RETURN dcops.act_replay(stored);
    END IF;
    IF sev IS NULL OR sev NOT BETWEEN 1 AND 5 THEN
        RAISE EXCEPTION 'severity must be 1 to 5, not %', coalesce(sev::text, 'none')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM dcops.act_reason_check('incident_sev', reason);
    inc := dcops.act_incident_lock(id, expected_version, false);
    IF inc.sev = sev THEN
        RAISE EXCEPTION 'incident % is already sev %', id, sev USING ERRCODE = 'invalid_parameter_value';
    END IF;
    old := dcops.act_incident_json(inc);
    UPDATE dcops.incident i SET sev = incident_sev.sev WHERE i.id = incident_sev.id RETURNING * INTO inc;
    PERFORM dcops.act_incident_event(inc.id, 'sev', format('sev %s -> %s: %s', old->>'sev', sev, reason));
    RETURN dcops.act_incident_done('incident_sev', inc, old, dcops.act_incident_json(inc), reason, idem_key);
END $$;

CREATE FUNCTION dcops.incident_note(id bigint, body text, idem_key text DEFAULT NULL)
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
    PERFORM dcops.act_incident_event(inc.id, 'note', btrim(body));
    RETURN dcops.act_incident_done('incident_note', inc, NULL, jsonb_build_object('note', btrim(body)),
                                   '', idem_key);
END $$;

CREATE FUNCTION dcops.incident_link(id bigint, nodes text[], tenants text[], idem_key text DEFAULT NULL)
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
    PERFORM dcops.act_incident_event(inc.id, 'link', format('linked %s',
        concat_ws(', ', nullif(array_to_string(nodes, ' '), ''), nullif(array_to_string(tenants, ' '), ''))));
    RETURN dcops.act_incident_done('incident_link', inc, NULL, links, '', idem_key);
END $$;

CREATE FUNCTION dcops.incident_resolve(id bigint, summary text, expected_version bigint DEFAULT NULL,
                                       idem_key text DEFAULT NULL)
RETURNS dcops.action_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    stored jsonb;
    inc dcops.incident;
    old jsonb;
BEGIN
    stored := dcops.act_begin('incident_resolve', idem_key, jsonb_build_object(
        'id', id, 'summary', summary, 'expected_version', expected_version));
    IF stored IS NOT NULL THEN
        RETURN dcops.act_replay(stored);
    END IF;
    PERFORM dcops.act_reason_check('resolve', summary);
    inc := dcops.act_incident_lock(id, expected_version, false);
    old := dcops.act_incident_json(inc);
    UPDATE dcops.incident i
       SET state = 'resolved', resolved_at = now(), summary = btrim(incident_resolve.summary),
           owner = coalesce(i.owner, session_user)
     WHERE i.id = incident_resolve.id RETURNING * INTO inc;
    PERFORM dcops.act_incident_event(inc.id, 'resolved', btrim(summary));
    RETURN dcops.act_incident_done('incident_resolve', inc, old,
        dcops.act_incident_json(inc) || jsonb_build_object('summary', inc.summary), summary, idem_key);
END $$;

-- ---------------------------------------------------------------- rights

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dcops FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    dcops.drain(text[], text, bigint, timestamptz, bigint[], text, boolean),
    dcops.resume(text[], text, bigint[], text),
    dcops.quota_set(text, integer, numeric, numeric, text, timestamptz, bigint, text),
    dcops.incident_open(integer, text, text, text[], text[], text),
    dcops.incident_ack(bigint, bigint, text),
    dcops.incident_assign(bigint, text, bigint, text),
    dcops.incident_sev(bigint, integer, text, bigint, text),
    dcops.incident_note(bigint, text, text),
    dcops.incident_link(bigint, text[], text[], text),
    dcops.incident_resolve(bigint, text, bigint, text)
TO dcops_operator;
GRANT EXECUTE ON FUNCTION dcops.quota_revert_due() TO dcops_adapter;
