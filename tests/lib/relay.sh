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
