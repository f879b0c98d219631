#!/usr/bin/env bash
# options.sh — the global options of script commands (issue 12, items 6, 7
# and 11): a config file that cannot be read stops every command before it
# connects, naming the file and line; a FIFO given as --config is refused
# at once; an unknown --profile or a missing --config is an error; a
# read-only profile refuses writes with one line and no action row; a
# production profile does so until --write arms the command; the options
# work after the command too. Runs under tests/run.sh.
set -u
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
DB="dcops_options_$$"
createdb -T "$DCOPS_TEST_TEMPLATE" "$DB" || exit 1
trap 'dropdb --force "$DB" >/dev/null 2>&1' EXIT
psql -q -X -v ON_ERROR_STOP=1 -d "$DB" -f "$DCOPS_ROOT/tests/isolation/fixture.sql" >/dev/null 2>&1 ||
	{ echo "fixture failed"; exit 1; }
export XDG_CONFIG_HOME="$TEST_TMP/xdg"
mkdir -p "$XDG_CONFIG_HOME"

failures=0 checks=0
OUT="$TEST_TMP/out" ERR="$TEST_TMP/err"

# check WANT_RC PATTERN -- ARGS...: on rc 0 the pattern must match stdout,
# otherwise stderr must be exactly one line matching it.
check() {
	local want=$1 pattern=$2
	shift 3
	checks=$((checks + 1))
	timeout 20 "$DCOPS" "$@" >"$OUT" 2>"$ERR"
	local rc=$? text lines
	if [ "$want" = 0 ]; then text=$(cat "$OUT"); else text=$(cat "$ERR"); fi
	lines=$(wc -l <"$ERR")
	if [ "$rc" != "$want" ] || ! grep -Eq -- "$pattern" <<<"$text" ||
	   { [ "$want" != 0 ] && [ "$lines" != 1 ]; }; then
		failures=$((failures + 1))
		printf 'FAIL: dcops %s\n  want rc %s matching /%s/, got rc %s:\n' "$*" "$want" "$pattern" "$rc"
		sed 's/^/  | /' "$OUT" "$ERR"
	fi
}
sql() { psql -q -X -A -t -d "$DB" -c "$1"; }
want_sql() {
	checks=$((checks + 1))
	local got
	got=$(sql "$1")
	[ "$got" = "$2" ] || { failures=$((failures + 1)); printf 'FAIL: %s\n  want %s, got %s\n' "$1" "$2" "$got"; }
}

# 6. a broken config: the issue's profile with a trailing comma on line 4
cat >"$TEST_TMP/bad.json" <<JSON
{ "profiles": {
    "prod": { "db": "dbname=$DB user=act_op",
              "production": true,
              "readonly": true, } } }
JSON
check 1 "bad.json: line 4: not valid JSON; nothing was started" -- --config "$TEST_TMP/bad.json" --profile prod \
	drain gpu-001 --reason "broken config"
check 1 "bad.json: line 4: not valid JSON" -- --config "$TEST_TMP/bad.json" --db "dbname=$DB user=act_op" status
check 1 "bad.json: line 4: not valid JSON" -- status --config "$TEST_TMP/bad.json"
# the default config file too, and the console (it stops before the terminal)
mkdir -p "$XDG_CONFIG_HOME/dcops"
cp "$TEST_TMP/bad.json" "$XDG_CONFIG_HOME/dcops/config.json"
check 1 "dcops/config.json: line 4: not valid JSON" -- --db "dbname=$DB user=act_op" drain gpu-001 --reason x
check 1 "dcops/config.json: line 4: not valid JSON" -- --db "dbname=$DB user=act_op"
rm "$XDG_CONFIG_HOME/dcops/config.json"
want_sql "SELECT count(*) FROM dcops.actions" 0

# --write-db or a profile's write_db with SSH: the tunnel reaches one server, so
# the option cannot be honoured; refused before anything connects, console and
# script commands alike (never a write sent elsewhere than asked)
check 1 "--write-db cannot be used with SSH: the tunnel reaches one database server" -- \
	--ssh ops@127.0.0.1:1 --db "dbname=$DB" --write-db "dbname=$DB" drain gpu-001 --reason x
check 1 "--write-db cannot be used with SSH" -- --ssh ops@127.0.0.1:1 --db "dbname=$DB" --write-db "dbname=$DB"
printf '{ "profiles": { "far": { "db": "dbname=%s", "write_db": "dbname=%s", "ssh": { "host": "127.0.0.1", "port": 1 } } } }\n' \
	"$DB" "$DB" >"$TEST_TMP/far.json"
check 1 "the profile's write_db cannot be used with SSH" -- --config "$TEST_TMP/far.json" --profile far status
check 1 "the profile's write_db cannot be used with SSH" -- --config "$TEST_TMP/far.json" --profile far
want_sql "SELECT count(*) FROM dcops.actions" 0

