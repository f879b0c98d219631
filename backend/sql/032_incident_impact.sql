-- 032_incident_impact: an incident's impact as numbers, and one severity
-- function over the reference's table (issue 17: every simulated fault
-- opened as SEV-4, one that killed 5 jobs of 4 tenants included).
--
--   incident.jobs_killed, tenants_hit, gpus_killed (GPUs the killed jobs
--        held), largest_job_gpus (the largest killed job), gpus_out (GPUs
--        on the nodes the fault took out of service). Written by whoever
--        computes the impact: the sim adapter for its faults and for a
--        drill event it applies. The text in impact stays for people.
--   dcops.severity_rule   the reference's severity table, one condition a
--        row (guesses: a site may tune them here)
--   dcops.incident_severity(scope, tenants, gpus_killed, largest_job_gpus,
--        lost_pct)   the most severe rule that matches; 4 when none does
--   dcops.drill_event_incident   drill incidents open through it too
--   drill_run.spec->'running_jobs'   a scenario's premise (backend/drill.h):
--        jobs the sim adapter starts on the named nodes when the drill
--        starts; drill_run.premise_at says when it did (once per drill,
--        whichever adapter runs). A name the database lacks is refused
--        at drill_start, like the timeline's.

ALTER TABLE dcops.incident
    ADD COLUMN jobs_killed integer NOT NULL DEFAULT 0 CHECK (jobs_killed >= 0),
    ADD COLUMN tenants_hit integer NOT NULL DEFAULT 0 CHECK (tenants_hit >= 0),
    ADD COLUMN gpus_killed integer NOT NULL DEFAULT 0 CHECK (gpus_killed >= 0),
    ADD COLUMN largest_job_gpus integer NOT NULL DEFAULT 0 CHECK (largest_job_gpus >= 0),
    ADD COLUMN gpus_out integer NOT NULL DEFAULT 0 CHECK (gpus_out >= 0);

-- One condition per row: a scope that alone sets the severity, or a
-- threshold on the impact (at least this many; lost_pct: more than).
CREATE TABLE dcops.severity_rule (
    sev              smallint NOT NULL CHECK (sev BETWEEN 1 AND 5),
    scope            text,
    min_tenants      integer,
    min_gpus_killed  integer,
    min_job_gpus     integer,
    min_lost_pct     numeric,
    note             text NOT NULL,
    CHECK (num_nonnulls(scope, min_tenants, min_gpus_killed, min_job_gpus, min_lost_pct) = 1)
);
REVOKE ALL ON dcops.severity_rule FROM PUBLIC;
GRANT SELECT ON dcops.severity_rule TO dcops_viewer;

INSERT INTO dcops.severity_rule (sev, scope, min_tenants, min_gpus_killed, min_job_gpus, min_lost_pct, note) VALUES
    (1, 'power',            NULL, NULL, NULL, NULL, 'site power outage'),
    (1, 'cooling',          NULL, NULL, NULL, NULL, 'site cooling outage'),
    (1, 'storage',          NULL, NULL, NULL, NULL, 'storage outage'),
    (1, NULL,               NULL, NULL, NULL, 25,   'more than 25% of GPUs lost'),
    (2, 'partition',        NULL, NULL, NULL, NULL, 'a partition down'),
    (2, 'scheduler',        NULL, NULL, NULL, NULL, 'the scheduler down'),
    (2, 'storage_degraded', NULL, NULL, NULL, NULL, 'storage degraded'),
    (2, NULL,               NULL, NULL, 64,   NULL, 'a 64+ GPU job killed'),
    (2, NULL,               5,    NULL, NULL, NULL, 'jobs of 5+ tenants killed'),
    (3, 'leaf',             NULL, NULL, NULL, NULL, 'a leaf switch down'),
    (3, 'rack',             NULL, NULL, NULL, NULL, 'a rack down'),
    (3, 'row',              NULL, NULL, NULL, NULL, 'a row''s cooling or power limited'),
    (3, NULL,               2,    NULL, NULL, NULL, 'jobs of 2+ tenants killed'),
    (3, NULL,               NULL, 16,   NULL, NULL, '16+ GPUs of jobs killed');

-- scope: node, gpu, tenant (no rule: 4), leaf, rack, row, partition,
-- scheduler, power, cooling, storage, storage_degraded. lost_pct: the
-- share of the fleet's GPUs out of service now, NULL when not known.
CREATE FUNCTION dcops.incident_severity(scope text, tenants integer, gpus_killed integer,
                                        largest_job_gpus integer, lost_pct numeric) RETURNS smallint
