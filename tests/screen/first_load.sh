#!/usr/bin/env bash
# first_load.sh — a first load draws the view as its tables arrive (issue
# 15), and the GPU columns node by node as the GPU rows arrive. The GPU
# read is made to stop for 1.5 s (under the store's 3 s deadline) at
# tn-h100-001's first GPU: dcops.gpu becomes a view over the table that
# sleeps on that row. The read goes in node order from the node first by
# name (tn-a100-001, id 3), so the a100 nodes' GPUs and those of 600 more
# nodes (tz-*, after them in id and name; enough rows for the store's
# first group of 4,096 and for the server to have sent them: it sends in
# 8 kB pieces) are in before it stops, and the h100 nodes' (ids 1 and 2)
# after. Meanwhile the header says DB LOADING (data fresh, not STALE), the
# a100 nodes show their GPU figures, and the h100 nodes' GPU columns are
# marked "…", not zero; once the rest has come, DB UP and the figures.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_first_$$"
screen_db "$db"
cleanup() { screen_stop; dropdb --if-exists "$db"; }
trap cleanup EXIT
psql -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
INSERT INTO dcops.node (name, rack_id, slot, partition_id, model, gpu_count)
  SELECT format('tz-%s', lpad(i::text, 4, '0')), 3, 2, 2, 'A100', 8 FROM generate_series(1, 600) i;
INSERT INTO dcops.gpu (node_id, idx, uuid, mem_total_mib)
  SELECT n.id, g, format('GPU-%s-%s', n.id, g), 40960
  FROM dcops.node n, generate_series(0, 7) g WHERE n.name LIKE 'tz-%';
ALTER TABLE dcops.gpu RENAME TO gpu_slow;
CREATE FUNCTION dcops.gpu_stall() RETURNS boolean LANGUAGE plpgsql VOLATILE
  AS 'BEGIN PERFORM pg_sleep(1.5); RETURN true; END';
CREATE VIEW dcops.gpu AS SELECT g.* FROM dcops.gpu_slow g
  WHERE g.node_id <> 1 OR g.idx <> 0 OR dcops.gpu_stall();
SQL
screen_start 200 30 --readonly --db "dbname=$db"
trap cleanup EXIT
screen_match "tn-a100-001 .*mixed +1/2 +25% +60C +900W +- ok"
# one frame: the a100 nodes' GPUs in, the h100 nodes' still to come
frame=$(screen_dump)
for re in "DB LOADING  SSH -  data" "tn-h100-001 .*allocated +… +… +… +1.5k +… ok" \
	"tn-h100-002 .* +… +… +… +300W +… fail" "tn-a100-001 .*mixed +1/2 +25% +60C +900W +- ok" \
	"tn-a100-002 .*idle +0/2 +0% +33C +200W +- warn"; do
	grep -qE -- "$re" <<<"$frame" || { echo "FAIL: no line matched /$re/ in:" >&2; echo "$frame" >&2; exit 1; }
done
screen_wait "DB UP" 20
screen_match "tn-h100-001 .* 2/2 +90% +71C"
screen_gone "DB LOADING"
screen_gone "…  "
echo "first_load: ok"
