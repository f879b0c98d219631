#!/usr/bin/env bash
# telemetry.sh — dcopsd --adapter slurm --telemetry against the live Slurm
# cluster of tests/lib/slurm.sh, a real Prometheus (tests/lib/prom.sh) and
# test DCGM exporters whose values the test changes:
#   utilisation and temperature reach dcops.gpu and the console's node list;
#   an Xid 79 on GPU 3 of gwj-h100-001 is exactly one TEL_XID event (one
#   log line) and the GPU's last_xid, however many cycles see it;
#   a rising ECC double-bit counter is one event, and so is a rise of the
#   NVLink counters (added up by one Prometheus query); an exporter restart
#   (every counter and the Xid back to 0) raises nothing;
#   hostile label values (an unknown Hostname, a UUID with escapes and
#   shell) stay data: logged inert, nothing created, nothing run;
#   Prometheus down -> telemetry.state down and TELEMETRY STALE in the
#   console's header while the Slurm side carries on (a drain still
#   arrives); the exporters-direct mode (one scrape per node) works too,
#   an exporter that accepts and never answers holds back no other node
#   past the transfer timeout; a node whose exporter goes silent has its
#   GPUs marked stale (the node detail says so) while the others stay
#   fresh; Prometheus read through /federate (the text format) works too.
set -u
. "$(dirname "$0")/../lib/tel-stack.sh"
tel_stack_begin tel
gpu() { q "SELECT $3 FROM dcops.gpu g JOIN dcops.node n ON n.id = g.node_id WHERE n.name = '$1' AND g.idx = $2"; }
gpu_is() { [ "$(gpu "$1" "$2" "$3")" = "$4" ]; }
events() { grep -c "telemetry event: $1" "$top/dcopsd.log"; }
events_are() { [ "$(events "$1")" = "$2" ]; }

