-- 030_hardening: the audit, the timeline, the quota guard and durable
-- actions, after a security review (issue 12, items 2, 8, 9, 10 and
-- "durable actions").
--
-- What the audit's protection is, precisely (002_feed.sql says "append-only
-- for everyone, superusers included"; that is wrong, and this is the
-- correction):
--   * No role but the table's owner may INSERT, UPDATE, DELETE or TRUNCATE
--     dcops.audit. Rows come only from the SECURITY DEFINER functions
--     (operators' actions through dcops.act_audit, the adapter through
--     dcops.adapter_audit below), and every row is stamped by a trigger
--     with the session_user, now() and the client address, whatever the
--     writer passed.
--   * The triggers of 002_feed.sql refuse UPDATE, DELETE and TRUNCATE for
--     every role, the owner and superusers included, *while the triggers
--     are enabled*.
--   * Not protected: the table's owner can ALTER TABLE ... DISABLE TRIGGER
--     or DROP TRIGGER, and a superuser can also SET session_replication_role
--     = replica, which skips ordinary triggers, and then change or delete
--     rows; a superuser can do anything to the files as well. The database
--     cannot protect the audit from its own owner or a superuser.
--   * A site keeps the audit trustworthy anyway by making the owner a role
--     nobody logs in as, logging superuser sessions to a place the
--     superuser cannot rewrite, and, optionally, streaming audit rows out
--     as they are written (SECURITY.md, "The audit: what is protected").
-- The same holds for an incident's timeline (dcops.incident_event): no
-- role may delete or change its rows, and triggers refuse it for the
-- owner and superusers too, within the same limits.
--
-- Durable actions: every transaction that appends an audit row (every
-- operator action, the adapter's quota reverts and records) commits with
-- synchronous_commit = on, whatever the server or session says; telemetry
-- (node, GPU, job and usage writes, which append no audit row) keeps the
-- server's setting.
--
-- The quota guard (guard.quota_change_pct) measures each change against the
-- quota as it stood at the start of guard.quota_window, as the drain guard
-- counts within guard.drain_window, so a walk of small steps (8 -> 12 ->
-- 18 -> ...) is refused at the step that takes it past the limit. Quota
-- values are finite, non-negative and below guard.quota_max_*.

INSERT INTO dcops.setting (key, value) VALUES
    ('guard.quota_window', '1 hour'),             -- changes within it add up
    ('guard.quota_max_gpus', '100000'),           -- sane upper bounds of a quota
    ('guard.quota_max_gpu_hours', '100000000'),
    ('guard.quota_max_storage_tb', '1000000')
ON CONFLICT (key) DO NOTHING;

-- ---------------------------------------------------------------- the audit

-- Nobody but the owner writes the audit directly; the functions, which run
-- as the owner, do it for everyone. Revoked from every role that holds a
-- write right today (003_roles.sql gave the adapter INSERT).
DO $$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT DISTINCT c.oid::regclass AS tbl, a.grantee,
                    CASE WHEN c.oid = 'dcops.audit'::regclass THEN 'INSERT, UPDATE, DELETE, TRUNCATE'
                         ELSE 'UPDATE, DELETE, TRUNCATE' END AS privs
               FROM pg_catalog.pg_class c, aclexplode(c.relacl) a
              WHERE c.oid IN ('dcops.audit'::regclass, 'dcops.incident_event'::regclass)
                AND a.grantee <> c.relowner
                AND a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE') LOOP
        EXECUTE format('REVOKE %s ON %s FROM %s', g.privs, g.tbl,
                       CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE g.grantee::regrole::text END);
    END LOOP;
END $$;

-- Who, when and from where are the server's facts, not the writer's claim.
CREATE FUNCTION dcops.audit_stamp() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    NEW.actor := session_user;
    NEW.ts := now();
    NEW.client_addr := coalesce(host(inet_client_addr()), 'local');
    RETURN NEW;
END $$;
CREATE TRIGGER audit_stamp BEFORE INSERT ON dcops.audit
    FOR EACH ROW EXECUTE FUNCTION dcops.audit_stamp();

-- A transaction that appends to the audit recorded something an operator
-- is told about: its commit waits for the WAL flush even when the server
-- or the session runs with synchronous_commit = off. set_config(.., true)
-- lasts to the end of the transaction: a function's SET clause would be
-- undone when the function returns, before the commit.
CREATE FUNCTION dcops.audit_durable() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    PERFORM set_config('synchronous_commit', 'on', true);
    RETURN NULL;
END $$;
CREATE TRIGGER audit_durable AFTER INSERT ON dcops.audit
    FOR EACH STATEMENT EXECUTE FUNCTION dcops.audit_durable();

-- The adapter records what it did through this function: one audit row,
-- stamped (by audit_stamp) with the adapter's session_user, now() and its
-- address. Returns the row's id.
CREATE FUNCTION dcops.adapter_audit(action text, target text, before jsonb, after jsonb, reason text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
BEGIN
    IF NOT (pg_has_role(session_user, 'dcops_adapter', 'MEMBER') OR dcops.act_is_admin()) THEN
        RAISE EXCEPTION 'dcops.adapter_audit: % is not the adapter', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF action IS NULL OR action !~ '^[a-z][a-z0-9_.]{0,39}$' THEN
        RAISE EXCEPTION 'dcops.adapter_audit: action % is not [a-z][a-z0-9_.]{0,39}',
            left(coalesce(to_json(action)::text, 'NULL'), 80) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF length(coalesce(target, '')) NOT BETWEEN 1 AND 200 OR length(reason) > 2000 THEN
        RAISE EXCEPTION 'dcops.adapter_audit: target must be 1 to 200 characters, reason at most 2000'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN dcops.act_audit(action, target, before, after, reason, NULL, NULL, NULL);
END $$;

-- ---------------------------------------------------------------- the timeline

-- An incident's timeline is history too: rows are added, never changed or
-- removed (the adapter keeps INSERT for its signals).
CREATE FUNCTION dcops.timeline_refuse() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'dcops.incident_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'timeline rows are never changed or removed; add a note instead';
END $$;
CREATE TRIGGER timeline_no_update BEFORE UPDATE OR DELETE ON dcops.incident_event
    FOR EACH ROW EXECUTE FUNCTION dcops.timeline_refuse();
CREATE TRIGGER timeline_no_truncate BEFORE TRUNCATE ON dcops.incident_event
    FOR EACH STATEMENT EXECUTE FUNCTION dcops.timeline_refuse();

-- ---------------------------------------------------------------- quota values

-- numeric columns accept NaN (and NaN >= 0 is true): refuse it in the table
-- too, whoever writes. NOT VALID: a database that already holds a NaN
-- migrates, and the next write of that row must fix it.
ALTER TABLE dcops.quota
    ADD CONSTRAINT quota_gpu_hours_budget_finite CHECK (gpu_hours_budget <> 'NaN') NOT VALID,
    ADD CONSTRAINT quota_gpu_hours_used_finite CHECK (gpu_hours_used <> 'NaN') NOT VALID,
    ADD CONSTRAINT quota_storage_tb_finite CHECK (storage_tb <> 'NaN') NOT VALID,
    ADD CONSTRAINT quota_storage_used_tb_finite CHECK (storage_used_tb <> 'NaN') NOT VALID;

-- A quota value (NULL: unchanged) must be finite, >= 0 and <= the setting max_key.
CREATE FUNCTION dcops.act_quota_value_check(field text, v numeric, max_key text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    max numeric := dcops.guard_text(max_key)::numeric;
BEGIN
    IF v IS NULL THEN
        RETURN;
    END IF;
    IF v IN ('NaN', 'Infinity', '-Infinity') OR v < 0 OR v > max THEN
        RAISE EXCEPTION '% must be a finite number from 0 to %, not %', field, max, v
            USING ERRCODE = 'invalid_parameter_value', DETAIL = max_key;
    END IF;
END $$;

-- ---------------------------------------------------------------- the quota guard

-- Finds a tenant's quota_set and quota_revert rows in id order.
CREATE INDEX actions_quota_tenant_idx ON dcops.actions (((params->>'tenant_id')), id)
    WHERE kind IN ('quota_set', 'quota_revert');

-- The limits a tenant had at the start of guard.quota_window: what the
-- window's first quota intent replaced, else (no change in the window)
-- the limits it has now, cur.
CREATE FUNCTION dcops.act_quota_baseline(tenant_id integer, cur jsonb) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT coalesce(
        (SELECT a.params->'previous' FROM dcops.actions a
          WHERE a.kind IN ('quota_set', 'quota_revert')
            AND a.params->>'tenant_id' = act_quota_baseline.tenant_id::text
            AND a.requested_at >= now() - dcops.guard_text('guard.quota_window')::interval
          ORDER BY a.id LIMIT 1),
        cur)
$$;

-- As 005_actions.sql, with the values range-checked and the >50% guard
-- measured both against the pending intent (one step) and against the
-- window's baseline (the steps together).
CREATE OR REPLACE FUNCTION dcops.quota_set(tenant text, gpu_limit integer, gpu_hours_budget numeric,
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
    base jsonb;
    nxt jsonb;
    running bigint;
    big text[];
    steps text;
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
    PERFORM dcops.act_quota_value_check('gpu_limit', gpu_limit, 'guard.quota_max_gpus');
    PERFORM dcops.act_quota_value_check('gpu_hours_budget', gpu_hours_budget, 'guard.quota_max_gpu_hours');
    PERFORM dcops.act_quota_value_check('storage_tb', storage_tb, 'guard.quota_max_storage_tb');
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
    base := dcops.act_quota_baseline(t.id, cur);
    nxt := jsonb_build_object(
        'gpu_limit', coalesce(gpu_limit, (cur->>'gpu_limit')::integer),
        'gpu_hours_budget', round(coalesce(gpu_hours_budget, (cur->>'gpu_hours_budget')::numeric), 1),
        'storage_tb', round(coalesce(storage_tb, (cur->>'storage_tb')::numeric), 2),
        'expires_at', expires_at);
    IF nxt = cur THEN
        RAISE EXCEPTION 'quota of % already has these values', to_json(t.name)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT array_agg(k ORDER BY k),
           string_agg(k || ' ' || CASE WHEN base->>k IS DISTINCT FROM cur->>k
                                       THEN concat_ws(' -> ', base->>k, cur->>k, nxt->>k)
                                       ELSE concat_ws(' -> ', cur->>k, nxt->>k) END, ', ' ORDER BY k)
      INTO big, steps
      FROM unnest(ARRAY['gpu_limit', 'gpu_hours_budget', 'storage_tb']) k
     WHERE dcops.act_quota_big((cur->>k)::numeric, (nxt->>k)::numeric)
        OR dcops.act_quota_big((base->>k)::numeric, (nxt->>k)::numeric);
    IF big IS NOT NULL AND NOT dcops.act_is_admin() THEN
        RAISE EXCEPTION 'changing % of % by more than % needs dcops_admin (within %: %)',
            array_to_string(big, ', '), to_json(t.name), dcops.guard_text('guard.quota_change_pct') || '%',
            dcops.guard_text('guard.quota_window'), steps
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

-- ---------------------------------------------------------------- rights

REVOKE ALL ON FUNCTION dcops.audit_stamp(), dcops.audit_durable(), dcops.timeline_refuse(),
    dcops.act_quota_value_check(text, numeric, text), dcops.act_quota_baseline(integer, jsonb),
    dcops.adapter_audit(text, text, jsonb, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dcops.adapter_audit(text, text, jsonb, jsonb, text) TO dcops_adapter;