# 11. a FIFO as --config: refused at once, not a hang
mkfifo "$TEST_TMP/fifo"
check 1 "fifo: not a regular file \(it is a FIFO\)" -- --config "$TEST_TMP/fifo" --db "dbname=$DB" status
check 1 "fifo: not a regular file \(it is a FIFO\)" -- --config "$TEST_TMP/fifo"
check 1 "options.*: not a regular file \(it is a directory\)" -- --config "$TEST_TMP" status

# 7. a missing --config, an unknown profile
check 1 "nope.json: No such file or directory; nothing was started" -- --config "$TEST_TMP/nope.json" \
	--db "dbname=$DB" status
check 1 "--profile ghost: no such profile in .*dcops/config.json \(the file does not exist\)" -- \
	--profile ghost --db "dbname=$DB" status
cat >"$TEST_TMP/cfg.json" <<JSON
{ "profiles": {
    "ro":   { "db": "dbname=$DB user=act_op", "readonly": true, "production": false },
    "prod": { "db": "dbname=$DB user=act_op", "readonly": true, "production": true },
    "rw":   { "db": "dbname=$DB user=act_op" } } }
JSON
check 1 "--profile ghost: no such profile in .*cfg.json; nothing" -- --config "$TEST_TMP/cfg.json" --profile ghost status
check 1 "--profile ghost: no such profile" -- --config "$TEST_TMP/cfg.json" --profile ghost

# a read-only profile: reads work, writes are refused with one line, nothing recorded
check 0 "nodes" -- --config "$TEST_TMP/cfg.json" --profile ro status
for cmd in "actions" "audit" "report handover" "drill list"; do
	# shellcheck disable=SC2086 # the words of the command
	check 0 "" -- --config "$TEST_TMP/cfg.json" --profile ro $cmd
done
check 1 "^dcops drain: read-only: profile 'ro' is read-only$" -- --config "$TEST_TMP/cfg.json" --profile ro \
	drain gpu-001 --reason "read-only profile"
check 1 "read-only: profile 'ro' is read-only" -- drain gpu-001 --reason r --config "$TEST_TMP/cfg.json" --profile ro
check 1 "^dcops quota set: read-only: profile 'ro'" -- --config "$TEST_TMP/cfg.json" --profile ro \
	quota set acme gpus=9 --reason r
check 1 "^dcops shift start: read-only: profile 'ro'" -- --config "$TEST_TMP/cfg.json" --profile ro shift start
check 1 "^dcops seed: read-only: profile 'ro'" -- --config "$TEST_TMP/cfg.json" --profile ro seed
check 1 "^dcops db migrate: read-only: profile 'ro'" -- --config "$TEST_TMP/cfg.json" --profile ro db migrate
check 0 "" -- --config "$TEST_TMP/cfg.json" --profile ro db migrate --dry-run
check 1 "^dcops drain: read-only: --readonly is set$" -- drain gpu-001 --reason r --db "dbname=$DB user=act_op" --readonly
# the default profile applies as it does in the console
printf '{ "default_profile": "ro", "profiles": { "ro": { "db": "dbname=%s user=act_op", "readonly": true } } }\n' \
	"$DB" >"$XDG_CONFIG_HOME/dcops/config.json"
check 1 "read-only: profile 'ro' is read-only" -- drain gpu-001 --reason "default profile"
rm "$XDG_CONFIG_HOME/dcops/config.json"
want_sql "SELECT count(*) FROM dcops.actions" 0
want_sql "SELECT count(*) FROM dcops.audit" 0

# a production profile: read-only until --write arms the command
check 1 "^dcops drain: read-only: profile 'prod' is production: add --write" -- --config "$TEST_TMP/cfg.json" \
	--profile prod drain gpu-001 --reason "production"
want_sql "SELECT count(*) FROM dcops.actions" 0
check 0 "^drain recorded: gpu-001" -- --config "$TEST_TMP/cfg.json" --profile prod drain gpu-001 --reason "armed for the test run" --write
want_sql "SELECT requested_by FROM dcops.actions" "act_op"
check 2 "--write arms writes for one script command" -- --config "$TEST_TMP/cfg.json" --profile prod --write

# options after the command: --db, --profile, --readonly, --db=VALUE; "--" ends them
check 0 "nodes" -- status --db "dbname=$DB"
check 0 "nodes" -- status --db="dbname=$DB" --quiet
check 0 "^resume recorded: gpu-001" -- resume gpu-001 --reason "after the armed drain" --profile rw --config "$TEST_TMP/cfg.json"
check 2 "option '--db' needs a value" -- status --db
check 2 "option '--readonly' takes no value" -- status --readonly=yes
check 2 "usage" -- status --db "dbname=$DB" -- --readonly
# seed keeps --config for its fleet file: its own error, not the config's
check 1 "^dcops: seed: " -- seed --config "$TEST_TMP/nofleet.json" --db "dbname=$DB"

# nothing above left a connection behind
want_sql "SELECT count(*) FROM pg_stat_activity WHERE datname = '$DB' AND pid <> pg_backend_pid()" 0

echo "$checks checks, $failures failed"
[ "$failures" = 0 ]
