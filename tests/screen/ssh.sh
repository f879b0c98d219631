#!/usr/bin/env bash
# ssh.sh — the console through a real OpenSSH bastion on 127.0.0.1 (issue 5),
# in tmux: the nodes view over the tunnel equals the direct one; an unknown
# host key answered No leaves known_hosts unchanged; a changed or revoked key
# is refused with the file and line (a @cert-authority line is named, not
# trusted); a forward outside PermitOpen is a clear error on
# screen; killing the bastion shows SSH DOWN and STALE within 10 s and the
# console recovers after a restart; diagnostics: the GPU table, output with
# escape sequences shown inert, a hung one cut at its deadline, hostile node
# names refused, and the run in the audit.
#
# Run bare (as run.sh does), it re-executes itself under
# `tests/lib/sshd.sh with-fixtures` (bastion, node sshd, TCP PostgreSQL).
set -u
ROOT=${DCOPS_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ -z "${DCOPS_SSH_TEST_ENV:-}" ]; then
	command -v tmux >/dev/null || { echo "tmux not installed"; exit 77; }
	[ -x "${DCOPS_SSHD:-/usr/sbin/sshd}" ] || { echo "sshd not installed"; exit 77; }
	exec bash "$ROOT/tests/lib/sshd.sh" with-fixtures bash "$0"
fi
. "$ROOT/tests/screen/lib.sh"
. "$DCOPS_SSH_LIB"
set -e
T=$TEST_TMP
export PGHOST=127.0.0.1 PGPORT=$DCOPS_PGTCP_PORT PGUSER=$(id -un)
createdb ssh_tmpl
"$DCOPS" -q --db "dbname=ssh_tmpl" db migrate >/dev/null
DCOPS_TEST_TEMPLATE=ssh_tmpl screen_db sshv
export DCOPS_SSH_NO_AGENT=1

known_line() { # DIR PORT: the known_hosts line of an instance
	echo "[127.0.0.1]:$2 $(cut -d' ' -f1-2 "$1/host_ed25519.pub")"
}
trusted=$T/known_trusted
{ known_line "$DCOPS_SSH_BASTION_DIR" "$DCOPS_SSH_BASTION_PORT"
  known_line "$DCOPS_SSH_NODE_DIR" "$DCOPS_SSH_NODE_PORT"; } >"$trusted"

# config: profile P with known_hosts K and database port D
config() {
	cat >"$T/config.json" <<JSON
{ "profiles": { "t": { "db": "dbname=sshv",
    "ssh": { "host": "127.0.0.1", "port": $DCOPS_SSH_BASTION_PORT, "identity_file": "$DCOPS_SSH_KEY",
             "known_hosts": "$1", "db_host": "127.0.0.1", "db_port": $2,
             "node_host": "127.0.0.1", "node_port": $DCOPS_SSH_NODE_PORT } } },
  "diagnostics": [
    { "name": "gpu", "label": "GPU summary", "nvsmi_csv": true,
      "command": "nvidia-smi --query-gpu=index,uuid,name,temperature.gpu,utilization.gpu,memory.used,memory.total,power.draw,ecc.errors.uncorrected.volatile.total,retired_pages.pending --format=csv,noheader,nounits" },
    { "name": "esc", "label": "Hostile output", "command": "printf 'before\\\\033[2J\\\\033]0;pwned\\\\007after\\\\n'" },
    { "name": "hang", "label": "Hangs", "command": "sleep 60" } ] }
JSON
}
body() { screen_dump | sed -n '3,$p' | sed '$d'; } # no header, no footer

# 1. the nodes view over the tunnel is the direct one
screen_start 120 30 --db "'host=127.0.0.1 port=$DCOPS_PGTCP_PORT dbname=sshv'"
screen_wait "tn-h100-001"
screen_wait "DB UP"
sleep 1
body >"$T/direct.txt"
screen_stop
config "$trusted" "$DCOPS_PGTCP_PORT"
SCREEN_ENV="DCOPS_DIAG_DEADLINE_MS=2000" screen_start 120 30 --config "$T/config.json" --profile t
screen_wait "SSH UP" 15
screen_wait "DB UP" 15
screen_wait "tn-h100-001"
sleep 1
body >"$T/tunnel.txt"
diff -u "$T/direct.txt" "$T/tunnel.txt" || { echo "FAIL: the view through the tunnel differs"; exit 1; }
echo "ok: nodes view through the tunnel equals the direct view"
# :db names the tunnel's end as what reads use, and the SSH link
screen_keys : d b Enter
screen_match "reads use +.* \(the SSH tunnel's end\)" 3 || { echo "FAIL: :db through SSH"; screen_dump; exit 1; }
screen_match "SSH +UP" 3 || { echo "FAIL: :db's SSH line"; screen_dump; exit 1; }
screen_match "through +SSH .*@127\.0\.0\.1:[0-9]+ to " 3 || { echo "FAIL: :db's tunnel line"; screen_dump; exit 1; }
screen_keys Escape
screen_gone "reads use" 3

# 2. diagnostics: the GPU table with its problems
screen_keys ":" "diag tn-h100-001" Enter
screen_wait "Diagnostics"
screen_keys Tab y
screen_wait "gpu on tn-h100-001" 15
screen_wait "exit 0" 15
screen_match "GPU +Name +Temp"
screen_match "ECC"
screen_wait "audit #" 10
screen_keys q
n=$(psql -Atq -d sshv -c "SELECT count(*) FROM dcops.audit WHERE action = 'diag' AND target = 'tn-h100-001' AND after->>'diag' = 'gpu' AND after->>'exit_status' = '0'")
[ "$n" = 1 ] || { echo "FAIL: the diagnostic is not in the audit ($n rows)"; exit 1; }
echo "ok: GPU summary as a table, run recorded in the audit"

