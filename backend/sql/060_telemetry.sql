-- 060_telemetry: DCGM telemetry beside the Slurm adapter (issue 14).
--
-- gpu.metrics_at     when the telemetry reader last wrote this GPU's
--                    metrics (NULL: never; the Slurm side alone knows it)
-- gpu.metrics_stale  the reader had metrics for this GPU and has had none
--                    for 3 of its cycles: its values are old, not healthy
--
-- dcops.adapter_report(name, ...) keeps writing adapter.* for the adapter
-- itself (sim, slurm); a report named 'telemetry' writes the same keys
-- under telemetry.* instead, so the reader's source (Prometheus or the
-- exporters) has its own state, error and heartbeat and its outage never
-- reads as the scheduler's (the console shows TELEMETRY STALE).

ALTER TABLE dcops.gpu
    ADD COLUMN metrics_at timestamptz,
    ADD COLUMN metrics_stale boolean NOT NULL DEFAULT false;

CREATE OR REPLACE FUNCTION dcops.adapter_report(p_name text, p_state text, p_error text,
                                                p_interval_s integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    now_s text := floor(extract(epoch FROM now()))::bigint::text;
    pre text := CASE WHEN p_name = 'telemetry' THEN 'telemetry.' ELSE 'adapter.' END;
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
    SELECT value INTO prev FROM dcops.setting WHERE key = pre || 'state';
    INSERT INTO dcops.setting (key, value) VALUES
        (pre || 'name', p_name),
        (pre || 'state', p_state),
        (pre || 'error', CASE WHEN p_state = 'up' THEN '' ELSE left(coalesce(p_error, ''), 500) END),
        (pre || 'interval_s', p_interval_s::text),
        (pre || 'heartbeat', now_s)
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
        WHERE dcops.setting.value IS DISTINCT FROM EXCLUDED.value;
    IF prev IS DISTINCT FROM p_state THEN
        INSERT INTO dcops.setting (key, value) VALUES (pre || 'since', now_s)
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
    END IF;
END $$;
