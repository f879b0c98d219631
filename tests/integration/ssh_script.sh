#!/usr/bin/env bash
# ssh_script.sh — script commands through a real OpenSSH bastion on
# 127.0.0.1 (issue 12 item 7): `dcops --ssh ... status` and a profile's ssh
# go through the bastion (stop it and the command fails, it never goes
# straight to the database) with the console's host-key rules: an unknown
# key is refused with one line unless --ssh-accept-new, which records it; a
# changed key is refused; a read-only profile with ssh refuses a drain with
# one line and no action row; the options work after the command too.
#
# Run bare (as run.sh does), it re-executes itself under
# `tests/lib/sshd.sh with-fixtures` (bastion, node sshd, TCP PostgreSQL).
set -u
ROOT=${DCOPS_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ -z "${DCOPS_SSH_TEST_ENV:-}" ]; then
	[ -x "${DCOPS_SSHD:-/usr/sbin/sshd}" ] || { echo "sshd not installed"; exit 77; }
	exec bash "$ROOT/tests/lib/sshd.sh" with-fixtures bash "$0"
fi
. "$DCOPS_SSH_LIB"
T=$TEST_TMP
export PGHOST=127.0.0.1 PGPORT=$DCOPS_PGTCP_PORT PGUSER=$(id -un)
export DCOPS_SSH_NO_AGENT=1 XDG_CONFIG_HOME=$T/xdg
DB=ssh_script
createdb "$DB" || exit 1
"$DCOPS" -q --db "dbname=$DB" db migrate >/dev/null || { echo "migrate failed"; exit 1; }
psql -q -X -v ON_ERROR_STOP=1 -d "$DB" -f "$ROOT/tests/isolation/fixture.sql" >/dev/null 2>&1 ||
	{ echo "fixture failed"; exit 1; }

# a home of our own: the default identity and known_hosts of --ssh
export HOME=$T/home
mkdir -p "$HOME/.ssh"
cp "$DCOPS_SSH_KEY" "$HOME/.ssh/id_ed25519"
cp "$DCOPS_SSH_KEY.pub" "$HOME/.ssh/id_ed25519.pub"
KH=$HOME/.ssh/known_hosts
: >"$KH"
B=$DCOPS_SSH_BASTION_PORT
SSH="$(id -un)@127.0.0.1:$B"
DBC="host=127.0.0.1 port=$DCOPS_PGTCP_PORT dbname=$DB"
known_line() { echo "[127.0.0.1]:$B $(cut -d' ' -f1-2 "$DCOPS_SSH_BASTION_DIR/host_ed25519.pub")"; }

failures=0 checks=0
OUT="$T/out" ERR="$T/err"
# check WANT_RC PATTERN -- ARGS...: on rc 0 the pattern must match stdout,
# otherwise stderr must be exactly one line matching it (besides the
# warning --ssh-accept-new always prints).
check() {
	local want=$1 pattern=$2
	shift 3
	checks=$((checks + 1))
	timeout 30 "$DCOPS" "$@" >"$OUT" 2>"$ERR"
	local rc=$? text lines
	if [ "$want" = 0 ]; then text=$(cat "$OUT"); else text=$(grep -v "^dcops: --ssh-accept-new: " "$ERR"); fi
	lines=$(grep -vc "^dcops: --ssh-accept-new: " "$ERR")
	if [ "$rc" != "$want" ] || ! grep -Eq -- "$pattern" <<<"$text" ||
	   { [ "$want" != 0 ] && [ "$lines" != 1 ]; }; then
		failures=$((failures + 1))
		printf 'FAIL: dcops %s\n  want rc %s matching /%s/, got rc %s:\n' "$*" "$want" "$pattern" "$rc"
		sed 's/^/  | /' "$OUT" "$ERR"
	fi
}
want() { # WHAT GOT WANT
	checks=$((checks + 1))
	[ "$2" = "$3" ] || { failures=$((failures + 1)); printf 'FAIL: %s: want %s, got %s\n' "$1" "$3" "$2"; }
}
sql() { psql -q -X -A -t -d "$DB" -c "$1"; }
logins() { grep -c "Accepted publickey" "$DCOPS_SSH_BASTION_DIR/sshd.log"; }

# an unknown bastion key: refused with one line, known_hosts untouched
n0=$(logins)
check 1 "^dcops status: ssh: .*127.0.0.1:$B: unknown host key ssh-ed25519 SHA256:.* \(not in .*known_hosts\).*--ssh-accept-new" \
	-- --ssh "$SSH" --db "$DBC" status
want "known_hosts after a refused unknown key" "$(wc -c <"$KH")" 0
want "logins after a refused unknown key" "$(logins)" "$n0"

# --ssh-accept-new records it (and says so), then the command runs through the bastion
check 0 "nodes" -- --ssh "$SSH" --ssh-accept-new --db "$DBC" status
grep -q "accepted new host key ssh-ed25519 SHA256:" "$ERR" || { failures=$((failures + 1)); echo "FAIL: accept-new not said"; cat "$ERR"; }
want "known_hosts after --ssh-accept-new" "$(grep -c "^\[127.0.0.1\]:$B " "$KH")" 1
want "logins after the first status" "$(logins)" $((n0 + 1))

