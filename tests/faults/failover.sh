#!/usr/bin/env bash
# failover.sh — the primary dies and its synchronous standby takes over
# (issue 15). A primary and a synchronous standby (pg-standby.sh); dcops,
# dcopsd --adapter sim and a console all given the multi-host conninfo
# with target_session_attrs=read-write. While a script issues 500 drains,
# resumes and quota changes through `dcops`, each with its own
# idempotency key, the primary is killed with -9 at a random moment, one
# action held in its COMMIT (outcome unknown to its caller), and the
# standby promoted. Then: every action `dcops` acknowledged is on the
# new primary (0 lost); no key made more than one action (0 applied
# twice); the console said STALE within 2 s of the kill and was live
# within 5 s of the promotion, after one full reload; the adapter attached
# to the new primary and applied the outbox there. A second console reads
# through `dcops relay` on the same conninfo: it said STALE within 2 s and
# was live within 5 s of the promotion too, through one RESET and snapshot
# after the relay's one full reload, and shows what the new primary holds.
# Prints the figures.
. "$DCOPS_ROOT/tests/screen/lib.sh"
. "$DCOPS_ROOT/tests/lib/relay.sh"
. "$DCOPS_ROOT/tests/faults/lib.sh"
. "$DCOPS_ROOT/tests/lib/pg-standby.sh"
set -e
pdir="$TEST_TMP/p" sdir="$TEST_TMP/s"
simpid= opspid= relaypid=
# the console through the relay runs in a tmux server of its own
RSOCK="${SCREEN_SOCK}r"
r_tmux() { tmux -L "$RSOCK" "$@"; }
r_dump() { r_tmux capture-pane -p 2>/dev/null; }
cleanup() {
	[ -n "$opspid" ] && kill "$opspid" 2>/dev/null
	[ -n "$simpid" ] && kill "$simpid" 2>/dev/null
	[ -n "$relaypid" ] && kill "$relaypid" 2>/dev/null
	wait 2>/dev/null
	r_tmux kill-server 2>/dev/null || true
	rm -f "${SCREEN_SOCK_PATH}r"
	screen_stop; fault_cleanup "$sdir"; fault_cleanup "$pdir"
}
trap cleanup EXIT
fault_cluster "$pdir" fo
psql -q -d fo -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
UPDATE dcops.setting SET value = '100' WHERE key = 'guard.drain_pct';
INSERT INTO dcops.node (name, rack_id, slot, partition_id, model, gpu_count, sched_state, admin_state, health)
SELECT 'tn-f' || lpad(g::text, 3, '0'), 3, g, 2, 'A100', 2, 'idle', 'active', 'ok' FROM generate_series(1, 60) g;
SQL
pgs_standby "$pdir" "$sdir"
pgs_sync "$pdir"
MH="$(pgs_conninfo "$pdir" "$sdir") dbname=fo target_session_attrs=read-write"
onp() { psql -q -h "$pdir/sock" -d fo -Atc "$1"; }
ons() { psql -q -h "$sdir/sock" -d fo -Atc "$1"; }

# 070: a transaction that appends to the audit commits with remote_apply
sc=$(onp "BEGIN; INSERT INTO dcops.audit (action, target) VALUES ('resume', 'x'); SHOW synchronous_commit; ROLLBACK")
[ "$sc" = remote_apply ] || { echo "FAIL: audited transactions commit with synchronous_commit=$sc"; exit 1; }

"$DCOPSD" --adapter sim --db "$MH" --tick-ms 200 --verbose --log "$TEST_TMP/sim.log" >/dev/null &
simpid=$!
stats="$TEST_TMP/stats"
SCREEN_ENV="DCOPS_STATS=$stats" screen_start 120 30 --db "'$MH'"
trap cleanup EXIT
screen_wait "DB UP"
screen_wait "tn-a100-001"
rsock="$TEST_TMP/relay.sock"
relay_spawn "$DCOPS" "$MH" "$rsock" "$TEST_TMP/relay.log"
relaypid=$SPAWNED
r_tmux -f /dev/null new-session -d -x 120 -y 30 \
	"env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC $DCOPS --db '$MH' --relay $rsock 2>>$TEST_TMP/relay-console.err; sleep 60"
