# live-check.sh — the assertions of the tests that drive a live system
# (Slurm, dcopsd) and read it back (sourced; q needs $DB):
#   fail MSG...             counts a failure and prints it
#   q SQL                   one psql query on $DB, unaligned, no headers
#   want DESC GOT WANT      counts a check; fails when GOT is not WANT
#   wait_for SECS WANT CMD  polls CMD every 0.5 s until it prints WANT;
#                           prints the last output, 1 when time ran out
failures=0 checks=0
fail() { failures=$((failures + 1)); printf 'FAIL: %s\n' "$*"; }
q() { psql -qAtX -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }
want() {
	checks=$((checks + 1))
	[ "$2" = "$3" ] || fail "$1: want '$3', got '$2'"
}
wait_for() {
	local secs=$1 w=$2 got end
	shift 2
	end=$((SECONDS + secs))
	while :; do
		got=$("$@" 2>&1)
		[ "$got" = "$w" ] && { echo "$got"; return 0; }
		[ $SECONDS -ge $end ] && { echo "$got"; return 1; }
		sleep 0.5
	done
}
