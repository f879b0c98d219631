-- 001_schema: the data model of dcops (see shared/DESIGN.md, "Data model").
--
-- Every entity table carries the change-feed columns
--   version bigint  one global sequence, set by trigger on insert and update
--   txid    xid8    the writing transaction (pg_current_xact_id())
-- They are added and wired up by 002_feed.sql; this file only declares data.
--
-- States are enums so bad values cannot get in; quantities carry CHECKs.

CREATE TYPE dcops.sched_state    AS ENUM ('idle', 'mixed', 'allocated', 'down', 'unknown');
CREATE TYPE dcops.admin_state    AS ENUM ('active', 'draining', 'drained');
CREATE TYPE dcops.health_state   AS ENUM ('ok', 'warn', 'fail');
CREATE TYPE dcops.job_state      AS ENUM ('pending', 'running', 'completed', 'failed',
                                          'cancelled', 'timeout', 'node_fail');
CREATE TYPE dcops.incident_state AS ENUM ('triggered', 'acknowledged', 'mitigated', 'resolved');
CREATE TYPE dcops.action_kind    AS ENUM ('drain', 'resume', 'quota_set', 'quota_revert');
CREATE TYPE dcops.action_status  AS ENUM ('pending', 'applied', 'failed', 'cancelled');
CREATE TYPE dcops.tenant_kind    AS ENUM ('startup', 'sme', 'enterprise', 'university', 'institute');

-- Site-wide settings: environment (production | staging | drill | demo), site name, ...
CREATE TABLE dcops.setting (
    key         text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_.]*$'),
    value       text NOT NULL
);

CREATE TABLE dcops.site (
    id          serial PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_-]{1,32}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    timezone    text NOT NULL DEFAULT 'Asia/Seoul'
);

CREATE TABLE dcops.hall (
    id          serial PRIMARY KEY,
    site_id     integer NOT NULL REFERENCES dcops.site(id),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    UNIQUE (site_id, name)
);

CREATE TABLE dcops.rack (
    id           serial PRIMARY KEY,
    hall_id      integer NOT NULL REFERENCES dcops.hall(id),
    name         text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_.-]{1,32}$'),
    row_no       integer NOT NULL CHECK (row_no >= 1),
    position     integer NOT NULL CHECK (position >= 1),
    power_cap_kw numeric(7,2) NOT NULL CHECK (power_cap_kw > 0),
    UNIQUE (hall_id, row_no, position)
);

CREATE TABLE dcops.partition (
    id          serial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9_-]{1,32}$'),
    gpu_model   text NOT NULL,
    max_wall    interval NOT NULL DEFAULT interval '72 hours' CHECK (max_wall > interval '0'),
    description text NOT NULL DEFAULT ''
);

CREATE TABLE dcops.qos (
    id          serial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9_-]{1,32}$'),
    priority    integer NOT NULL DEFAULT 0,
    max_wall    interval NOT NULL DEFAULT interval '72 hours' CHECK (max_wall > interval '0')
);

-- A node's name is used in SSH commands later: keep it to a safe alphabet.
CREATE TABLE dcops.node (
    id            serial PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9.-]{0,62}$'),
    rack_id       integer NOT NULL REFERENCES dcops.rack(id),
    slot          integer NOT NULL DEFAULT 1 CHECK (slot >= 1),
    partition_id  integer NOT NULL REFERENCES dcops.partition(id),
    model         text NOT NULL,
    gpu_count     integer NOT NULL CHECK (gpu_count BETWEEN 0 AND 64),
    sched_state   dcops.sched_state NOT NULL DEFAULT 'idle',
    admin_state   dcops.admin_state NOT NULL DEFAULT 'active',
    drain_reason  text,
    drained_by    text,
    drained_at    timestamptz,
    resume_after  timestamptz,
    health        dcops.health_state NOT NULL DEFAULT 'ok',
    health_detail text NOT NULL DEFAULT '',
    power_w       integer NOT NULL DEFAULT 0 CHECK (power_w >= 0),
    last_seen     timestamptz NOT NULL DEFAULT now(),
    CHECK (admin_state = 'active' OR drain_reason IS NOT NULL)
);

-- job_id: the job holding this GPU. One column, so two jobs can never share a GPU.
CREATE TABLE dcops.gpu (
    id            serial PRIMARY KEY,
    node_id       integer NOT NULL REFERENCES dcops.node(id),
    idx           integer NOT NULL CHECK (idx >= 0),
    uuid          text NOT NULL UNIQUE,
    util_pct      smallint NOT NULL DEFAULT 0 CHECK (util_pct BETWEEN 0 AND 100),
    mem_used_mib  integer NOT NULL DEFAULT 0 CHECK (mem_used_mib >= 0),
    mem_total_mib integer NOT NULL CHECK (mem_total_mib > 0),
    temp_c        smallint NOT NULL DEFAULT 30,
    power_w       integer NOT NULL DEFAULT 0 CHECK (power_w >= 0),
    ecc_sbe       bigint NOT NULL DEFAULT 0 CHECK (ecc_sbe >= 0),
    ecc_dbe       bigint NOT NULL DEFAULT 0 CHECK (ecc_dbe >= 0),
    remap_pending boolean NOT NULL DEFAULT false,
    last_xid      integer,
    last_xid_at   timestamptz,
    job_id        bigint,
    UNIQUE (node_id, idx)
);

