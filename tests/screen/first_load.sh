#!/usr/bin/env bash
# first_load.sh — a first load draws the view as its tables arrive (issue
# 15). The GPU read is made slow (dcops.gpu becomes a view over the table
# that sleeps 1.5 s, under the store's 3 s deadline; the GPUs come right
# after the nodes): the nodes are on screen at once, the header says
# DB LOADING (data fresh, not STALE) and the columns the GPUs make are
# marked "…", not zero; once the rest has come, DB UP and the figures.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_first_$$"
screen_db "$db"
cleanup() { screen_stop; dropdb --if-exists "$db"; }
trap cleanup EXIT
psql -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
ALTER TABLE dcops.gpu RENAME TO gpu_slow;
CREATE VIEW dcops.gpu AS SELECT g.* FROM dcops.gpu_slow g CROSS JOIN (SELECT pg_sleep(1.5)) s;
SQL
screen_start 200 30 --readonly --db "dbname=$db"
trap cleanup EXIT
screen_wait "tn-h100-001"
screen_match "DB LOADING  SSH -  data"
screen_match "tn-h100-001 .*allocated +… +… +… +1.5k +… ok"
screen_wait "DB UP" 20
screen_match "tn-h100-001 .* 2/2 +90% +71C"
screen_gone "DB LOADING"
screen_gone "…  "
echo "first_load: ok"
