-- 010_handover: shifts, the handover note and its sign-off (issue 6).
--
-- Same contract as 005_actions.sql: every function is SECURITY DEFINER,
-- checks the caller through dcops.act_begin (role, READ COMMITTED, not
-- read-only, idempotency key), does its work in one transaction and
-- appends exactly one dcops.audit row. They return dcops.shift_result.
--   shift_start()                  opens a shift for session_user
--   shift_end()                    closes the caller's open shift
--   handover_note_set(shift, body) the outgoing operator writes or rewrites
--                                  the note; shift NULL: the caller's open
--                                  shift, else one inferred from the rota
--   handover_sign_off(shift)       the incoming operator (not the author,
--                                  not the shift's operator) acknowledges
-- SQLSTATEs: 42501 not allowed (the author signing off their own handover),
-- 55000 wrong state (no open shift, already signed off), 42704 unknown
-- shift, 22023 bad argument.
--
-- The rota: when nobody started a shift, the shift is the rota slot that
-- holds the moment, from settings rota.handover_times ("09:00,21:00") in
-- rota.timezone (default: the site's). dcops.rota_window(ts) computes it.
--
-- ECC baseline: shift_start records each GPU's ECC counters that are not
-- zero (dcops.shift_ecc_mark), so the report can tell counters that rose
-- during the shift from old ones. A GPU with no mark started at zero.

INSERT INTO dcops.setting (key, value) VALUES
    ('rota.handover_times', '09:00,21:00'),
    ('rota.timezone', 'Asia/Seoul')
ON CONFLICT (key) DO NOTHING;

-- One note per shift; one open shift per operator.
ALTER TABLE dcops.handover_note ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX handover_note_shift_idx ON dcops.handover_note (shift_id);
CREATE UNIQUE INDEX shift_open_idx ON dcops.shift (operator) WHERE ended_at IS NULL;
CREATE INDEX shift_started_idx ON dcops.shift (started_at);

CREATE TABLE dcops.shift_ecc_mark (
    shift_id  bigint NOT NULL REFERENCES dcops.shift(id),
    gpu_id    integer NOT NULL REFERENCES dcops.gpu(id),
    ecc_sbe   bigint NOT NULL,
    ecc_dbe   bigint NOT NULL,
    PRIMARY KEY (shift_id, gpu_id)
);
REVOKE ALL ON dcops.shift_ecc_mark FROM PUBLIC;
GRANT SELECT ON dcops.shift_ecc_mark TO dcops_viewer;

CREATE TYPE dcops.shift_result AS (
    shift_id  bigint,
    note_id   bigint,     -- the handover note written or signed, else NULL
    audit_id  bigint,
    replayed  boolean
);

-- ---------------------------------------------------------------- helpers

-- The rota slot holding ts: [start, end) between consecutive handover times.
CREATE FUNCTION dcops.rota_window(ts timestamptz, OUT started_at timestamptz, OUT ended_at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    tz text := coalesce((SELECT s.value FROM dcops.setting s WHERE s.key = 'rota.timezone'),
                        (SELECT x.timezone FROM dcops.site x ORDER BY x.id LIMIT 1), 'UTC');
    spec text := coalesce((SELECT s.value FROM dcops.setting s WHERE s.key = 'rota.handover_times'),
                          '09:00,21:00');
    times time[];
    local_ts timestamp := ts AT TIME ZONE tz;
    d date := local_ts::date;
    cand timestamp;
    prev timestamp;
BEGIN
    BEGIN
        SELECT array_agg(btrim(t)::time ORDER BY btrim(t)::time) INTO times
          FROM unnest(string_to_array(spec, ',')) t;
    EXCEPTION WHEN others THEN
        RAISE EXCEPTION 'setting rota.handover_times %: expected times like 09:00,21:00', to_json(spec)
            USING ERRCODE = 'invalid_parameter_value';
    END;
    IF times IS NULL THEN
        RAISE EXCEPTION 'setting rota.handover_times is empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The latest handover at or before ts (looking back one day), and the next one.
    SELECT max(x) INTO prev FROM (SELECT (d + k) + t AS x FROM unnest(times) t, generate_series(-1, 0) k) c
     WHERE x <= local_ts;
    SELECT min(x) INTO cand FROM (SELECT (d + k) + t AS x FROM unnest(times) t, generate_series(0, 1) k) c
     WHERE x > local_ts;
    started_at := prev AT TIME ZONE tz;
    ended_at := cand AT TIME ZONE tz;
END $$;

-- The handover report's window (backend/report.h): the given shift, the
-- last `since`, else the latest shift, else the rota slot holding now.
CREATE FUNCTION dcops.handover_window(shift bigint, since interval, OUT source text,
                                      OUT started_at timestamptz, OUT ended_at timestamptz,
                                      OUT shift_id bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    s dcops.shift;
BEGIN
    IF shift IS NOT NULL THEN
        SELECT * INTO s FROM dcops.shift x WHERE x.id = shift;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown shift %', shift USING ERRCODE = 'undefined_object';
        END IF;
    ELSIF since IS NOT NULL THEN
        source := 'since';
        started_at := now() - since;
        ended_at := now();
        RETURN;
    ELSE
        SELECT * INTO s FROM dcops.shift x ORDER BY x.started_at DESC, x.id DESC LIMIT 1;
    END IF;
    IF s.id IS NULL THEN
        source := 'rota';
        SELECT w.started_at, least(w.ended_at, now()) INTO started_at, ended_at FROM dcops.rota_window(now()) w;
        RETURN;
    END IF;
    source := 'shift';
    shift_id := s.id;
    started_at := s.started_at;
    ended_at := coalesce(s.ended_at, greatest(now(), s.started_at));
END $$;

-- Report timestamps: UTC, second precision, "Z".
CREATE FUNCTION dcops.report_ts(ts timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;

CREATE FUNCTION dcops.shift_finish(key text, res dcops.shift_result) RETURNS dcops.shift_result
LANGUAGE plpgsql SET search_path = pg_catalog, dcops, pg_temp AS $$
BEGIN
    IF key IS NOT NULL THEN
        UPDATE dcops.idempotency i SET result = to_jsonb(res) WHERE i.key = shift_finish.key;
    END IF;
    RETURN res;
END $$;

CREATE FUNCTION dcops.shift_replay(stored jsonb) RETURNS dcops.shift_result
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT r.shift_id, r.note_id, r.audit_id, true
      FROM jsonb_populate_record(NULL::dcops.shift_result, stored) r
$$;

CREATE FUNCTION dcops.shift_json(s dcops.shift) RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT jsonb_build_object('id', s.id, 'operator', s.operator, 'started_at', s.started_at,
                              'ended_at', s.ended_at)
$$;

-- The caller's open shift, locked; NULL when none.
CREATE FUNCTION dcops.shift_open_of(who text) RETURNS dcops.shift
LANGUAGE sql SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT * FROM dcops.shift s WHERE s.operator = who AND s.ended_at IS NULL FOR UPDATE
$$;

-- ---------------------------------------------------------------- shifts

CREATE FUNCTION dcops.shift_start(idem_key text DEFAULT NULL) RETURNS dcops.shift_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    stored jsonb;
    s dcops.shift;
    res dcops.shift_result;
BEGIN
    stored := dcops.act_begin('shift_start', idem_key, '{}');
    IF stored IS NOT NULL THEN
        RETURN dcops.shift_replay(stored);
    END IF;
    s := dcops.shift_open_of(session_user);
    IF s.id IS NOT NULL THEN
        RAISE EXCEPTION 'you are already on shift % (since %)', s.id, dcops.act_when(s.started_at)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    INSERT INTO dcops.shift (operator) VALUES (session_user) RETURNING * INTO s;
    INSERT INTO dcops.shift_ecc_mark (shift_id, gpu_id, ecc_sbe, ecc_dbe)
    SELECT s.id, g.id, g.ecc_sbe, g.ecc_dbe FROM dcops.gpu g WHERE g.ecc_sbe > 0 OR g.ecc_dbe > 0;
    res.shift_id := s.id;
    res.audit_id := dcops.act_audit('shift_start', format('shift/%s', s.id), NULL, dcops.shift_json(s),
                                    '', NULL, idem_key, NULL);
    res.replayed := false;
    RETURN dcops.shift_finish(idem_key, res);
END $$;

CREATE FUNCTION dcops.shift_end(idem_key text DEFAULT NULL) RETURNS dcops.shift_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    stored jsonb;
    s dcops.shift;
    old jsonb;
    res dcops.shift_result;
BEGIN
    stored := dcops.act_begin('shift_end', idem_key, '{}');
    IF stored IS NOT NULL THEN
        RETURN dcops.shift_replay(stored);
    END IF;
    s := dcops.shift_open_of(session_user);
    IF s.id IS NULL THEN
        RAISE EXCEPTION '% has no open shift', session_user USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    old := dcops.shift_json(s);
    UPDATE dcops.shift x SET ended_at = greatest(now(), x.started_at) WHERE x.id = s.id RETURNING * INTO s;
    res.shift_id := s.id;
    res.note_id := (SELECT n.id FROM dcops.handover_note n WHERE n.shift_id = s.id);
    res.audit_id := dcops.act_audit('shift_end', format('shift/%s', s.id), old, dcops.shift_json(s),
                                    '', NULL, idem_key, NULL);
    res.replayed := false;
    RETURN dcops.shift_finish(idem_key, res);
END $$;

-- ---------------------------------------------------------------- handover

CREATE FUNCTION dcops.handover_note_set(shift_id bigint, body text, idem_key text DEFAULT NULL)
RETURNS dcops.shift_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    stored jsonb;
    s dcops.shift;
    n dcops.handover_note;
    w record;
    old jsonb;
    inferred boolean := false;
    res dcops.shift_result;
BEGIN
    stored := dcops.act_begin('handover_note_set', idem_key,
                              jsonb_build_object('shift_id', shift_id, 'body', body));
    IF stored IS NOT NULL THEN
        RETURN dcops.shift_replay(stored);
    END IF;
    IF length(btrim(coalesce(body, ''), E' \t\r\n')) NOT BETWEEN 1 AND 8000 THEN
        RAISE EXCEPTION 'a handover note must be 1 to 8000 characters' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF shift_id IS NOT NULL THEN
        SELECT * INTO s FROM dcops.shift x WHERE x.id = handover_note_set.shift_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown shift %', shift_id USING ERRCODE = 'undefined_object';
        END IF;
        IF s.operator <> session_user AND NOT dcops.act_is_admin() THEN
            RAISE EXCEPTION 'shift % is %''s: the outgoing operator writes its handover note', s.id, s.operator
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSE
        s := dcops.shift_open_of(session_user);
        IF s.id IS NULL THEN
            -- Nobody started a shift: record the rota slot as the caller's shift.
            w := dcops.rota_window(now());
            INSERT INTO dcops.shift (operator, started_at) VALUES (session_user, w.started_at)
            RETURNING * INTO s;
            inferred := true;
        END IF;
    END IF;
    SELECT * INTO n FROM dcops.handover_note x WHERE x.shift_id = s.id FOR UPDATE;
    IF n.signed_off_at IS NOT NULL THEN
        RAISE EXCEPTION 'the handover of shift % was signed off by % at %: its note is final',
            s.id, n.signed_off_by, dcops.act_when(n.signed_off_at)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF n.id IS NULL THEN
        INSERT INTO dcops.handover_note (shift_id, author, body)
        VALUES (s.id, session_user, btrim(body, E' \t\r\n')) RETURNING * INTO n;
    ELSE
        old := jsonb_build_object('author', n.author, 'body', n.body);
        UPDATE dcops.handover_note x SET body = btrim(handover_note_set.body, E' \t\r\n'), author = session_user,
                                         updated_at = now()
         WHERE x.id = n.id RETURNING * INTO n;
    END IF;
    res.shift_id := s.id;
    res.note_id := n.id;
    res.audit_id := dcops.act_audit('handover_note_set', format('shift/%s', s.id), old,
        jsonb_build_object('author', n.author, 'body', n.body, 'inferred_shift', inferred),
        '', NULL, idem_key, NULL);
    res.replayed := false;
    RETURN dcops.shift_finish(idem_key, res);
END $$;

CREATE FUNCTION dcops.handover_sign_off(shift_id bigint, idem_key text DEFAULT NULL)
RETURNS dcops.shift_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
    stored jsonb;
    s dcops.shift;
    n dcops.handover_note;
    res dcops.shift_result;
BEGIN
    stored := dcops.act_begin('handover_sign_off', idem_key, jsonb_build_object('shift_id', shift_id));
    IF stored IS NOT NULL THEN
        RETURN dcops.shift_replay(stored);
    END IF;
    SELECT * INTO s FROM dcops.shift x WHERE x.id = handover_sign_off.shift_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown shift %', coalesce(shift_id::text, '(none)') USING ERRCODE = 'undefined_object';
    END IF;
    SELECT * INTO n FROM dcops.handover_note x WHERE x.shift_id = s.id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'shift % has no handover note yet: % writes it first', s.id, s.operator
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF session_user IN (n.author, s.operator) THEN
        RAISE EXCEPTION 'you handed shift % over: the incoming operator signs it off', s.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF n.signed_off_at IS NOT NULL THEN
        RAISE EXCEPTION 'the handover of shift % was already signed off by % at %', s.id,
            n.signed_off_by, dcops.act_when(n.signed_off_at)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    UPDATE dcops.handover_note x SET signed_off_by = session_user, signed_off_at = now()
     WHERE x.id = n.id RETURNING * INTO n;
    res.shift_id := s.id;
    res.note_id := n.id;
    res.audit_id := dcops.act_audit('handover_sign_off', format('shift/%s', s.id), NULL,
        jsonb_build_object('author', n.author, 'signed_off_by', n.signed_off_by,
                           'signed_off_at', n.signed_off_at),
        '', NULL, idem_key, NULL);
    res.replayed := false;
    RETURN dcops.shift_finish(idem_key, res);
END $$;

-- ---------------------------------------------------------------- rights

REVOKE ALL ON FUNCTION dcops.rota_window(timestamptz), dcops.handover_window(bigint, interval),
    dcops.report_ts(timestamptz), dcops.shift_finish(text, dcops.shift_result),
    dcops.shift_replay(jsonb), dcops.shift_json(dcops.shift), dcops.shift_open_of(text),
    dcops.shift_start(text), dcops.shift_end(text), dcops.handover_note_set(bigint, text, text),
    dcops.handover_sign_off(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dcops.rota_window(timestamptz), dcops.handover_window(bigint, interval),
    dcops.report_ts(timestamptz) TO dcops_viewer;
GRANT EXECUTE ON FUNCTION dcops.shift_start(text), dcops.shift_end(text),
    dcops.handover_note_set(bigint, text, text), dcops.handover_sign_off(bigint, text)
TO dcops_operator;
