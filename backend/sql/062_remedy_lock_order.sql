-- 062_remedy_lock_order: dcops.remedy_apply takes its locks in the order
-- the operator's drain does. dcops.drain locks the partitions
-- (act_drain_guard), then the nodes (act_node_intents), then, through the
-- remedy_withdraw_action trigger, the open incidents proposing those
-- nodes. 061's remedy_apply locked an incident first (its timeline, its
-- proposal) and, for an opt-in automatic drain, the node's partition and
-- the node after it: an operator accepting the proposal while the
-- adapter's cycle auto-drained the same node deadlocked, and one of the
-- two was aborted (tests/isolation/specs/remedy.spec). Now the partitions
-- of the nodes the cycle may auto-drain, then every node the cycle names,
-- are locked before any incident, in id order as dcops.drain does; the
-- cycle itself is 061's, renamed dcops.remedy_apply_events and callable
-- only from here.

ALTER FUNCTION dcops.remedy_apply(jsonb, interval, integer) RENAME TO remedy_apply_events;
REVOKE ALL ON FUNCTION dcops.remedy_apply_events(jsonb, interval, integer) FROM PUBLIC, dcops_adapter;

CREATE FUNCTION dcops.remedy_apply(events jsonb, flood_window interval, flood_nodes integer) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, dcops, pg_temp SET lock_timeout = '2s' AS $$
BEGIN
    IF NOT (pg_has_role(session_user, 'dcops_adapter', 'MEMBER') OR dcops.act_is_admin()) THEN
        RAISE EXCEPTION 'dcops.remedy_apply: % is not the adapter', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF jsonb_typeof(events) = 'array' THEN
        PERFORM 1 FROM dcops.partition pt
         WHERE pt.id IN (SELECT n.partition_id FROM dcops.node n
                           JOIN jsonb_array_elements(events) a(j) ON n.name = a.j->>'node'
                          WHERE jsonb_typeof(a.j) = 'object' AND a.j->'auto_drain' = 'true'::jsonb
                            AND a.j->'drain' = 'true'::jsonb)
         ORDER BY pt.id FOR UPDATE;
        PERFORM 1 FROM dcops.node n
         WHERE n.name IN (SELECT a.j->>'node' FROM jsonb_array_elements(events) a(j)
                           WHERE jsonb_typeof(a.j) = 'object')
         ORDER BY n.id FOR UPDATE;
    END IF;
    RETURN dcops.remedy_apply_events(events, flood_window, flood_nodes);
END $$;

REVOKE ALL ON FUNCTION dcops.remedy_apply(jsonb, interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dcops.remedy_apply(jsonb, interval, integer) TO dcops_adapter;
