#!/usr/bin/env bash
# actions.sh — 1,000 scripted actions (drain, resume, quota set through the
# script commands, each with its own idempotency key) while the database is
# killed (pg_ctl stop -m immediate) every 50 to 150 actions, at a random
# point inside an action, and restarted at once.
# Every command must either succeed (exit 0: recorded) or say it did not
# (exit 1 with one line on stderr). A command that failed is resent after
# the restart with the same key, as an operator would; the resend reports
# "already recorded" when the lost attempt had committed. At the end each
# key has exactly one audit row and its actions rows: none lost, none
# doubled. FAULT_ACTIONS overrides the count. Prints the counts.
. "$DCOPS_ROOT/tests/screen/lib.sh"
. "$DCOPS_ROOT/tests/faults/lib.sh"
set -u
pgdir="$TEST_TMP/pg"
trap 'fault_cleanup "$pgdir"' EXIT
fault_cluster "$pgdir" acts || exit 1
export PGDATABASE=acts
# The test is about durability, not the drain guard rail (which counts
# the pending drains that pile up here with no adapter).
psql -q -c "UPDATE dcops.setting SET value = '100000' WHERE key = 'guard.drain_pct'" || exit 1

total=${FAULT_ACTIONS:-1000}
nodes=(tn-h100-001 tn-h100-002 tn-a100-001 tn-a100-002)
tenants=('Acme Research' '(주)딥비전랩스')
declare -A drained=([tn-h100-001]=0 [tn-h100-002]=1 [tn-a100-001]=0 [tn-a100-002]=0)
db="--db dbname=acts"
out="$TEST_TMP/out" err="$TEST_TMP/err"
run=$$

# Sets line to the i-th action's words, '|'-separated (without the key);
# advances the model.
action_args() {
	local i=$1
	if [ $((i % 5)) -eq 4 ]; then
		line="quota set|${tenants[$((i / 5 % 2))]}|gpus=$((100 + i))|--reason|fault test quota change $i"
		return
	fi
	local n=${nodes[$((i % 4))]}
	if [ "${drained[$n]}" = 0 ]; then
		drained[$n]=1
		line="drain|$n|--reason|fault test drain number $i"
	else
		drained[$n]=0
		line="resume|$n|--reason|fault test resume number $i"
	fi
}