# the key is known now: options after the command, through the bastion again
check 0 "nodes" -- status --ssh "$SSH" --db "$DBC"
# where it read: the tunnel's local end, and where the tunnel goes
check 0 "^server +socket .*, database $DB \(the primary\), through the tunnel: SSH $SSH to 127\.0\.0\.1:$DCOPS_PGTCP_PORT\$" \
	-- status --ssh "$SSH" --db "$DBC"
"$DCOPS" status --json --ssh "$SSH" --db "$DBC" 2>"$ERR" |
	jq -e --arg b "$SSH" --arg d "127.0.0.1:$DCOPS_PGTCP_PORT" '.database.ssh == {"bastion": $b, "db": $d}' >/dev/null
want "status --json through the bastion names it" "$?" 0
want "logins after the second status" "$(logins)" $((n0 + 4))
check 0 "drain recorded: gpu-001" -- drain gpu-001 --reason "through the bastion for the test" \
	--ssh "$SSH" --db "$DBC user=act_op"
want "the drain through the bastion" "$(sql "SELECT requested_by FROM dcops.actions")" "act_op"

# a changed key: refused, whatever --ssh-accept-new says
good=$(cat "$KH")
ssh-keygen -q -t ed25519 -N '' -f "$T/other" && echo "[127.0.0.1]:$B $(cut -d' ' -f1-2 "$T/other.pub")" >"$KH"
for accept in "" --ssh-accept-new; do
	# shellcheck disable=SC2086 # $accept: no word or one
	check 1 "^dcops status: ssh: .*HOST KEY CHANGED.*refusing.*known_hosts line 1" -- --ssh "$SSH" $accept \
		--db "$DBC" status
done
want "known_hosts after a changed key" "$(cat "$KH")" "[127.0.0.1]:$B $(cut -d' ' -f1-2 "$T/other.pub")"
echo "$good" >"$KH"

# a revoked key (issue 12 item 5): refused with or without --ssh-accept-new,
# nothing appended; a @cert-authority line is named and trusts nothing
revoked="@revoked * $(cut -d' ' -f1-2 "$DCOPS_SSH_BASTION_DIR/host_ed25519.pub")"
echo "$revoked" >"$KH"
for accept in "" --ssh-accept-new; do
	# shellcheck disable=SC2086 # $accept: no word or one
	check 1 "^dcops status: ssh: .*REVOKED HOST KEY.*known_hosts line 1 marks @revoked; refusing \(no override\)" \
		-- --ssh "$SSH" $accept --db "$DBC" status
	want "known_hosts after a revoked key ($accept)" "$(cat "$KH")" "$revoked"
done
echo "@cert-authority *.example,[127.0.0.1]:* $(cut -d' ' -f1-2 "$T/other.pub")" >"$KH"
check 1 "unknown host key.*known_hosts line 1 is a @cert-authority line for this host: dcops does not check host certificates" \
	-- --ssh "$SSH" --db "$DBC" status
echo "$good" >"$KH"

# a profile's ssh: read-only refuses a drain with one line, no action row
cat >"$T/cfg.json" <<JSON
{ "profiles": {
    "ro": { "db": "dbname=$DB user=act_op", "readonly": true, "production": true,
            "ssh": { "host": "127.0.0.1", "port": $B, "identity_file": "$DCOPS_SSH_KEY",
                     "known_hosts": "$KH", "db_host": "127.0.0.1", "db_port": $DCOPS_PGTCP_PORT } } } }
JSON
n1=$(logins)
check 0 "nodes" -- --config "$T/cfg.json" --profile ro status
want "logins of the profile's status" "$(logins)" $((n1 + 1))
check 1 "^dcops drain: read-only: profile 'ro' is production: add --write" -- --config "$T/cfg.json" \
	--profile ro drain gpu-002 --reason "read-only through the bastion"
want "action rows after the refused drain" "$(sql "SELECT count(*) FROM dcops.actions")" 1

# the bastion down: the command fails, it does not go straight to the database
sshd_stop "$DCOPS_SSH_BASTION_DIR"
sleep 0.5
check 1 "^dcops status: ssh: .*127.0.0.1:$B: cannot connect" -- --ssh "$SSH" --db "$DBC" status
check 1 "^dcops status: ssh: .*cannot connect" -- --config "$T/cfg.json" --profile ro status

# no tunnel directory left behind
left=$(find "${XDG_RUNTIME_DIR:-/tmp}" -maxdepth 1 -name 'dcops-tunnel*' -user "$(id -u)" -newer "$T/cfg.json" 2>/dev/null | wc -l)
want "tunnel directories left" "$left" 0

echo "$checks checks, $failures failed"
[ "$failures" = 0 ]
