-- 050_slurm_adapter: what the Slurm adapter (dcopsd --adapter slurm) needs
-- beyond the simulator's tables.
--
--   dcops.job.explain       why a pending job waits, in plain words with the
--                           numbers (backend/adapter/slurm/slurm-explain.h);
--                           '' when running, ended or not known.
--   dcops.tenant.slurm_account  the Slurm account a tenant mirrors (the
--                           stable key: the display name is the account's
--                           description, which an admin may change); NULL
--                           for tenants dcops made itself (the simulator).
--   dcops.audit.recorded_by who wrote an audit row (session_user), stamped
--                           for every row from now on; it differs from actor
--                           only for external actions below.
--   dcops.adapter_audit_external(action, target, before, after, reason, actor)
--                           an action taken in Slurm itself, outside dcops
--                           (an admin's scontrol drain, the health check,
--                           a sacctmgr limit change): actor 'slurm:<user>',
--                           recorded_by the adapter's session_user.
--
-- The adapter mirrors Slurm's partitions and accounts and places nodes in
-- the site inventory's halls and racks, so it also inserts and updates
-- those tables (003_roles.sql gave it node, gpu, job and quota only).

ALTER TABLE dcops.job ADD COLUMN explain text NOT NULL DEFAULT '';
ALTER TABLE dcops.tenant ADD COLUMN slurm_account text UNIQUE
    CHECK (slurm_account IS NULL OR length(slurm_account) BETWEEN 1 AND 64);
ALTER TABLE dcops.audit ADD COLUMN recorded_by text;

GRANT INSERT, UPDATE ON dcops.site, dcops.hall, dcops.rack, dcops.partition, dcops.tenant
    TO dcops_adapter;

-- The stamp stays the server's fact: actor is session_user, except that an
-- adapter session may name an external Slurm actor for the row it is
-- writing through adapter_audit_external (the transaction-local setting is
-- set and cleared there). Only 'slurm:<name>' passes: an adapter cannot
-- write an operator's name into actor, and recorded_by keeps who wrote it.
CREATE OR REPLACE FUNCTION dcops.audit_stamp() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    ext text := current_setting('dcops.audit_external_actor', true);
BEGIN
    NEW.actor := session_user;
    IF coalesce(ext, '') ~ '^slurm:[A-Za-z0-9._-]{1,64}$'
       AND pg_has_role(session_user, 'dcops_adapter', 'MEMBER') THEN
        NEW.actor := ext;
    END IF;
    NEW.recorded_by := session_user;
    NEW.ts := now();
    NEW.client_addr := coalesce(host(inet_client_addr()), 'local');
    RETURN NEW;
END $$;

CREATE FUNCTION dcops.adapter_audit_external(action text, target text, before jsonb, after jsonb,
                                             reason text, actor text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    id bigint;
BEGIN
    IF actor IS NULL OR actor !~ '^slurm:[A-Za-z0-9._-]{1,64}$' THEN
        RAISE EXCEPTION 'dcops.adapter_audit_external: actor % is not slurm:<user>',
            left(coalesce(to_json(actor)::text, 'NULL'), 80) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM set_config('dcops.audit_external_actor', actor, true);
    BEGIN
        id := dcops.adapter_audit(action, target, before, after, reason);
    EXCEPTION WHEN OTHERS THEN
        PERFORM set_config('dcops.audit_external_actor', '', true);
        RAISE;
    END;
    PERFORM set_config('dcops.audit_external_actor', '', true);
    RETURN id;
END $$;

REVOKE ALL ON FUNCTION dcops.adapter_audit_external(text, text, jsonb, jsonb, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dcops.adapter_audit_external(text, text, jsonb, jsonb, text, text) TO dcops_adapter;