# metrics NODE [VAR=VALUE...]: one node's dcgm-exporter page, 8 GPUs. util,
# temp: every GPU's; u3 t3 (GPU 3's own), xid3, dbe3, uuid3, extra lines.
metrics() {
	local node=$1 util=10 temp=40 u0= t0= xid3=0 dbe3=0 flit3=0 replay3=0 uuid3=GPU-3 extra= g u t x d f r id; shift
	[ $# -eq 0 ] || local "$@"
	# (no HELP/TYPE: Prometheus refuses a page repeating them, and /metrics
	# is every node's page in one)
	echo "# test dcgm-exporter page of $node"
	for g in 0 1 2 3 4 5 6 7; do
		u=$util t=$temp x=0 d=0 f=0 r=0 id="GPU-$node-$g"
		[ $g = 0 ] && u=${u0:-$util} t=${t0:-$temp}
		[ $g = 3 ] && x=$xid3 d=$dbe3 f=$flit3 r=$replay3 id=$uuid3
		local l="gpu=\"$g\",UUID=\"$id\",device=\"nvidia$g\",modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"$node\""
		echo "DCGM_FI_DEV_GPU_UTIL{$l} $u"
		echo "DCGM_FI_DEV_GPU_TEMP{$l} $t"
		echo "DCGM_FI_DEV_POWER_USAGE{$l} 300.5"
		echo "DCGM_FI_DEV_FB_USED{$l} 1000"
		echo "DCGM_FI_DEV_FB_FREE{$l} 80000"
		echo "DCGM_FI_DEV_XID_ERRORS{$l} $x"
		echo "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL{$l} $d"
		echo "DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL{$l} $f"
		echo "DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL{$l} $r"
	done
	[ -n "$extra" ] && printf '%s\n' "$extra"
	return 0
}
write() { prom_exporter_write "$pdir" "$1" "$(metrics "$@")"; }

tel_stack_start

start_dcopsd() {
	"$DCOPSD" --adapter slurm --db "dbname=$db" --poll-nodes 1 --poll-jobs 1 --poll-accounting 5 \
		--telemetry "$1" --telemetry-every 1 --telemetry-timeout 2 --verbose \
		--log "$top/dcopsd.log" >>"$top/dcopsd.out" 2>&1 &
	dpid=$!
}
start_dcopsd "prometheus=$PROM_URL"

# --- utilisation and temperature reach the tables
until_ok 40 is "SELECT count(*) FROM dcops.gpu WHERE util_pct = 10 AND temp_c = 40 AND metrics_at IS NOT NULL" 48 ||
	fail "first metrics: $(q 'SELECT count(*), min(util_pct), max(util_pct) FROM dcops.gpu')"
is "SELECT value FROM dcops.setting WHERE key = 'telemetry.state'" up || fail "telemetry.state not up"
is "SELECT value FROM dcops.setting WHERE key = 'adapter.name'" slurm || fail "adapter.* overwritten"
write gwj-h100-001 u0=93 t0=81
until_ok 10 gpu_is gwj-h100-001 0 "util_pct || ' ' || temp_c" "93 81" ||
	fail "util/temp change: $(gpu gwj-h100-001 0 'util_pct, temp_c')"
# under the deadbands (util 8 points, temp 3 C): nothing written
v0=$(gpu gwj-h100-001 0 "xmin::text")
write gwj-h100-001 u0=89 t0=83
sleep 3
[ "$(gpu gwj-h100-001 0 "xmin::text")" = "$v0" ] || fail "a move under the deadband was written"

# --- ... and the console
screen_start 160 30 --db "'dbname=$db'"
# gwj-h100-001 (names are cut at this width): mean of 93 and 7 x 10, hottest 81
screen_match 'h100 .* 20% +81C ' 20 || fail "the node list does not show gwj-h100-001 at 20% and 81C"

# --- one Xid, one event, however many cycles see it
write gwj-h100-001 xid3=79 uuid3=GPU-3
until_ok 10 gpu_is gwj-h100-001 3 last_xid 79 || fail "last_xid: $(gpu gwj-h100-001 3 last_xid)"
sleep 3
[ "$(events 'Xid 79 on gwj-h100-001 GPU 3 GPU-3')" = 1 ] ||
	fail "Xid 79 events: $(grep 'telemetry event' "$top/dcopsd.log")"

# --- a rising counter is one event; an exporter restart raises nothing
write gwj-h100-001 xid3=79 dbe3=2
until_ok 10 gpu_is gwj-h100-001 3 ecc_dbe 2 || fail "ecc_dbe 2"
sleep 2
[ "$(events 'ECC double-bit errors +2 (total 2) on gwj-h100-001 GPU 3')" = 1 ] || fail "ECC event"
n_ev=$(grep -c 'telemetry event' "$top/dcopsd.log")
write gwj-h100-001   # the exporter restarted: every counter and the Xid back to 0
until_ok 10 gpu_is gwj-h100-001 3 ecc_dbe 0 || fail "ecc_dbe back to 0"
sleep 3
[ "$(grep -c 'telemetry event' "$top/dcopsd.log")" = "$n_ev" ] ||
	fail "the restart raised events: $(grep 'telemetry event' "$top/dcopsd.log" | tail -n 3)"
gpu_is gwj-h100-001 3 last_xid 79 || fail "the restart cleared the last Xid"
# after the restart, the same Xid again is a new fault
write gwj-h100-001 xid3=79
until_ok 10 events_are 'Xid 79 on gwj-h100-001 GPU 3' 2 || fail "Xid after a restart: no event"

# --- NVLink counters: Prometheus adds them up in one query; a rise of the
# sum is one event
write gwj-h100-003 flit3=2 replay3=3
until_ok 10 events_are 'NVLink errors +5 (total 5) on gwj-h100-003 GPU 3' 1 ||
	fail "NVLink event: $(grep 'telemetry event' "$top/dcopsd.log" | tail -n 3)"

# --- hostile label values stay data
evil='x$(touch '"$top"'/pwned)`id`'"'"'; DROP TABLE dcops.gpu;--\u001b'$'\e[2J\e]0;t\a'' 광주'
esc=$(printf '%s' "$evil" | sed 's/\\/\\\\/g; s/"/\\"/g')
write gwj-h100-002 xid3=31 uuid3="$esc" \
	extra="DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"u\",Hostname=\"$esc\"} 50"
until_ok 10 gpu_is gwj-h100-002 3 last_xid 31 || fail "Xid 31 with a hostile UUID"
until_ok 10 grep -q 'is not a dcops node' "$top/dcopsd.log" || fail "unknown host not logged"
[ ! -e "$top/pwned" ] || fail "a label value ran as a command"
is "SELECT count(*) FROM dcops.node" 6 || fail "an unknown host became a node"
is "SELECT count(*) FROM dcops.gpu" 48 || fail "gpu rows: $(q 'SELECT count(*) FROM dcops.gpu')"
if LC_ALL=C grep -q $'\x1b' "$top/dcopsd.log"; then fail "an escape reached the log raw"; fi
[ "$(grep -c 'is not a dcops node' "$top/dcopsd.log")" = 1 ] || fail "unknown host logged more than once"

# --- Prometheus down: TELEMETRY STALE, and Slurm carries on
prom_stop "$pdir"
until_ok 15 is "SELECT value FROM dcops.setting WHERE key = 'telemetry.state'" down || fail "telemetry.state not down"
screen_wait "TELEMETRY STALE" 15 || fail "no TELEMETRY STALE in the header"
is "SELECT value FROM dcops.setting WHERE key = 'adapter.state'" up || fail "the Slurm adapter went down too"
scontrol update NodeName=gwj-h100-004 State=DRAIN Reason="telemetry test" || fail "scontrol drain"
until_ok 15 is "SELECT admin_state FROM dcops.node WHERE name = 'gwj-h100-004'" drained ||
	fail "the drain did not arrive while telemetry was down"
grep -q 'telemetry: source down' "$top/dcopsd.log" || fail "no 'source down' in the log"

# --- exporters scraped directly, one URL per node
stop_dcopsd
start_dcopsd "exporters=http://127.0.0.1:$PROM_EXPORTER_PORT/n/{node}/metrics"
until_ok 20 is "SELECT value FROM dcops.setting WHERE key = 'telemetry.state'" up || fail "exporters mode: not up"
screen_gone "TELEMETRY STALE" 15 || fail "TELEMETRY STALE stayed after the source came back"
write gwj-a100-002 util=60 temp=66
until_ok 10 gpu_is gwj-a100-002 5 "util_pct || ' ' || temp_c" "60 66" ||
	fail "exporters mode: $(gpu gwj-a100-002 5 'util_pct, temp_c')"
# an exporter that accepts and never answers delays nobody past the 2 s
# transfer timeout: another node's change arrives within the telemetry
# period plus the timeout, and the hanging one is named in the log
touch "$pdir/metrics/gwj-h100-004.hang"
sleep 1
t0=$SECONDS
write gwj-a100-002 util=80 temp=66
until_ok 8 gpu_is gwj-a100-002 5 util_pct 80 || fail "a hanging exporter held back the others"
[ $((SECONDS - t0)) -le 6 ] || fail "a hanging exporter delayed the others $((SECONDS - t0)) s"
until_ok 10 grep -q 'telemetry: exporter of gwj-h100-004 failed: .*[Tt]ime' "$top/dcopsd.log" ||
	fail "the hanging exporter not logged: $(grep 'exporter of gwj-h100-004' "$top/dcopsd.log")"
rm -f "$pdir/metrics/gwj-h100-004.hang"
until_ok 15 is "SELECT count(*) FROM dcops.gpu WHERE metrics_stale" 0 || fail "GPUs stale after the hang ended"
# a node whose exporter stops answering: its GPUs go stale, the others do not
rm -f "$pdir/metrics/gwj-a100-001.prom"
until_ok 15 is "SELECT count(*) FROM dcops.gpu WHERE metrics_stale" 8 ||
	fail "stale GPUs: $(q 'SELECT count(*) FROM dcops.gpu WHERE metrics_stale')"
is "SELECT count(*) FROM dcops.gpu g JOIN dcops.node n ON n.id = g.node_id
    WHERE g.metrics_stale AND n.name = 'gwj-a100-001'" 8 || fail "the wrong GPUs went stale"
# an exporter page past the 8 MiB cap, and one that does not parse: each
# named in the log with why, and their nodes' GPUs go stale too
{ metrics gwj-h100-003; head -c 9000000 /dev/zero | tr '\0' '#'; echo; } >"$pdir/metrics/.big" &&
	mv "$pdir/metrics/.big" "$pdir/metrics/gwj-h100-003.prom"
prom_exporter_write "$pdir" gwj-a100-002 'DCGM_FI_DEV_GPU_UTIL{gpu="0" 5'
until_ok 15 is "SELECT count(*) FROM dcops.gpu WHERE metrics_stale" 24 ||
	fail "stale GPUs with 3 bad exporters: $(q 'SELECT count(*) FROM dcops.gpu WHERE metrics_stale')"
grep -q 'telemetry: exporter of gwj-a100-001 failed: HTTP status 404' "$top/dcopsd.log" ||
	fail "the silent exporter not logged"
grep -q 'telemetry: exporter of gwj-h100-003 failed: answer larger than 8388608 bytes' "$top/dcopsd.log" ||
	fail "the oversized page not logged"
grep -q 'telemetry: exporter of gwj-a100-002 failed: line 1: ' "$top/dcopsd.log" ||
	fail "the malformed page not logged with its line"
[ "$(grep -c 'exporter of gwj-a100-001 failed' "$top/dcopsd.log")" = 1 ] || fail "a failing exporter logged every cycle"
write gwj-a100-002
until_ok 10 grep -q 'telemetry: exporter of gwj-a100-002 answers again' "$top/dcopsd.log" ||
	fail "a recovered exporter not logged"
# the console: gwj-a100-001 is the node list's first row; its detail marks each GPU
screen_keys Enter
screen_wait "metrics stale" 15 || fail "the node detail does not say 'metrics stale'"
# --- Prometheus again, read through /federate (the text format)
prom_start "$pdir" 1 || fail "prometheus did not start again"
stop_dcopsd
start_dcopsd "federate=$PROM_URL"
write gwj-h100-002 util=70 temp=50
until_ok 20 gpu_is gwj-h100-002 6 "util_pct || ' ' || temp_c" "70 50" ||
	fail "federate mode: $(gpu gwj-h100-002 6 'util_pct, temp_c')"
grep -q 'telemetry: source up (prometheus federate)' "$top/dcopsd.log" || fail "federate mode not logged up"
echo "ok: telemetry (prometheus, exporters, federate; events, restart, hostile labels, stale)"