CREATE TABLE dcops.tenant (
    id          serial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    name_en     text NOT NULL DEFAULT '',
    kind        dcops.tenant_kind NOT NULL,
    contact     text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dcops.project (
    id          serial PRIMARY KEY,
    tenant_id   integer NOT NULL REFERENCES dcops.tenant(id),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    programme   text NOT NULL DEFAULT '',
    term_start  date NOT NULL,
    term_end    date NOT NULL,
    CHECK (term_end >= term_start),
    UNIQUE (tenant_id, name)
);

-- One live quota per tenant. gpu_hours_used and storage_used_tb are kept
-- current by the adapter so the console reads them without aggregating history.
CREATE TABLE dcops.quota (
    id               serial PRIMARY KEY,
    tenant_id        integer NOT NULL UNIQUE REFERENCES dcops.tenant(id),
    gpu_limit        integer NOT NULL CHECK (gpu_limit >= 0),
    gpu_hours_budget numeric(12,1) NOT NULL CHECK (gpu_hours_budget >= 0),
    gpu_hours_used   numeric(12,1) NOT NULL DEFAULT 0 CHECK (gpu_hours_used >= 0),
    storage_tb       numeric(9,2) NOT NULL DEFAULT 10 CHECK (storage_tb >= 0),
    storage_used_tb  numeric(9,2) NOT NULL DEFAULT 0 CHECK (storage_used_tb >= 0),
    term_start       date NOT NULL,
    term_end         date NOT NULL,
    expires_at       timestamptz,
    prev_values      jsonb,
    CHECK (term_end >= term_start)
);

CREATE TABLE dcops.job (
    id           bigserial PRIMARY KEY,
    tenant_id    integer NOT NULL REFERENCES dcops.tenant(id),
    project_id   integer REFERENCES dcops.project(id),
    partition_id integer NOT NULL REFERENCES dcops.partition(id),
    qos_id       integer REFERENCES dcops.qos(id),
    user_name    text NOT NULL CHECK (length(user_name) BETWEEN 1 AND 64),
    name         text NOT NULL DEFAULT '',
    gpus         integer NOT NULL CHECK (gpus >= 1),
    nodes        integer NOT NULL DEFAULT 1 CHECK (nodes >= 1),
    node_list    text NOT NULL DEFAULT '',
    state        dcops.job_state NOT NULL DEFAULT 'pending',
    reason       text NOT NULL DEFAULT '',
    submit_at    timestamptz NOT NULL DEFAULT now(),
    start_at     timestamptz,
    end_at       timestamptz,
    time_limit   interval NOT NULL DEFAULT interval '72 hours',
    exit_code    integer,
    CHECK (start_at IS NULL OR start_at >= submit_at),
    CHECK (end_at IS NULL OR start_at IS NULL OR end_at >= start_at)
);
ALTER TABLE dcops.gpu ADD FOREIGN KEY (job_id) REFERENCES dcops.job(id) ON DELETE SET NULL;
CREATE INDEX job_state_idx ON dcops.job (state) WHERE state IN ('pending', 'running');
CREATE INDEX job_tenant_idx ON dcops.job (tenant_id);
CREATE INDEX job_end_idx ON dcops.job (end_at) WHERE end_at IS NOT NULL;
CREATE INDEX gpu_job_idx ON dcops.gpu (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX node_rack_idx ON dcops.node (rack_id);
CREATE INDEX node_partition_idx ON dcops.node (partition_id);

-- History, partitioned by month; dcops.usage_partition_ensure() makes partitions ahead.
CREATE TABLE dcops.usage_sample (
    ts           timestamptz NOT NULL,
    tenant_id    integer NOT NULL REFERENCES dcops.tenant(id),
    partition_id integer NOT NULL REFERENCES dcops.partition(id),
    gpus_in_use  integer NOT NULL CHECK (gpus_in_use >= 0),
    gpu_hours    numeric(12,3) NOT NULL CHECK (gpu_hours >= 0),
    PRIMARY KEY (tenant_id, partition_id, ts)
) PARTITION BY RANGE (ts);
CREATE TABLE dcops.usage_sample_default PARTITION OF dcops.usage_sample DEFAULT;

CREATE FUNCTION dcops.usage_partition_ensure(from_ts timestamptz, months integer)
RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog, dcops AS $$
DECLARE
    m     date := date_trunc('month', from_ts AT TIME ZONE 'UTC')::date;
    made  integer := 0;
    pname text;
BEGIN
    FOR i IN 0 .. months - 1 LOOP
        pname := format('usage_sample_%s', to_char(m + make_interval(months => i), 'YYYYMM'));
        IF to_regclass('dcops.' || pname) IS NULL THEN
            EXECUTE format('CREATE TABLE dcops.%I PARTITION OF dcops.usage_sample '
                           'FOR VALUES FROM (%L) TO (%L)', pname,
                           (m + make_interval(months => i))::timestamp AT TIME ZONE 'UTC',
                           (m + make_interval(months => i + 1))::timestamp AT TIME ZONE 'UTC');
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END $$;
SELECT dcops.usage_partition_ensure(now() - interval '1 month', 4);

CREATE TABLE dcops.drill_run (
    id          bigserial PRIMARY KEY,
    scenario    text NOT NULL,
    seed        bigint NOT NULL DEFAULT 0,
    started_by  text NOT NULL DEFAULT session_user,
    started_at  timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz,
    status      text NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'finished', 'stopped', 'failed')),
    scorecard   jsonb
);

