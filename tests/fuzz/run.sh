#!/usr/bin/env bash
# run.sh BIN... — runs each libFuzzer target for $FUZZ_SECONDS (default 60)
# over a scratch copy of tests/fuzz/corpus/<name>/ (fuzz_theme -> theme),
# so the tree is never written. Prints executions and crashes per target;
# a crashing input is kept in build/fuzz/crashes/<name>/ and the run goes
# on to the next target. Exits 1 when any target crashed.
set -u
cd "$(dirname "$0")/../.."
SECONDS_EACH=${FUZZ_SECONDS:-60}
OUTDIR=build/fuzz/crashes
SCRATCH=$(mktemp -d /tmp/dcops-fuzz.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT
trap 'exit 130' INT TERM

# Leaks count as crashes; UBSan reports stop the run with a stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

total_crash=0
printf '%-16s %12s %8s %8s  %s\n' target executions exec/s crashes note
for bin in "$@"; do
	name=${bin##*/fuzz_}
	corpus=tests/fuzz/corpus/$name
	work=$SCRATCH/$name
	mkdir -p "$work/corpus" "$work/artifacts" "$work/tmp"
	[ -d "$corpus" ] && cp -R "$corpus/." "$work/corpus/"
	dict=()
	[ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
	TMPDIR=$work/tmp "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$work/artifacts/" "${dict[@]}" \
		"$work/corpus" >"$work/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -n 1)
	crashes=$(find "$work/artifacts" -type f | wc -l)
	note=""
	if [ "$crashes" -gt 0 ] || [ $rc -ne 0 ]; then
		[ "$crashes" -eq 0 ] && crashes=1
		total_crash=$((total_crash + crashes))
		mkdir -p "$OUTDIR/$name"
		cp "$work/artifacts/"* "$OUTDIR/$name/" 2>/dev/null
		cp "$work/log" "$OUTDIR/$name/log"
		note="see $OUTDIR/$name/ (exit $rc)"
	fi
	printf '%-16s %12s %8s %8s  %s\n' "fuzz_$name" "${execs:-?}" "${rate:-?}" "$crashes" "$note"
	if [ -n "$note" ]; then
		grep -E '^(==[0-9]+==ERROR|SUMMARY|invariant broken|.*runtime error)' "$work/log" |
			head -n 5 | sed 's/^/    | /'
	fi
done
[ $total_crash -eq 0 ]
