-- 070_replication.sql — operator actions survive the primary's death
-- (issue 15).
--
-- 030 made every transaction that appends an audit row (every operator
-- action, the adapter's records) commit with synchronous_commit = on: the
-- WAL is flushed on the primary before the operator is told. With a
-- synchronous standby configured (synchronous_standby_names, as Patroni's
-- synchronous_mode sets it), "on" waits for the standby to flush, not to
-- apply: a console reading that standby, or the standby promoted a moment
-- later, could still miss what the operator was told is recorded. These
-- transactions now commit with remote_apply there: the COMMIT returns once
-- the synchronous standby has applied it, so an acknowledged action is on
-- the server that takes over and visible to the consoles reading it.
-- Without a synchronous standby remote_apply would mean the same as on;
-- "on" is kept there so the setting shown is the one in effect.
-- Telemetry (no audit row) keeps the server's setting.
CREATE OR REPLACE FUNCTION dcops.audit_durable() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    PERFORM set_config('synchronous_commit',
                       CASE WHEN current_setting('synchronous_standby_names') <> ''
                            THEN 'remote_apply' ELSE 'on' END, true);
    RETURN NULL;
END $$;
