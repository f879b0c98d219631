-- 040_job_actions: what operators do to a job — cancel, hold, release —
-- and the job's priority (issue 17, "Going from one thing to the next").
--
-- Each is an intent like a drain (005_actions.sql, 030_hardening.sql):
-- one SECURITY DEFINER function checks the role (dcops_operator), the job's
-- state once its pending intents apply, and the guard rail, then records a
-- dcops.actions row for the adapter and exactly one audit row (which makes
-- the transaction commit with synchronous_commit = on, 030). The adapter
-- applies it: the simulator now; the Slurm adapter with `scancel JOBID`,
-- `scontrol hold JOBID` and `scontrol release JOBID`.
--
-- Held is Slurm's picture of it: a held job stays pending with reason
-- JobHeldAdmin (JobHeldUser when its owner held it) and priority 0; it
-- never starts until released.
--
-- The adapter's contract (params of the dcops.actions rows):
--   job_cancel / job_hold / job_release   target = the job id as text;
--   {"job_id", "tenant_id", "gpus", "state": the state the operator saw}
--
-- SQLSTATEs as 005: 42704 unknown job, 55000 wrong state (ended, running
-- for hold, not held for release, the same intent already pending), 42501
-- not an operator or the guard rail, 22023 reason too short.
--
-- ALTER TYPE ... ADD VALUE may run inside the migration's transaction
-- (PostgreSQL 12 and later), but the new values cannot be *used* in it:
-- nothing below compares against them outside a PL/pgSQL body, whose
-- statements are planned only when the function first runs.

ALTER TYPE dcops.action_kind ADD VALUE IF NOT EXISTS 'job_cancel';
ALTER TYPE dcops.action_kind ADD VALUE IF NOT EXISTS 'job_hold';
ALTER TYPE dcops.action_kind ADD VALUE IF NOT EXISTS 'job_release';

-- Slurm's job priority (squeue %Q): higher starts first; 0 while held.
ALTER TABLE dcops.job ADD COLUMN priority bigint NOT NULL DEFAULT 0 CHECK (priority >= 0);

INSERT INTO dcops.setting (key, value) VALUES
    -- cancelling a running job that holds this many GPUs or more needs dcops_admin
    ('guard.job_cancel_gpus', '64')
ON CONFLICT (key) DO NOTHING;

-- Finds a job's pending intents.
CREATE INDEX actions_job_pending_idx ON dcops.actions (target, id) WHERE status = 'pending';

-- Whether a pending job is held, as Slurm reports it.
CREATE FUNCTION dcops.job_is_held(j dcops.job) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT j.state = 'pending' AND j.reason IN ('JobHeldAdmin', 'JobHeldUser')
$$;

-- The one function behind the three: kind is 'job_cancel', 'job_hold' or
-- 'job_release'; the verb names it in messages.
CREATE FUNCTION dcops.act_job(kind text, job_id bigint, reason text, idem_key text)
RETURNS dcops.action_result
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    verb text := replace(kind, 'job_', '');
    stored jsonb;
    j dcops.job;
    pend dcops.actions;
    held boolean;
    intent text;
    big integer := dcops.guard_text('guard.job_cancel_gpus')::integer;
    aid bigint;
    res dcops.action_result;
