-- 043_incident_jobs: going from an incident to what it touched (issue 17).
--
-- 1. incident_job keeps the jobs an incident killed. A job row is pruned
--    from dcops.job some minutes after it ends (sim-write.c prune), so the
--    link holds a copy of what the console lists (tenant, GPUs, name,
--    nodes) and no foreign key to dcops.job: the incident lists its jobs
--    after they left the job window. The adapter fills it where it kills
--    jobs (the simulator's fault path and drills).
-- 2. An open incident's timeline says when its node actually reached
--    DRAINED (its jobs ended) and when it became active again, not only the
--    operator's request: a trigger on dcops.node, so every adapter's write
--    of admin_state is recorded the same way, in the adapter's transaction
--    and with its role as the actor.
-- 3. node.report_every: how often a reachable node reports (the simulator's
--    heartbeat, SIM_BEAT_MS in sim.c); the console shows a node's AGE only
--    once its data is older than that.

CREATE TABLE dcops.incident_job (
    incident_id bigint NOT NULL REFERENCES dcops.incident(id),
    job_id      bigint NOT NULL,
    tenant_id   integer NOT NULL REFERENCES dcops.tenant(id),
    gpus        integer NOT NULL CHECK (gpus >= 1),
    name        text NOT NULL DEFAULT '',
    node_list   text NOT NULL DEFAULT '',
    PRIMARY KEY (incident_id, job_id)
);
GRANT SELECT ON dcops.incident_job TO dcops_viewer;
GRANT INSERT ON dcops.incident_job TO dcops_adapter;

-- The links an adapter writes: the killed jobs' rows as they stand now
-- (the kill has just been written), each once.
CREATE FUNCTION dcops.incident_jobs_link(incident bigint, jobs bigint[]) RETURNS integer
LANGUAGE sql SET search_path = pg_catalog, dcops, pg_temp AS $$
    WITH ins AS (
        INSERT INTO dcops.incident_job (incident_id, job_id, tenant_id, gpus, name, node_list)
        SELECT incident, j.id, j.tenant_id, j.gpus, j.name, j.node_list
          FROM dcops.job j WHERE j.id = ANY (jobs)
        ON CONFLICT DO NOTHING RETURNING 1)
    SELECT count(*)::int FROM ins
$$;
REVOKE ALL ON FUNCTION dcops.incident_jobs_link(bigint, bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dcops.incident_jobs_link(bigint, bigint[]) TO dcops_adapter;

-- A node's admin state as its adapter wrote it, on the timelines of the
-- open incidents linked to the node.
CREATE FUNCTION dcops.node_admin_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    body text;
BEGIN
    IF NEW.admin_state = 'drained' THEN
        body := format('%s drained: no job left on it (drain by %s, %s)', NEW.name,
                       coalesce(nullif(NEW.drained_by, ''), '?'), coalesce(NEW.drain_reason, ''));
    ELSIF NEW.admin_state = 'active' THEN
        body := format('%s resumed: active, schedulable again', NEW.name);
    ELSE
        RETURN NULL;
    END IF;
    INSERT INTO dcops.incident_event (incident_id, actor, kind, body)
    SELECT i.id, session_user, 'signal', body
      FROM dcops.incident_node l JOIN dcops.incident i ON i.id = l.incident_id
     WHERE l.node_id = NEW.id AND i.state <> 'resolved';
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION dcops.node_admin_event() FROM PUBLIC;

CREATE TRIGGER node_admin_event AFTER UPDATE OF admin_state ON dcops.node
    FOR EACH ROW WHEN (OLD.admin_state IS DISTINCT FROM NEW.admin_state)
    EXECUTE FUNCTION dcops.node_admin_event();

INSERT INTO dcops.setting (key, value) VALUES ('node.report_every', '30 seconds')
ON CONFLICT (key) DO NOTHING;