r_tmux set-option -g remain-on-exit on >/dev/null
for _ in $(seq 100); do r_dump | grep -q "RELAY UP" && r_dump | grep -q "tn-a100-001" && break; sleep 0.1; done
r_dump | grep -q "RELAY UP" || { echo "FAIL: the console through the relay:"; r_dump; cat "$TEST_TMP/relay.log"; exit 1; }
# console_drain NODE REASON: a drain through the console's dialog
console_drain() {
	screen_keys / C-u "$1" Enter
	screen_wait "1 of 64 nodes"
	screen_keys D
	screen_wait "Drain $1"
	screen_keys "$2" Enter Enter Enter Enter
	screen_wait "y confirm"
	screen_keys y
	# the adapter may apply it before the "requested" line is seen
	screen_match "drain $1(: requested \(action #| applied by the adapter)" 10
}
console_drain tn-a100-001 "console drain before the failover"

# 500 actions, one `dcops` each; a line per action: index, exit status, output
ops() {
	local i node verb
	for i in $(seq 0 499); do
		node=tn-f$(printf %03d $((i % 60 + 1)))
		if [ $((i % 5)) = 4 ]; then
			set -- quota set 'Acme Research' gpus=$((9 - (i / 5) % 2))
		else
			verb=$([ $(((i / 60) % 2)) = 0 ] && echo drain || echo resume)
			set -- "$verb" "$node"
		fi
		out=$("$DCOPS" --db "$MH" "$@" --reason "failover test op $i" \
			--idempotency-key "$(printf 'failover-%04d' "$i")" 2>&1) && rc=0 || rc=$?
		printf '%s\t%s\t%s\n' "$i" "$rc" "${out//$'\n'/ }"
	done >"$TEST_TMP/ops.log"
}
t_start=$(fault_ms)
ops &
opspid=$!

# Kill the primary at a random moment while the actions flow, and make
# sure one action is in its COMMIT then: the standby's replay is paused
# (SIGSTOP of its startup process), so a remote_apply commit waits
# (SyncRep) with its WAL already on the standby. Its `dcops` sees the
# connection die without an answer and must resend the same key.
sleep "$((2 + RANDOM % 5)).$((RANDOM % 10))"
spm=$(head -n 1 "$sdir/data/postmaster.pid")
startup=$(pgrep -P "$spm" -f "startup")
kill -STOP "$startup"
for _ in $(seq 100); do
	[ "$(onp "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")" -gt 0 ] &&
		[ "$(onp "SELECT bool_and(flush_lsn >= pg_current_wal_flush_lsn()) FROM pg_stat_replication")" = t ] &&
		break
	sleep 0.05
done
in_commit=$(onp "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")
done_before=$(wc -l <"$TEST_TMP/ops.log")
t_kill=$(fault_ms)
pgs_kill9 "$pdir"
kill -CONT "$startup"
pgs_promote "$sdir"
t_promote=$(fault_ms)
# both consoles: STALE, then live again (the relay's header says RELAY UP)
stale_ms= rstale_ms= live_ms= rlive_ms=
until [ -n "$live_ms" ] && [ -n "$rlive_ms" ]; do
	d=$(screen_dump) rd=$(r_dump)
	[ -z "$stale_ms" ] && grep -q STALE <<<"$d" && stale_ms=$(fault_elapsed "$t_kill")
	[ -z "$rstale_ms" ] && grep -q STALE <<<"$rd" && rstale_ms=$(fault_elapsed "$t_kill")
	[ -n "$stale_ms" ] && [ -z "$live_ms" ] && grep -q "DB UP" <<<"$d" && ! grep -q STALE <<<"$d" &&
		live_ms=$(fault_elapsed "$t_promote")
	[ -n "$rstale_ms" ] && [ -z "$rlive_ms" ] && grep -q "RELAY UP" <<<"$rd" && ! grep -q STALE <<<"$rd" &&
		rlive_ms=$(fault_elapsed "$t_promote")
	[ $(($(fault_ms) - t_promote)) -lt 15000 ] ||
		{ echo "FAIL: a console did not go STALE or come back"; screen_dump; r_dump; cat "$TEST_TMP/relay.log"; exit 1; }
	sleep 0.02