BEGIN
    stored := dcops.act_begin(kind, idem_key, jsonb_build_object('job_id', job_id, 'reason', reason));
    IF stored IS NOT NULL THEN
        RETURN dcops.act_replay(stored);
    END IF;
    PERFORM dcops.act_reason_check(verb, reason);
    SELECT * INTO j FROM dcops.job x WHERE x.id = act_job.job_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown job %', coalesce(job_id::text, '(none)')
            USING ERRCODE = 'undefined_object';
    END IF;
    -- the job as it will be once the intents already queued apply
    SELECT * INTO pend FROM dcops.actions a
     WHERE a.status = 'pending' AND a.target = j.id::text
       AND a.kind::text IN ('job_cancel', 'job_hold', 'job_release')
     ORDER BY a.id DESC LIMIT 1;
    held := CASE pend.kind::text WHEN 'job_hold' THEN true WHEN 'job_release' THEN false
                                 ELSE dcops.job_is_held(j) END;
    IF pend.kind::text = 'job_cancel' OR pend.kind::text = kind THEN
        RAISE EXCEPTION 'job %: % #% requested by % at % is pending', j.id,
            replace(pend.kind::text, 'job_', ''), pend.id, pend.requested_by, dcops.act_when(pend.requested_at)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF j.state NOT IN ('pending', 'running') THEN
        RAISE EXCEPTION 'job % has ended (%) at %: nothing to %', j.id, j.state, dcops.act_when(j.end_at), verb
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF kind = 'job_hold' AND j.state = 'running' THEN
        RAISE EXCEPTION 'job % is running: a running job cannot be held (only a pending one); cancel it instead',
            j.id USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF kind = 'job_hold' AND held THEN
        RAISE EXCEPTION 'job % is already held', j.id USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF kind = 'job_release' AND NOT held THEN
        RAISE EXCEPTION 'job % is not held (%, %): nothing to release', j.id, j.state,
            coalesce(nullif(j.reason, ''), 'no reason') USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF kind = 'job_cancel' AND j.state = 'running' AND j.gpus >= big AND NOT dcops.act_is_admin() THEN
        RAISE EXCEPTION 'cancelling running job % (% GPUs) needs dcops_admin: % GPUs or more',
            j.id, j.gpus, big USING ERRCODE = 'insufficient_privilege', DETAIL = 'guard.job_cancel_gpus';
    END IF;
    intent := CASE kind WHEN 'job_cancel' THEN 'cancelled' WHEN 'job_hold' THEN 'held' ELSE 'released' END;
    INSERT INTO dcops.actions (kind, target, params, reason, requested_by, idempotency_key)
    VALUES (kind::dcops.action_kind, j.id::text,
            jsonb_build_object('job_id', j.id, 'tenant_id', j.tenant_id, 'gpus', j.gpus, 'state', j.state),
            reason, session_user, dcops.act_row_key(idem_key, 'job' || j.id))
    RETURNING id INTO aid;
    res.action_ids := ARRAY[aid];
    res.audit_id := dcops.act_audit(kind, 'job ' || j.id,
        jsonb_build_object('state', j.state, 'reason', j.reason, 'held', held, 'tenant_id', j.tenant_id,
                           'gpus', j.gpus, 'node_list', j.node_list, 'priority', j.priority),
        jsonb_build_object('intent', intent, 'action_id', aid),
        reason, NULL, idem_key, NULL);
    res.replayed := false;
    RETURN dcops.act_finish(idem_key, res);
END $$;

CREATE FUNCTION dcops.job_cancel(job_id bigint, reason text, idem_key text DEFAULT NULL)
RETURNS dcops.action_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
BEGIN
    RETURN dcops.act_job('job_cancel', job_id, reason, idem_key);
END $$;

CREATE FUNCTION dcops.job_hold(job_id bigint, reason text, idem_key text DEFAULT NULL)
RETURNS dcops.action_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
BEGIN
    RETURN dcops.act_job('job_hold', job_id, reason, idem_key);
END $$;

CREATE FUNCTION dcops.job_release(job_id bigint, reason text, idem_key text DEFAULT NULL)
RETURNS dcops.action_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
BEGIN
    RETURN dcops.act_job('job_release', job_id, reason, idem_key);
END $$;

-- ---------------------------------------------------------------- rights

REVOKE ALL ON FUNCTION dcops.job_is_held(dcops.job), dcops.act_job(text, bigint, text, text),
    dcops.job_cancel(bigint, text, text), dcops.job_hold(bigint, text, text),
    dcops.job_release(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dcops.job_cancel(bigint, text, text), dcops.job_hold(bigint, text, text),
    dcops.job_release(bigint, text, text) TO dcops_operator;
