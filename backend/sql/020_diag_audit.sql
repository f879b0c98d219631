-- 020_diag_audit: one audit row per diagnostic run on a node (issue 5).
--
-- The console runs an allow-listed diagnostic on a node through the SSH
-- bastion, then records it here: who (session_user), which node, which
-- diagnostic, its exit status (-1: none, cut at the deadline or the link
-- lost), the bytes shown and whether the output cap cut it. Same contract
-- as 005_actions.sql: SECURITY DEFINER, search_path pinned, the caller
-- checked through dcops.act_begin (an operator or admin, READ COMMITTED,
-- not read-only, idempotency key), exactly one dcops.audit row, returns
-- dcops.action_result (no action_ids: nothing for the adapter to apply).
--
-- Reading a node's diagnostics is an operator privilege: they show what
-- tenants' jobs do on the GPUs. Viewers are refused (42501), and the
-- console does not offer them the menu.
-- SQLSTATEs: 42501 not an operator, 22023 bad argument, 23505 key reused.

CREATE FUNCTION dcops.diag_record(node text, diag text, exit_status integer, bytes bigint,
                                  truncated boolean, idem_key text DEFAULT NULL)
RETURNS dcops.action_result
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    stored jsonb;
    res dcops.action_result;
BEGIN
    stored := dcops.act_begin('diag_record', idem_key, jsonb_build_object(
        'node', node, 'diag', diag, 'exit_status', exit_status, 'bytes', bytes,
        'truncated', truncated));
    IF stored IS NOT NULL THEN
        RETURN dcops.act_replay(stored);
    END IF;
    -- the same shapes ssh-validate.c and ssh-exec.c enforce
    IF node IS NULL OR node !~ '^[a-z0-9][a-z0-9.-]{0,62}$' OR node ~ '\.\.|\.$' THEN
        RAISE EXCEPTION 'diag_record: "%" is not a node name', left(coalesce(node, 'NULL'), 80)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF diag IS NULL OR diag !~ '^[a-z0-9_-]{1,32}$' THEN
        RAISE EXCEPTION 'diag_record: "%" is not a diagnostic name', left(coalesce(diag, 'NULL'), 80)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF exit_status IS NULL OR exit_status < -1 OR exit_status > 255 OR bytes IS NULL OR bytes < 0 THEN
        RAISE EXCEPTION 'diag_record: exit status % or byte count % out of range', exit_status, bytes
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    res.action_ids := '{}';
    res.audit_id := dcops.act_audit('diag', node, NULL,
        jsonb_build_object('diag', diag, 'exit_status', exit_status, 'bytes', bytes,
                           'truncated', coalesce(truncated, false)),
        '', NULL, idem_key, NULL);
    res.replayed := false;
    RETURN dcops.act_finish(idem_key, res);
END $$;

REVOKE ALL ON FUNCTION dcops.diag_record(text, text, integer, bigint, boolean, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dcops.diag_record(text, text, integer, bigint, boolean, text)
    TO dcops_operator;
