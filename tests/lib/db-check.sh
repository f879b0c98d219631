# db-check.sh — the polling helpers of the tests that read $db back (sourced):
#   q SQL            one psql statement on $db, unaligned, no header
#   is SQL VALUE     q's answer is VALUE
#   until_ok S CMD.. retries CMD every 0.2 s for up to S seconds
q() { psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$db" -c "$1"; }
is() { [ "$(q "$1")" = "$2" ]; }
until_ok() {
	local end=$((SECONDS + $1)); shift
	while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.2; done
	return 1
}