CREATE TABLE dcops.incident (
    id             bigserial PRIMARY KEY,
    sev            smallint NOT NULL CHECK (sev BETWEEN 1 AND 5),
    state          dcops.incident_state NOT NULL DEFAULT 'triggered',
    title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    impact         text NOT NULL DEFAULT '',
    summary        text NOT NULL DEFAULT '',
    source         text NOT NULL DEFAULT 'manual',
    owner          text,
    opened_at      timestamptz NOT NULL DEFAULT now(),
    acknowledged_at timestamptz,
    mitigated_at   timestamptz,
    resolved_at    timestamptz,
    next_update_at timestamptz,
    drill_id       bigint REFERENCES dcops.drill_run(id),
    CHECK (state <> 'resolved' OR resolved_at IS NOT NULL)
);
CREATE INDEX incident_open_idx ON dcops.incident (state) WHERE state <> 'resolved';

CREATE TABLE dcops.incident_node (
    incident_id bigint NOT NULL REFERENCES dcops.incident(id),
    node_id     integer NOT NULL REFERENCES dcops.node(id),
    PRIMARY KEY (incident_id, node_id)
);
CREATE TABLE dcops.incident_tenant (
    incident_id bigint NOT NULL REFERENCES dcops.incident(id),
    tenant_id   integer NOT NULL REFERENCES dcops.tenant(id),
    PRIMARY KEY (incident_id, tenant_id)
);

CREATE TABLE dcops.incident_event (
    id          bigserial PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES dcops.incident(id),
    ts          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL DEFAULT session_user,
    kind        text NOT NULL CHECK (kind IN ('opened', 'ack', 'assign', 'sev', 'note',
                                               'link', 'mitigated', 'resolved', 'signal')),
    body        text NOT NULL DEFAULT ''
);
CREATE INDEX incident_event_incident_idx ON dcops.incident_event (incident_id, ts);

-- The outbox: operator intents the adapter applies in id order.
CREATE TABLE dcops.actions (
    id               bigserial PRIMARY KEY,
    kind             dcops.action_kind NOT NULL,
    target           text NOT NULL,
    params           jsonb NOT NULL DEFAULT '{}',
    reason           text NOT NULL CHECK (length(reason) >= 1),
    requested_by     text NOT NULL DEFAULT session_user,
    requested_at     timestamptz NOT NULL DEFAULT now(),
    idempotency_key  text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 8 AND 128),
    status           dcops.action_status NOT NULL DEFAULT 'pending',
    error            text,
    applied_at       timestamptz,
    incident_id      bigint REFERENCES dcops.incident(id),
    drill_id         bigint REFERENCES dcops.drill_run(id)
);
CREATE INDEX actions_pending_idx ON dcops.actions (id) WHERE status = 'pending';

-- Append-only: 002_feed.sql installs the triggers that refuse UPDATE, DELETE, TRUNCATE.
CREATE TABLE dcops.audit (
    id           bigserial PRIMARY KEY,
    ts           timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL DEFAULT session_user,
    client_addr  text,
    action       text NOT NULL,
    target       text NOT NULL,
    before       jsonb,
    after        jsonb,
    reason       text NOT NULL DEFAULT '',
    incident_id  bigint,
    idempotency_key text,
    drill_id     bigint
);
CREATE INDEX audit_ts_idx ON dcops.audit (ts);

CREATE TABLE dcops.shift (
    id          bigserial PRIMARY KEY,
    operator    text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);

CREATE TABLE dcops.handover_note (
    id             bigserial PRIMARY KEY,
    shift_id       bigint NOT NULL REFERENCES dcops.shift(id),
    author         text NOT NULL DEFAULT session_user,
    body           text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    signed_off_by  text,
    signed_off_at  timestamptz
);
