# relay.sh — `dcops relay` for tests and benches (sourced).
# relay_spawn DCOPS DB SOCKET LOG: a relay of that build reading DB, its
# stderr appended to LOG, its pid in SPAWNED; returns 1 (the log on
# stderr) when its socket has not appeared within 10 s.
relay_spawn() {
	"$1" --db "$2" relay --socket "$3" 2>>"$4" &
	SPAWNED=$!
	for _ in $(seq 1 100); do [ -S "$3" ] && return 0; sleep 0.1; done
	echo "the relay did not start:" >&2
	cat "$4" >&2
	return 1
}
# relay_loaded LOG [SECS]: waits (default 120 s) until the relay logging
# to LOG says its first load is done; returns 1 if it has not by then
# (a build before that line says nothing: wait SECS and go on).
relay_loaded() {
	local _
	for _ in $(seq 1 $((${2:-120} * 10))); do
		grep -q "first load done" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