LANGUAGE sql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT coalesce(min(r.sev), 4)::smallint FROM dcops.severity_rule r
     WHERE r.scope = incident_severity.scope OR incident_severity.tenants >= r.min_tenants
        OR incident_severity.gpus_killed >= r.min_gpus_killed
        OR incident_severity.largest_job_gpus >= r.min_job_gpus OR incident_severity.lost_pct > r.min_lost_pct
$$;

-- 011's drill incidents, their severity now from the table by the event's
-- scope (the sim raises it when it applies the event and counts the jobs
-- it killed); a scenario's sev still wins.
CREATE OR REPLACE FUNCTION dcops.drill_event_incident(kind text, p jsonb, nodes text[],
                                                      OUT sev integer, OUT title text, OUT impact text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    scope text;
BEGIN
    CASE kind
    WHEN 'xid' THEN
        scope := 'node';
        title := format('%s: Xid %s on GPU %s', p->>'node', p->>'xid', p->>'gpu');
        impact := format('node %s, GPU %s', p->>'node', p->>'gpu');
    WHEN 'leaf_switch' THEN
        scope := 'leaf';
        title := format('row %s: InfiniBand leaf switch down, %s nodes cut off', p->>'row', cardinality(nodes));
        impact := format('%s nodes of row %s unreachable', cardinality(nodes), p->>'row');
    WHEN 'cooling' THEN
        scope := 'row';
        title := format('row %s: cooling failure, GPUs throttled to %s%%', p->>'row', p->>'throttle_pct');
        impact := format('%s nodes of row %s throttled', cardinality(nodes), p->>'row');
    WHEN 'storage_degraded' THEN
        scope := CASE WHEN (p->>'pct')::integer >= 50 THEN 'storage' ELSE 'storage_degraded' END;
        title := format('parallel file system degraded: %s%% of throughput lost', p->>'pct');
        impact := 'jobs reading or writing the parallel file system slow down';
    WHEN 'runaway_tenant' THEN
        scope := 'tenant';
        title := format('tenant %s holding %s GPUs at low utilisation', p->>'tenant', p->>'gpus');
        impact := 'the queue is starved while the GPUs idle';
    WHEN 'power_cap' THEN
        scope := 'row';
        title := format('row %s: power capped at %s kW', p->>'row', p->>'kw');
        impact := format('%s nodes of row %s power-limited', cardinality(nodes), p->>'row');
    END CASE;
    sev := coalesce((p->>'sev')::integer, dcops.incident_severity(scope, 0, 0, 0, NULL));
END $$;

ALTER TABLE dcops.drill_run ADD COLUMN premise_at timestamptz;

CREATE FUNCTION dcops.drill_premise_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    j record;
    missing text;
BEGIN
    FOR j IN SELECT (o - 1)::integer AS i, e FROM jsonb_array_elements(coalesce(NEW.spec->'running_jobs', '[]'))
             WITH ORDINALITY z(e, o) LOOP
        IF NOT EXISTS (SELECT 1 FROM dcops.tenant t WHERE t.name = j.e->>'tenant') THEN
            RAISE EXCEPTION 'running_jobs[%].tenant: no tenant % in this database', j.i, to_json(j.e->>'tenant')
                USING ERRCODE = 'undefined_object';
        END IF;
        SELECT min(x.name) INTO missing FROM jsonb_array_elements_text(j.e->'nodes') x(name)
         WHERE NOT EXISTS (SELECT 1 FROM dcops.node n WHERE n.name = x.name);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION 'running_jobs[%].nodes: no node % in this database', j.i, to_json(missing)
                USING ERRCODE = 'undefined_object';
        END IF;
    END LOOP;
    RETURN NEW;
END $$;
CREATE TRIGGER drill_premise_check BEFORE INSERT ON dcops.drill_run
    FOR EACH ROW EXECUTE FUNCTION dcops.drill_premise_check();

REVOKE ALL ON FUNCTION dcops.drill_premise_check() FROM PUBLIC;
REVOKE ALL ON FUNCTION dcops.incident_severity(text, integer, integer, integer, numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dcops.incident_severity(text, integer, integer, integer, numeric) TO dcops_viewer;