done
# the console's write connection follows too
console_drain tn-h100-001 "console drain after the failover"
# which server is which now: the console's :db and `dcops status` name the new primary
screen_keys Escape : d b Enter
screen_match "data from +socket $sdir/sock/\.s\.PGSQL\.[0-9]+, database fo" 5
screen_match "server is +the primary" 3
screen_keys Escape
"$DCOPS" --db "$MH" status | grep -Eq "^server +socket $sdir/sock/\.s\.PGSQL\.[0-9]+, database fo \(the primary\)$" ||
	{ echo "FAIL: dcops status after the failover:"; "$DCOPS" --db "$MH" status; exit 1; }
echo "killed after $(((t_kill - t_start) / 1000)) s, $done_before actions done, $in_commit in its COMMIT; promoted in $((t_promote - t_kill)) ms"
echo "console: STALE ${stale_ms} ms after the kill, live ${live_ms} ms after the promotion"
echo "console through the relay: STALE ${rstale_ms} ms after the kill, live ${rlive_ms} ms after the promotion"

wait "$opspid" || true
opspid=
export PGHOST="$sdir/sock" PGDATABASE=fo
acked=$(awk -F'\t' '$2 == 0' "$TEST_TMP/ops.log" | wc -l)
replayed=$(grep -c "already recorded by an earlier try" "$TEST_TMP/ops.log" || true)
refused=$(awk -F'\t' '$2 != 0' "$TEST_TMP/ops.log" | wc -l)
# lost: acknowledged, and no action with its key on the new primary
lost=0
for k in $(awk -F'\t' '$2 == 0 { printf "failover-%04d\n", $1 }' "$TEST_TMP/ops.log"); do
	echo "$k"
done >"$TEST_TMP/acked.keys"
psql -Atc "SELECT split_part(idempotency_key, '/', 1) FROM dcops.actions WHERE idempotency_key LIKE 'failover-%'" |
	sort >"$TEST_TMP/db.keys"
lost=$(sort "$TEST_TMP/acked.keys" | comm -23 - <(sort -u "$TEST_TMP/db.keys") | wc -l)
twice=$(uniq -d "$TEST_TMP/db.keys" | wc -l)
console_writes=$(psql -Atc "SELECT count(*) FROM dcops.actions WHERE reason LIKE 'console drain % the failover'")
audit_twice=$(psql -Atc "SELECT count(*) FROM (SELECT reason FROM dcops.audit WHERE reason LIKE 'failover test op %'
                         GROUP BY reason HAVING count(*) > 1) d")

# the adapter: attached again on the new primary, the outbox drained there
for _ in $(seq 150); do
	[ "$(psql -Atc "SELECT count(*) FROM dcops.actions WHERE status = 'pending'")" = 0 ] && break
	sleep 0.1
