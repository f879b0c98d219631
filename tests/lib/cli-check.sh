# cli-check.sh — the script-command tests' one assertion (sourced; needs
# $DB and $TEST_TMP):
#   check AS WANT_RC PATTERN -- ARGS...
#       runs `dcops ARGS` as database role AS; on rc 0 the pattern must match
#       stdout, otherwise stderr must be exactly one line matching it.
#       Counts into $checks and $failures; the last output stays in
#       $OUT and $ERR for further checks.
failures=0 checks=0
OUT="$TEST_TMP/out" ERR="$TEST_TMP/err"
check() {
	local as=$1 want=$2 pattern=$3
	shift 4
	checks=$((checks + 1))
	"$DCOPS" -q --db "dbname=$DB user=$as" "$@" >"$OUT" 2>"$ERR"
	local rc=$? text lines
	if [ "$want" = 0 ]; then text=$(cat "$OUT"); else text=$(cat "$ERR"); fi
	lines=$(wc -l <"$ERR")
	if [ "$rc" != "$want" ] || ! grep -Eq -- "$pattern" <<<"$text" ||
	   { [ "$want" != 0 ] && [ "$lines" != 1 ]; }; then
		failures=$((failures + 1))
		printf 'FAIL: dcops %s (as %s)\n  want rc %s matching /%s/, got rc %s:\n' "$*" "$as" "$want" "$pattern" "$rc"
		sed 's/^/  | /' "$OUT" "$ERR"
	fi
}
