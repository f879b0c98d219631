# free-port.sh — free_port: a TCP port on 127.0.0.1 nobody listens on, for
# the test servers (sourced). Below the kernel's ephemeral range, so an
# outgoing connection (a scrape, a client) cannot take it between the
# choice and the server's bind; never one already listed in $PORTS_TAKEN.
free_port() {
	local p used low
	low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ "${low:-0}" -gt 12000 ] 2>/dev/null || low=32768
	used=$(awk 'NR > 1 { split($2, a, ":"); print strtonum("0x" a[2]) }' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
	for _ in $(seq 1 200); do
		p=$((10000 + RANDOM % (low - 10000)))
		if ! grep -qx "$p" <<<"$used" && ! grep -qx "$p" "${PORTS_TAKEN:-/dev/null}" 2>/dev/null; then
			[ -n "${PORTS_TAKEN:-}" ] && echo "$p" >>"$PORTS_TAKEN"
			echo "$p"; return 0
		fi
	done
	return 1
}