done
pending=$(psql -Atc "SELECT count(*) FROM dcops.actions WHERE status = 'pending'")
attaches=$(grep -c "dcopsd: attached" "$TEST_TMP/sim.log" || true)
# the simulator's own log may name an action twice only if the tick that
# applied it first died with the primary before its commit reached the
# standby: then the new primary never saw it applied (said, not failed)
sim_again=$(grep -o "action [0-9]* applied" "$TEST_TMP/sim.log" | sort | uniq -d | wc -l)
applied_after=$(psql -Atc "SELECT count(*) FROM dcops.actions WHERE applied_at >= to_timestamp($t_promote / 1000.0)")
# the console through the relay shows what the new primary holds: the
# nodes drained or draining, counted by its filter
drained=$(psql -Atc "SELECT count(*) FROM dcops.node WHERE admin_state IN ('draining', 'drained')")
r_tmux send-keys / "state:draining,drained" Enter
for _ in $(seq 50); do r_dump | grep -q "$drained of 64" && break; sleep 0.1; done
r_shows=$(r_dump | grep -o "[0-9]* of 64" | head -n 1)
relay_resets=$(grep -c "RESET and a new snapshot" "$TEST_TMP/relay.log" || true)
relay_drops=$(grep -c "dropped" "$TEST_TMP/relay.log" || true)
sleep 1.1     # the console writes its counters each second
full_loads=$(($(awk '$1 == "reads" { print $2 }' "$stats") - $(awk '$1 == "delta_reads" { print $2 }' "$stats")))
echo "actions: $acked acknowledged ($replayed answered by a resend with the same key), $refused refused or unreachable"
awk -F'\t' '$2 != 0 { print "  not done: op " $1 ": " $3 }' "$TEST_TMP/ops.log" | head -n 5
echo "after the failover: $lost acknowledged actions lost, $twice keys applied twice ($audit_twice in the audit)," \
	"$pending pending, $applied_after applied on the new primary; adapter attached $attaches times" \
	"($sim_again applied again after a lost tick); console full loads $full_loads, its 2 drains on the new primary: $console_writes"
echo "relay: $relay_resets RESET + snapshot to its consoles, $relay_drops clients dropped; its console shows '$r_shows' drained or draining, the new primary $drained"
[ "$acked" -ge 250 ] || { echo "FAIL: too few actions went through"; tail "$TEST_TMP/ops.log"; exit 1; }
[ "$lost" = 0 ] || { echo "FAIL: acknowledged actions lost"; exit 1; }
[ "$in_commit" -ge 1 ] && [ "$replayed" -ge 1 ] ||
	{ echo "FAIL: no action was in its COMMIT at the kill, or its resend was not answered by its key"; exit 1; }
[ "$twice" = 0 ] && [ "$audit_twice" = 0 ] || { echo "FAIL: an action applied twice"; exit 1; }
[ "$stale_ms" -le 2000 ] || { echo "FAIL: STALE took ${stale_ms} ms (limit 2000)"; exit 1; }
[ "$live_ms" -le 5000 ] || { echo "FAIL: live again after ${live_ms} ms (limit 5000)"; exit 1; }
[ "$console_writes" = 2 ] || { echo "FAIL: $console_writes of the console's 2 drains on the new primary"; exit 1; }
[ "$full_loads" = 2 ] || { echo "FAIL: $full_loads full loads (the first and one after the failover)"; exit 1; }
[ "$rstale_ms" -le 2000 ] || { echo "FAIL: through the relay, STALE took ${rstale_ms} ms (limit 2000)"; exit 1; }
[ "$rlive_ms" -le 5000 ] || { echo "FAIL: through the relay, live again after ${rlive_ms} ms (limit 5000)"; exit 1; }
[ "$relay_resets" = 1 ] && [ "$relay_drops" = 0 ] ||
	{ echo "FAIL: the relay's consoles did not follow with one RESET"; cat "$TEST_TMP/relay.log"; exit 1; }
[ "$r_shows" = "$drained of 64" ] || { echo "FAIL: the console through the relay differs"; r_dump; exit 1; }
[ "$attaches" -ge 2 ] && [ "$pending" = 0 ] && [ "$applied_after" -gt 0 ] ||
	{ echo "FAIL: the adapter did not resume on the new primary"; tail -n 20 "$TEST_TMP/sim.log"; exit 1; }
# the console quits cleanly (under SANITIZE=1: no report from ASan/LSan)
screen_keys q
sleep 1
r_tmux send-keys q
kill "$relaypid" && wait "$relaypid" 2>/dev/null || true
relaypid=
sleep 1
! grep -q "Sanitizer\|runtime error" "$TEST_TMP/dcops.err" "$TEST_TMP/relay-console.err" "$TEST_TMP/relay.log" 2>/dev/null ||
	{ echo "FAIL: a console's or the relay's stderr:"; cat "$TEST_TMP/dcops.err" "$TEST_TMP/relay-console.err" "$TEST_TMP/relay.log"; exit 1; }
echo "failover: ok"
