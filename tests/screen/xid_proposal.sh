#!/usr/bin/env bash
# xid_proposal.sh — the story "an Xid at 3 a.m." (issue 14): an Xid 79 on
# GPU 3 of the node running a tenant's job, fed through remedy_cycle (the
# telemetry reader's entry point; tests/integration/remedy_feed.c) into a
# database dcopsd --adapter slurm keeps in step with a real Slurm cluster
# (tests/lib/slurm.sh). The Incidents board shows the incident and, on its
# last line, the proposed drain with the key that accepts it; the detail
# shows it with the job and the tenant; D opens the usual drain dialog with
# the proposal's nodes and reason, and confirming drains the node in Slurm
# (sinfo -R names the Xid); the proposal is gone. A read-only console sees
# a proposal but cannot accept it.
. "$(dirname "$0")/lib.sh"
set -e
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
. "$DCOPS_ROOT/tests/lib/slurm.sh"
why=$(slurm_unavailable)
[ -z "$why" ] || { echo "skipped: $why"; exit 77; }
db="screen_xid_$$"
CL="$TEST_TMP/slurm"
dpid=
cleanup() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	screen_stop
	slurm_stop "$CL"
	dropdb --if-exists --force "$db" >/dev/null 2>&1
}
trap cleanup EXIT
createdb -T "$DCOPS_TEST_TEMPLATE" "$db"
q() { psql -qAtX -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }
until_is() { # SECS WANT SQL
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do [ "$(q "$3")" = "$2" ] && return 0; sleep 0.3; done
	echo "FAIL: $3: want '$2', got '$(q "$3")'" >&2
	return 1
}
slurm_start "$CL"
"$DCOPSD" --adapter slurm --db "dbname=$db" --poll-nodes 1 --poll-jobs 1 --poll-accounting 2 \
	--log "$TEST_TMP/dcopsd.log" >"$TEST_TMP/dcopsd.out" 2>&1 &
dpid=$!
until_is 30 6 "SELECT count(*) FROM dcops.node"
job=$(sbatch --parsable -A hanbit -J finetune --gres=gpu:4 -o /dev/null -e /dev/null --wrap 'sleep 300')
until_is 30 4 "SELECT count(*) FROM dcops.gpu WHERE job_id = $job"

LIBDIR=$(dirname "$(dirname "$DCOPSD")")
FEED="$TEST_TMP/remedy_feed"
# shellcheck disable=SC2046 # pkg-config's words are separate flags
cc -std=c11 -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700 -I"$DCOPS_ROOT/backend" \
	${SANITIZE:+-fsanitize=address,undefined} $(pkg-config --cflags libpq libcjson) \
	-o "$FEED" "$DCOPS_ROOT/tests/integration/remedy_feed.c" "$LIBDIR/libdcops.a" \
	$(pkg-config --libs ncursesw libssh libpq libcjson) -lm
now=$(date +%s)
printf 'xid\tgwj-h100-001\t3\t79\t1\t%s\tGPU-3\n' "$now" |
	"$FEED" "dbname=$db" "$DCOPS_ROOT/backend/remedy/xid.json" >/dev/null

screen_start 200 50 --db "dbname=$db"
screen_wait "DB UP"
screen_keys 4
screen_wait "gwj-h100-001: Xid 79 on GPU 3"
# the board: the cursor's incident proposes the drain on the last line
screen_match "^#1 proposed: drain gwj-h100-001 \(Xid 79 on GPU 3: GPU has fallen off the bus\), policy xid-fatal — D to accept"
# the detail: the proposal, the job and the tenant on the node
screen_keys Enter
screen_wait "Related (Enter goes there, Esc comes back)"
screen_match "^ proposed: drain gwj-h100-001 \(Xid 79 on GPU 3: GPU has fallen off the bus\), policy xid-fatal — D to accept"
screen_match "job +$job +한빛랩, 4 GPUs, running"
screen_match "tenant +한빛랩"
screen_wait "proposed: drain gwj-h100-001 (Xid 79 on GPU 3: GPU has fallen off the bus), policy xid-fatal"

# one key: the usual drain dialog, the proposal filled in
screen_keys D
screen_wait "Drain gwj-h100-001"
screen_wait "Proposed by the adapter (policy xid-fatal): Xid 79 on GPU 3: GPU has fallen off the bus"
screen_wait "Open incident #1: gwj-h100-001: Xid 79 on GPU 3"
screen_match "Reason +Xid 79 on GPU 3: GPU has fallen off the bus"
screen_keys Enter Enter Enter Enter y
screen_wait "applied by the adapter" 20
end=$((SECONDS + 20))
until [ "$(sinfo -R -h -n gwj-h100-001 -o '%E')" = "dcops $(id -un): Xid 79 on GPU 3: GPU has fallen off the bus" ]; do
	[ $SECONDS -lt $end ] || { echo "FAIL: sinfo -R: $(sinfo -R -h -n gwj-h100-001 -o '%E')" >&2; exit 1; }
	sleep 0.5
done
screen_gone "D to accept"
screen_wait "drain requested for gwj-h100-001: Xid 79 on GPU 3: GPU has fallen off the bus"
until_is 5 0 "SELECT cardinality(proposed_drain) FROM dcops.incident WHERE id = 1"

# a read-only console sees a proposal and cannot accept it
printf 'xid\tgwj-h100-002\t0\t48\t1\t%s\tGPU-0\n' "$((now + 300))" |
	"$FEED" "dbname=$db" "$DCOPS_ROOT/backend/remedy/xid.json" >/dev/null
screen_stop
screen_start 200 50 --readonly --db "dbname=$db"
screen_wait "DB UP"
screen_keys 4
screen_wait "gwj-h100-002: Xid 48 on GPU 0"
screen_keys / 4 8 Enter
screen_match "proposed: drain gwj-h100-002 \(Xid 48 on GPU 0: double-bit ECC error\), policy xid-ecc — cannot accept here: read-only session"
screen_keys D
screen_wait "read-only session"
screen_gone "Drain gwj-h100-002" 2
until_is 2 0 "SELECT count(*) FROM dcops.actions WHERE target = 'gwj-h100-002'"
echo "xid proposal story: ok"
