#!/usr/bin/env bash
# first_load.sh — a first load draws the view as its tables arrive (issue
# 15). The quota read is made slow (quota_before sleeps, for the one quota
# with a time-boxed change; the quotas come after the nodes and GPUs and
# before the jobs): the nodes are on screen with their GPUs' figures while
# the header says DB LOADING, and once the rest has come, DB UP.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_first_$$"
screen_db "$db"
cleanup() { screen_stop; dropdb --if-exists "$db"; }
trap cleanup EXIT
# three calls (one a column) of 0.6 s: under the store's 3 s deadline
psql -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
CREATE OR REPLACE FUNCTION dcops.quota_before(q dcops.quota) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, dcops, pg_temp AS $$
    SELECT q.prev_values FROM pg_sleep(0.6)
$$;
UPDATE dcops.quota SET prev_values = '{"gpu_limit": 2}' WHERE tenant_id = 1;
SQL
screen_start 200 30 --readonly --db "dbname=$db"
trap cleanup EXIT
screen_wait "tn-h100-001"
screen_match "DB LOADING  SSH -  data"
screen_match "tn-h100-001 .* 90% .*71C"
screen_wait "DB UP" 20
screen_gone "DB LOADING"
echo "first_load: ok"
