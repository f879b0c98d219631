-- 080_audit_site: every audit row names the site it happened at.
--
-- With several sites in one console (issue 16) an operator's action goes
-- to one site's database; the audit row says which site that is. The site
-- is the server's fact, like the actor and the time: the code of the
-- site this database holds (dcops.site), stamped by the trigger, never
-- what a client claims. Rows written before this migration stay NULL.
ALTER TABLE dcops.audit ADD COLUMN site text;

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
    NEW.site := (SELECT s.code FROM dcops.site s ORDER BY s.id LIMIT 1);
    RETURN NEW;
END $$;
