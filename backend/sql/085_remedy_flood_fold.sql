-- 085_remedy_flood_fold: a flood seen over several cycles is one incident.
--
-- 061 opened a flood incident when one cycle's events, with the window's
-- earlier ones, came from flood_nodes or more nodes. The nodes whose events
-- came in an earlier cycle (a burst split by a scrape, or read by two
-- telemetry cycles, as it usually is in production at a 15-30 s scrape)
-- had each got an incident of their own by then, and stayed there: the
-- operator saw "gwj-h100-003: Xid 74 ..." and, seconds later, "GPU faults
-- on 3 nodes" for the same fault.
--
-- Now, when a cycle finds a flood and no flood incident is gathering, the
-- single-node incidents of the window that nobody has taken up (still
-- triggered, no owner, no drain or other action linked to them) become
-- that flood incident: the oldest is turned into it (its number stays, its
-- title becomes the flood's when remedy_impact runs for the cycle), the
-- others are merged into it (their events, nodes, tenants, jobs and
-- proposed drains move; each is resolved saying where it went). An
-- incident an operator owns, acknowledged, or acted on is left as it is.
-- Each change is on both timelines and in the audit.

CREATE OR REPLACE FUNCTION dcops.remedy_incident_of(node_id integer, at timestamptz, flood_window interval,
                                                    flood boolean) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, dcops, pg_temp AS $$
DECLARE
    iid bigint;
    f dcops.incident;
    o dcops.incident;
    win text := extract(epoch FROM flood_window)::bigint::text;
BEGIN
    SELECT i.id INTO iid FROM dcops.incident i JOIN dcops.incident_node l ON l.incident_id = i.id
     WHERE l.node_id = remedy_incident_of.node_id AND i.state <> 'resolved' AND i.source = 'dcgm'
     ORDER BY i.id DESC LIMIT 1;
    IF iid IS NOT NULL OR NOT flood THEN
        RETURN iid;
    END IF;
    SELECT i.id INTO iid FROM dcops.incident i
     WHERE i.remedy_flood AND i.state <> 'resolved' AND i.source = 'dcgm'
       AND EXISTS (SELECT 1 FROM dcops.gpu_event e WHERE e.incident_id = i.id
                      AND e.at > remedy_incident_of.at - flood_window)
     ORDER BY i.id DESC LIMIT 1;
    IF iid IS NOT NULL THEN
        RETURN iid;
    END IF;
    -- No flood incident gathering: the window's untouched single-node ones become it.
    FOR o IN SELECT i.* FROM dcops.incident i
              WHERE NOT i.remedy_flood AND i.state = 'triggered' AND i.source = 'dcgm'
                AND coalesce(i.owner, '') = ''
                AND EXISTS (SELECT 1 FROM dcops.gpu_event e WHERE e.incident_id = i.id
                               AND e.at > remedy_incident_of.at - flood_window)
                AND NOT EXISTS (SELECT 1 FROM dcops.actions a WHERE a.incident_id = i.id)
              ORDER BY i.id FOR UPDATE LOOP
        IF f.id IS NULL THEN
            UPDATE dcops.incident x SET remedy_flood = true WHERE x.id = o.id RETURNING * INTO f;
            INSERT INTO dcops.incident_event (incident_id, actor, kind, body)
            VALUES (f.id, session_user, 'signal',
                    format('a flood: GPU faults on more nodes within %s s; this incident gathers them', win));
            PERFORM dcops.adapter_audit('incident_flood', format('incident/%s', f.id),
                jsonb_build_object('title', o.title), jsonb_build_object('remedy_flood', true),
                format('GPU faults on more nodes within %s s', win));
            CONTINUE;
        END IF;
        UPDATE dcops.gpu_event e SET incident_id = f.id WHERE e.incident_id = o.id;
        INSERT INTO dcops.incident_node (incident_id, node_id)
        SELECT f.id, l.node_id FROM dcops.incident_node l WHERE l.incident_id = o.id ON CONFLICT DO NOTHING;
        INSERT INTO dcops.incident_tenant (incident_id, tenant_id)
        SELECT f.id, l.tenant_id FROM dcops.incident_tenant l WHERE l.incident_id = o.id ON CONFLICT DO NOTHING;
        INSERT INTO dcops.incident_job (incident_id, job_id, tenant_id, gpus, name, node_list)
        SELECT f.id, l.job_id, l.tenant_id, l.gpus, l.name, l.node_list FROM dcops.incident_job l
         WHERE l.incident_id = o.id ON CONFLICT DO NOTHING;
        UPDATE dcops.incident x
           SET proposed_drain = x.proposed_drain || ARRAY(SELECT p FROM unnest(o.proposed_drain) p
                                                          WHERE NOT p = ANY (x.proposed_drain)),
               proposed_reason = CASE WHEN x.proposed_reason = '' THEN o.proposed_reason
                                      WHEN o.proposed_reason = '' OR strpos(x.proposed_reason, o.proposed_reason) > 0
                                           OR length(x.proposed_reason) > 240 THEN x.proposed_reason
                                      ELSE left(x.proposed_reason || '; ' || o.proposed_reason, 300) END,
               proposed_policy = CASE WHEN x.proposed_policy = '' THEN o.proposed_policy ELSE x.proposed_policy END
         WHERE x.id = f.id;
        UPDATE dcops.incident x
           SET state = 'resolved', resolved_at = now(), proposed_drain = '{}',
               summary = format('merged into #%s: GPU faults on several nodes within %s s', f.id, win)
         WHERE x.id = o.id;
        INSERT INTO dcops.incident_event (incident_id, actor, kind, body)
        VALUES (o.id, session_user, 'resolved', format('merged into #%s (a flood within %s s)', f.id, win)),
               (f.id, session_user, 'signal', format('merged #%s into this flood: %s', o.id, o.title));
        PERFORM dcops.adapter_audit('incident_merge', format('incident/%s', o.id),
            jsonb_build_object('state', o.state, 'title', o.title),
            jsonb_build_object('state', 'resolved', 'merged_into', f.id),
            format('a flood within %s s', win));
    END LOOP;
    RETURN f.id;
END $$;