# Runs the action with its key: 0 recorded (stdout in o), 1 refused with
# one line on stderr (in e). Anything else (a crash, a usage error,
# silence) fails the test. Builtins only: this runs 1,000 times.
send() {
	local key=$1 line=$2 rc
	local -a a ol el
	IFS='|' read -r -a a <<<"$line"
	local -a cmd=(${a[0]})
	"$DCOPS" $db "${cmd[@]}" "${a[@]:1}" --idempotency-key "$key" >"$out" 2>"$err"
	rc=$?
	mapfile -t ol <"$out"
	mapfile -t el <"$err"
	o="${ol[*]}" e="${el[*]}"
	if [ $rc -eq 1 ] && [ ${#el[@]} -eq 1 ] && [[ $e == "dcops ${cmd[0]}"* ]]; then
		return 1
	fi
	if [ $rc -eq 0 ] && [[ $o == *recorded* ]]; then
		return 0
	fi
	echo "FAIL: '$line' (key $key) exit $rc; stdout: $o; stderr: $e"
	exit 1
}

# A refused action, resent with the same key once the database is back,
# as an operator would; the resend must say "already recorded" exactly
# when the lost attempt had committed.
settle() {
	local key=$1 line=$2 n try
	n=$(psql -Atc "SELECT count(*) FROM dcops.audit WHERE idempotency_key = '$key'")
	for try in 1 2 3; do
		send "$key" "$line" && break
		[ $try -lt 3 ] || { echo "FAIL: resend of $key refused: $e"; exit 1; }
	done
	if [[ $o == *"already recorded"* ]]; then
		[ "$n" -eq 1 ] || { echo "FAIL: $key replayed but had $n audit rows"; exit 1; }
		in_doubt_committed=$((in_doubt_committed + 1))
	else
		[ "$n" -eq 0 ] || { echo "FAIL: $key had $n audit rows yet was applied again"; exit 1; }
		resent_new=$((resent_new + 1))
	fi
}

ok=0 ok_replayed=0 not_applied=0 kills=0 in_doubt_committed=0 resent_new=0
next_kill=$((50 + RANDOM % 101))
: >"$TEST_TMP/refusals"
start=$SECONDS
for ((i = 0; i < total; i++)); do
	key="ft-$run-$i"
	action_args "$i"
	lines[i]=$line
	if [ "$i" -eq "$next_kill" ]; then
		# kill somewhere inside this action: connecting, in the
		# transaction, or while the reply is on its way
		# (SIGQUIT to the postmaster is what pg_ctl stop -m immediate sends)
		( send "$key" "$line" ) &
		pid=$!
		sleep "0.0$((RANDOM % 60 + 1))"
		kill -QUIT "$(head -n 1 "$pgdir/data/postmaster.pid")"
		kills=$((kills + 1))
		wait "$pid"
		rc=$?
		pg_kill "$pgdir"         # waits until it is down
		pg_restart "$pgdir" || exit 1
		[ $rc -le 1 ] || exit 1
		# the subshell's output, for the counts below
		mapfile -t ol <"$out"; mapfile -t el <"$err"; o="${ol[*]}" e="${el[*]}"
		next_kill=$((i + 50 + RANDOM % 101))
	else
		send "$key" "$line"
		rc=$?
	fi
	if [ $rc -eq 0 ]; then
		ok=$((ok + 1))
		[[ $o == *"already recorded"* ]] && ok_replayed=$((ok_replayed + 1))
		continue
	fi
	# only the lost database may refuse an action here
	echo "$e" >>"$TEST_TMP/refusals"
	[[ $e =~ ^dcops\ [a-z\ ]+:\ no\ database:\  ]] ||
		{ echo "FAIL: action $i refused for another reason: $e"; exit 1; }
	not_applied=$((not_applied + 1))
	settle "$key" "$line"
done
took=$((SECONDS - start))

# A kill rarely lands between the commit and the reply; what covers that
# case is the same-key resend of a committed call, so do it on purpose:
# 20 actions that succeeded, sent again, must each be replayed, not redone.
replayed=0
for ((j = 0; j < 20; j++)); do
	i=$((RANDOM % total))
	key="ft-$run-$i"
	send "$key" "${lines[i]}" || { echo "FAIL: resend of committed $key refused: $e"; exit 1; }
	[[ $o == *"already recorded"* ]] || { echo "FAIL: resend of committed $key was not replayed: $o"; exit 1; }
	replayed=$((replayed + 1))
done

# Every key: one audit row and one actions row; nothing else.
psql -Atc "SELECT count(*), count(DISTINCT idempotency_key) FROM dcops.audit
           WHERE idempotency_key LIKE 'ft-$run-%'" >"$TEST_TMP/audit"
psql -Atc "SELECT count(*), count(DISTINCT split_part(idempotency_key, '/', 1)) FROM dcops.actions
           WHERE idempotency_key LIKE 'ft-$run-%'" >"$TEST_TMP/actions"
IFS='|' read -r audit_rows audit_keys <"$TEST_TMP/audit"
IFS='|' read -r action_rows action_keys <"$TEST_TMP/actions"
lost=$((total - audit_keys))
doubled=$((audit_rows - audit_keys + action_rows - action_keys))
# the intents ended where the model did: each node's last action is its state
for n in "${nodes[@]}"; do
	last=$(psql -Atc "SELECT kind FROM dcops.actions WHERE target = '$n' ORDER BY id DESC LIMIT 1")
	want=$([ "${drained[$n]}" = 1 ] && echo drain || echo resume)
	[ "$last" = "$want" ] || { echo "FAIL: $n's last intent is '$last', expected $want"; exit 1; }
done

echo "actions: $total in ${took}s with $kills kills (synchronous_commit=on)"
echo "  applied at once:           $((ok - ok_replayed))"
echo "  applied by the same-key retry after a lost reply: $ok_replayed"
echo "  reported not applied:      $not_applied (exit 1, one line)"
echo "    of which had committed:  $in_doubt_committed (the resend replayed them)"
echo "    of which had not:        $resent_new (the resend applied them)"
echo "  refusals seen:"
sed 's/: no database: \(.\{0,60\}\).*/: no database: \1.../' "$TEST_TMP/refusals" | sort | uniq -c | sed 's/^/    /'
echo "  committed actions resent with their key: $replayed, all replayed"
echo "  lost: $lost  doubled: $doubled  (audit rows $audit_rows, action rows $action_rows)"
[ "$lost" -eq 0 ] && [ "$doubled" -eq 0 ] && [ "$audit_rows" -eq "$total" ] && [ "$action_rows" -eq "$total" ] ||
	{ echo "FAIL: actions lost or doubled"; exit 1; }
echo "actions: ok"