# 3. escape sequences shown inert
screen_keys ":" "diag tn-h100-001" Enter
screen_wait "Diagnostics"
screen_keys Right
screen_wait "< Hostile output >"             # the choice drawn before it is run
screen_keys Tab y
screen_wait "esc on tn-h100-001" 15
screen_wait 'before^[[2J^[]0;pwned^Gafter' 15
screen_wait "SSH UP"                        # the header was not cleared
screen_keys q
echo "ok: escape sequences visible, not executed"

# 4. a hung diagnostic is cut at its deadline (2 s here)
screen_keys ":" "diag tn-h100-001" Enter
screen_wait "Diagnostics"
screen_keys Right
screen_wait "< Hostile output >"
screen_keys Right
screen_wait "< Hangs >"
screen_keys Tab y
screen_wait "hang on tn-h100-001" 15
screen_wait "cut at its deadline" 15
screen_keys q
echo "ok: hung diagnostic cut at its deadline"

# 5. hostile node names are refused before anything is sent
for bad in "a;b" "-oProxyCommand=touch_$T/pwned" 'x$(id)'; do
	screen_keys ":" "diag $bad" Enter
	screen_match "diag: .*(not a valid|refus|invalid|host)" 5
	screen_keys Escape
	screen_keys ":" Escape
done
[ ! -e "$T/pwned" ]
echo "ok: hostile node names refused"

# 6. killing the bastion: SSH DOWN and STALE within 10 s, then recovery
sshd_kill "$DCOPS_SSH_BASTION_DIR"
screen_wait "SSH DOWN" 10
screen_wait "STALE" 10
sleep 2
sshd_start "$DCOPS_SSH_BASTION_DIR" "$DCOPS_SSH_BASTION_PORT" >/dev/null
psql -q -d sshv -c "UPDATE dcops.node SET sched_state = 'down' WHERE name = 'tn-a100-002'"
screen_wait "SSH UP" 40
screen_wait "DB UP" 30
screen_gone "STALE" 20
screen_match "tn-a100-002 .*down" 20
screen_stop
echo "ok: SSH DOWN and STALE, recovered after the bastion restarted"

# 7. an unknown host key answered No: refused, known_hosts unchanged
fresh=$T/known_fresh
echo "# operators' known hosts" >"$fresh"
sum=$(md5sum <"$fresh")
config "$fresh" "$DCOPS_PGTCP_PORT"
screen_start 120 30 --config "$T/config.json" --profile t
screen_wait "Unknown SSH host key" 15
screen_wait "$(ssh-keygen -l -E sha256 -f "$DCOPS_SSH_BASTION_DIR/host_ed25519.pub" | cut -d' ' -f2)"
screen_keys Enter                           # the default is No
screen_wait "not accepted" 10
[ "$(md5sum <"$fresh")" = "$sum" ] || { echo "FAIL: known_hosts changed"; exit 1; }
screen_stop
echo "ok: unknown host key refused on No, file unchanged"

# 8. a changed host key: refused with the file and line, no dialog
ssh-keygen -q -t ed25519 -N '' -f "$T/other_key"
khdir=$(mktemp -d /tmp/kh.XXXXXX)   # short: the whole message must fit the footer
changed=$khdir/k
{ echo "# line 1"; echo "[127.0.0.1]:$DCOPS_SSH_BASTION_PORT $(cut -d' ' -f1-2 "$T/other_key.pub")"; } >"$changed"
config "$changed" "$DCOPS_PGTCP_PORT"
screen_start 250 30 --config "$T/config.json" --profile t
screen_wait "HOST KEY CHANGED" 15
screen_wait "Inspect $changed line 2"
screen_gone "Unknown SSH host key" 1
screen_stop
echo "ok: changed host key refused with file and line"

# 8b. a revoked host key (issue 12 item 5): refused like a changed one, with
# or without --ssh-accept-new, no dialog, nothing appended; a
# @cert-authority line is named in the question and trusts nothing
revoked=$khdir/r
echo "@revoked * $(cut -d' ' -f1-2 "$DCOPS_SSH_BASTION_DIR/host_ed25519.pub")" >"$revoked"
sum=$(md5sum <"$revoked")
config "$revoked" "$DCOPS_PGTCP_PORT"
for accept in "" --ssh-accept-new; do
	screen_start 250 30 --config "$T/config.json" --profile t $accept
	screen_wait "REVOKED HOST KEY" 15
	screen_wait "$revoked line 1 marks @revoked; refusing (no override)"
	screen_gone "Unknown SSH host key" 1
	screen_stop
	[ "$(md5sum <"$revoked")" = "$sum" ] || { echo "FAIL: known_hosts changed ($accept)"; exit 1; }
done
echo "@cert-authority * $(cut -d' ' -f1-2 "$T/other_key.pub")" >"$revoked"
screen_start 120 40 --config "$T/config.json" --profile t
screen_wait "Unknown SSH host key" 15
screen_wait "@cert-authority line for this host"
screen_wait "vouches for nothing here"
screen_keys Enter
screen_wait "not accepted" 10
screen_stop
rm -rf "$khdir"
echo "ok: revoked host key refused with and without --ssh-accept-new; @cert-authority named"

# 9. a forward outside PermitOpen: a clear error on screen
config "$trusted" 1
screen_start 200 30 --config "$T/config.json" --profile t
screen_wait "SSH UP" 15
screen_match "refused a forward to 127.0.0.1:1" 15
screen_stop
echo "ok: forward outside PermitOpen refused on screen"
echo "ssh: ok"
