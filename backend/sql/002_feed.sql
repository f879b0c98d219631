-- 002_feed: the change feed and the append-only audit.
--
-- Every entity table gets
--   version bigint NOT NULL  from dcops.version_seq, set on every insert and update
--   txid    xid8   NOT NULL  the writing transaction
-- A delete leaves a row in dcops.tombstone (table, id, version, txid).
-- One NOTIFY dcops_changes per changing statement, payload = table name.
--
-- Why txid: sequence values are taken in statement order but become visible
-- in commit order, so a reader that only remembers max(version) can miss a
-- row whose transaction committed late. A reader therefore also remembers
-- the xmin of the snapshot it read with, and asks for
--     version > $last_version OR txid >= $last_xmin
-- Every row it could not yet see was written by a transaction >= that xmin.
-- dcops.snapshot_xmin() below gives a reader that xmin; take it before the
-- table reads (or read all tables in one REPEATABLE READ transaction).

CREATE SEQUENCE dcops.version_seq AS bigint;

CREATE TABLE dcops.tombstone (
    tbl      text   NOT NULL,
    row_id   bigint NOT NULL,
    version  bigint NOT NULL DEFAULT nextval('dcops.version_seq'),
    txid     xid8   NOT NULL DEFAULT pg_current_xact_id(),
    deleted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tombstone_version_idx ON dcops.tombstone (version);
CREATE INDEX tombstone_txid_idx ON dcops.tombstone (txid);

CREATE FUNCTION dcops.feed_stamp() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops AS $$
BEGIN
    NEW.version := nextval('dcops.version_seq');
    NEW.txid := pg_current_xact_id();
    RETURN NEW;
END $$;

CREATE FUNCTION dcops.feed_tombstone() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops AS $$
BEGIN
    INSERT INTO dcops.tombstone (tbl, row_id) VALUES (TG_TABLE_NAME, OLD.id);
    RETURN OLD;
END $$;

CREATE FUNCTION dcops.feed_notify() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops AS $$
BEGIN
    PERFORM pg_notify('dcops_changes', TG_TABLE_NAME);
    RETURN NULL;
END $$;

-- The tables the console follows, in the order a full load reads them.
CREATE TABLE dcops.feed_table (
    tbl   text PRIMARY KEY,
    ord   integer NOT NULL UNIQUE
);
INSERT INTO dcops.feed_table (tbl, ord) VALUES
    ('site', 1), ('hall', 2), ('rack', 3), ('partition', 4), ('qos', 5),
    ('node', 6), ('gpu', 7), ('tenant', 8), ('project', 9), ('quota', 10),
    ('job', 11), ('drill_run', 12), ('incident', 13), ('incident_event', 14),
    ('actions', 15), ('audit', 16), ('shift', 17), ('handover_note', 18),
    ('setting', 19);

DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT tbl FROM dcops.feed_table ORDER BY ord LOOP
        -- No column defaults: feed_stamp sets both before the NOT NULL check,
        -- so each insert draws one version, not two. The tables are empty here.
        EXECUTE format('ALTER TABLE dcops.%I ADD COLUMN version bigint NOT NULL, '
                       'ADD COLUMN txid xid8 NOT NULL', t.tbl);
        EXECUTE format('CREATE INDEX %I ON dcops.%I (version)', t.tbl || '_version_idx', t.tbl);
        EXECUTE format('CREATE INDEX %I ON dcops.%I (txid)', t.tbl || '_txid_idx', t.tbl);
        EXECUTE format('CREATE TRIGGER feed_stamp BEFORE INSERT OR UPDATE ON dcops.%I '
                       'FOR EACH ROW EXECUTE FUNCTION dcops.feed_stamp()', t.tbl);
        EXECUTE format('CREATE TRIGGER feed_notify AFTER INSERT OR UPDATE OR DELETE '
                       'OR TRUNCATE ON dcops.%I FOR EACH STATEMENT '
                       'EXECUTE FUNCTION dcops.feed_notify()', t.tbl);
        IF t.tbl NOT IN ('audit', 'setting') THEN
            EXECUTE format('CREATE TRIGGER feed_tombstone AFTER DELETE ON dcops.%I '
                           'FOR EACH ROW EXECUTE FUNCTION dcops.feed_tombstone()', t.tbl);
        END IF;
    END LOOP;
END $$;

-- setting is keyed by text; its tombstones would need a text id. Settings
-- are never deleted: refuse it rather than lose the change.
CREATE FUNCTION dcops.refuse_delete() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops AS $$
BEGIN
    RAISE EXCEPTION 'dcops.%: rows cannot be deleted', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER setting_no_delete BEFORE DELETE ON dcops.setting
    FOR EACH ROW EXECUTE FUNCTION dcops.refuse_delete();

-- The audit is append-only for everyone, the table owner and superusers
-- included (triggers fire for them too; only dropping the trigger, which
-- needs the owner and leaves a trace in the DDL, gets around it).
CREATE FUNCTION dcops.audit_refuse() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, dcops AS $$
BEGIN
    RAISE EXCEPTION 'dcops.audit is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'audit rows are never changed or removed';
END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON dcops.audit
    FOR EACH ROW EXECUTE FUNCTION dcops.audit_refuse();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON dcops.audit
    FOR EACH STATEMENT EXECUTE FUNCTION dcops.audit_refuse();

-- A reader's xmin watermark (see the header).
CREATE FUNCTION dcops.snapshot_xmin() RETURNS xid8
LANGUAGE sql STABLE SET search_path = pg_catalog AS
$$ SELECT pg_snapshot_xmin(pg_current_snapshot()) $$;
