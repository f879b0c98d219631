-- 003_roles: the console's roles. Roles are cluster-wide, so create them only
-- when missing (several dcops databases may share one cluster).
--   dcops_viewer    reads every table in schema dcops
--   dcops_operator  viewer + (in 004) drain/resume, incident work, handover
--   dcops_admin     operator + (in 004) quotas and guard-rail overrides
--   dcops_adapter   the adapter daemon: writes fleet state, jobs, telemetry
-- No console role may INSERT/UPDATE/DELETE a table directly: writes come
-- through SECURITY DEFINER functions. No passwords live in any file.

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['dcops_viewer', 'dcops_operator', 'dcops_admin', 'dcops_adapter'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END $$;

GRANT dcops_viewer TO dcops_operator;
GRANT dcops_operator TO dcops_admin;
GRANT dcops_viewer TO dcops_adapter;

REVOKE ALL ON SCHEMA dcops FROM PUBLIC;
GRANT USAGE ON SCHEMA dcops TO dcops_viewer;
REVOKE ALL ON ALL TABLES IN SCHEMA dcops FROM PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA dcops TO dcops_viewer;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dcops FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dcops.snapshot_xmin() TO dcops_viewer;

-- The adapter writes the data center's state; it never touches the audit
-- except to append, and never rewrites operator intents except their outcome.
GRANT INSERT, UPDATE, DELETE ON dcops.node, dcops.gpu, dcops.job, dcops.quota,
    dcops.incident, dcops.incident_event, dcops.incident_node, dcops.incident_tenant,
    dcops.drill_run, dcops.tombstone TO dcops_adapter;
GRANT INSERT ON dcops.usage_sample, dcops.audit TO dcops_adapter;
GRANT UPDATE (status, error, applied_at) ON dcops.actions TO dcops_adapter;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA dcops TO dcops_adapter;
