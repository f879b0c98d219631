-- fixture.sql — a small fleet for the operator-action tests: partition
-- "p1" with 20 nodes (the 10% guard allows 2 per hour), "p2" with 5, two
-- tenants with quotas and running jobs, one open incident. Login roles:
-- act_viewer, act_op, act_op2, act_admin (cluster-wide, made when missing).
DO $$
DECLARE
    r text[];
BEGIN
    FOREACH r SLICE 1 IN ARRAY ARRAY[['act_viewer', 'dcops_viewer'], ['act_op', 'dcops_operator'],
                                     ['act_op2', 'dcops_operator'], ['act_admin', 'dcops_admin']] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r[1]) THEN
            EXECUTE format('CREATE ROLE %I LOGIN IN ROLE %I', r[1], r[2]);
        END IF;
    END LOOP;
END $$;
INSERT INTO dcops.site (code, name) VALUES ('test', 'Test site');
INSERT INTO dcops.hall (site_id, name) VALUES (1, 'hall-1');
INSERT INTO dcops.rack (hall_id, name, row_no, position, power_cap_kw)
SELECT 1, 'r' || g, 1, g, 15 FROM generate_series(1, 5) g;
INSERT INTO dcops.partition (name, gpu_model) VALUES ('p1', 'H100'), ('p2', 'A100');
INSERT INTO dcops.node (name, rack_id, partition_id, model, gpu_count)
SELECT format('gpu-%s', lpad(g::text, 3, '0')), 1 + g % 5, 1, 'H100', 8 FROM generate_series(1, 20) g;
INSERT INTO dcops.node (name, rack_id, partition_id, model, gpu_count)
SELECT format('a100-%s', lpad(g::text, 3, '0')), 1 + g % 5, 2, 'A100', 8 FROM generate_series(1, 5) g;
INSERT INTO dcops.tenant (name, name_en, kind) VALUES ('acme', 'Acme', 'startup'), ('한빛랩', 'Hanbit Lab', 'university');
INSERT INTO dcops.quota (tenant_id, gpu_limit, gpu_hours_budget, storage_tb, term_start, term_end)
VALUES (1, 16, 1000, 10, current_date, current_date + 90), (2, 8, 500, 10, current_date, current_date + 90);
INSERT INTO dcops.job (tenant_id, partition_id, user_name, gpus, state, start_at, submit_at)
VALUES (1, 1, 'kim', 8, 'running', now(), now()), (1, 1, 'lee', 4, 'running', now(), now());
INSERT INTO dcops.incident (sev, title) VALUES (3, 'gpu-001 Xid 79: fallen off the bus');
