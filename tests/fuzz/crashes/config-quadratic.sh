#!/bin/sh
# config-quadratic.sh [DIR] — writes two config files just under
# CONFIG_MAX_BYTES (1 MiB) that config_load takes tens of seconds to read:
# keys.json (80,000 key bindings) and profiles.json (100,000 empty
# profiles). Each entry is checked against every earlier one
# (key_repeated in backend/config.c), so the work grows with the square of
# the entry count. Time one with the fuzz target (runs a single input):
#   sh tests/fuzz/crashes/config-quadratic.sh /tmp/q &&
#   time build/fuzz/bin/fuzz_config /tmp/q/keys.json
dir=${1:-.}
mkdir -p "$dir"
gen() { # gen FIRST-KEY ENTRY-FORMAT COUNT
	awk -v top="$1" -v fmt="$2" -v n="$3" 'BEGIN {
		a = "abcdefghijklmnopqrstuvwxyz"; printf "{\"%s\":{", top
		for (i = 0; i < n; i++) {
			k = ""; v = i
			for (j = 0; j < 4; j++) { k = k substr(a, v % 26 + 1, 1); v = int(v / 26) }
			printf "%s" fmt, i ? "," : "", k
		}
		print "}}" }'
}
gen keys '"%s.x":"D"' 80000 >"$dir/keys.json"
gen profiles '"%s":{}' 100000 >"$dir/profiles.json"
ls -l "$dir/keys.json" "$dir/profiles.json"
