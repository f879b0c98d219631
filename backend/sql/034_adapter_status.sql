-- 034_adapter_status: the adapter says whether its source is reachable.
--
-- An adapter (dcopsd --adapter sim|slurm) reports through
-- dcops.adapter_report(name, state, error, interval_s) after every poll
-- cycle and when it stops. It lands in settings the console already
-- follows (so no new table in the change feed):
--   adapter.name        sim | slurm | ...
--   adapter.state       up | down | stopped
--   adapter.error       why it is down ('' when up)
--   adapter.since       Unix seconds when the state last changed
--   adapter.heartbeat   Unix seconds of the last report
--   adapter.interval_s  seconds between reports: a console that sees no
--                       report for 3 intervals (and 5 s) calls it DOWN
-- The adapter cannot write settings itself (guard rails live there): this
-- function writes only adapter.* keys, and only those whose value changed,
-- so a steady heartbeat changes one row per report.

CREATE FUNCTION dcops.adapter_report(p_name text, p_state text, p_error text,
                                     p_interval_s integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    now_s text := floor(extract(epoch FROM now()))::bigint::text;
    prev text;
BEGIN
    IF NOT (pg_has_role(session_user, 'dcops_adapter', 'MEMBER') OR dcops.act_is_admin()) THEN
        RAISE EXCEPTION 'dcops.adapter_report: % is not the adapter', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_name IS NULL OR p_name !~ '^[a-z][a-z0-9_-]{0,31}$' THEN
        RAISE EXCEPTION 'dcops.adapter_report: adapter name % is not [a-z][a-z0-9_-]{0,31}',
            quote_nullable(p_name) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_state IS NULL OR p_state NOT IN ('up', 'down', 'stopped') THEN
        RAISE EXCEPTION 'dcops.adapter_report: state % is not up, down or stopped',
            quote_nullable(p_state) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_interval_s IS NULL OR p_interval_s NOT BETWEEN 1 AND 3600 THEN
        RAISE EXCEPTION 'dcops.adapter_report: interval_s % is not between 1 and 3600',
            quote_nullable(p_interval_s) USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT value INTO prev FROM dcops.setting WHERE key = 'adapter.state';
    INSERT INTO dcops.setting (key, value) VALUES
        ('adapter.name', p_name),
        ('adapter.state', p_state),
        ('adapter.error', CASE WHEN p_state = 'up' THEN '' ELSE left(coalesce(p_error, ''), 500) END),
        ('adapter.interval_s', p_interval_s::text),
        ('adapter.heartbeat', now_s)
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
        WHERE dcops.setting.value IS DISTINCT FROM EXCLUDED.value;
    IF prev IS DISTINCT FROM p_state THEN
        INSERT INTO dcops.setting (key, value) VALUES ('adapter.since', now_s)
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
    END IF;
END $$;

REVOKE ALL ON FUNCTION dcops.adapter_report(text, text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dcops.adapter_report(text, text, text, integer) TO dcops_adapter, dcops_admin;
