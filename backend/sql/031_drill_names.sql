-- 031_drill_names: a drill's scenario name and expectation kinds are
-- checked by the server, not only by dcops's scenario loader (issue 12).
--
-- dcops.drill_start takes them from its caller, and an operator can call
-- it directly: a name or kind holding ESC ] 2 ; ... BEL or ESC [ 2 J was
-- stored and then shown by every drill status, report and "a drill is
-- running" refusal. Names are those of drill files (drills/NAME.json, the
-- loader's rule in drill.c); kinds are the ones dcops.drill_score knows.
-- Checked on every insert and on any change to scenario or spec, so no
-- path around drill_start stores them either; rows written before this
-- migration are left as they are (script commands print every string
-- through text.h, which makes them inert).
-- The messages do not quote the refused value: it is the hostile part.
-- SQLSTATE 22023 (invalid_parameter_value), as drill_start's own checks.

CREATE FUNCTION dcops.drill_run_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    kinds CONSTANT text[] := ARRAY['ack_incident', 'drain_nodes', 'no_drain_healthy',
                                   'no_quota_cut_below_use', 'handover_note'];
    x record;
BEGIN
    IF NEW.scenario IS NULL OR NEW.scenario !~ '^[a-z0-9][a-z0-9_-]{0,63}$' THEN
        RAISE EXCEPTION 'drill scenario name: 1 to 64 characters of a-z, 0-9, _ and -, starting with a letter or digit, as a drill file is named (like xid79-h100-job)'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NEW.spec ? 'expectations' AND jsonb_typeof(NEW.spec->'expectations') IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'drill spec: expectations must be a list'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- a row without a spec (the column's default, {}) has nothing to check
    FOR x IN SELECT (o - 1)::integer AS i, e
               FROM jsonb_array_elements(coalesce(NEW.spec->'expectations', '[]')) WITH ORDINALITY t(e, o) LOOP
        IF jsonb_typeof(x.e->'kind') IS DISTINCT FROM 'string' OR NOT (x.e->>'kind' = ANY (kinds)) THEN
            RAISE EXCEPTION 'drill spec: expectations[%].kind must be one of %', x.i, array_to_string(kinds, ', ')
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    RETURN NEW;
END $$;

CREATE TRIGGER drill_run_check BEFORE INSERT OR UPDATE OF scenario, spec ON dcops.drill_run
    FOR EACH ROW EXECUTE FUNCTION dcops.drill_run_check();
