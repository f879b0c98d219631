# shellcheck shell=bash
# prom.sh — a real Prometheus (Debian's prometheus) and test DCGM exporters
# for tests, in a temp dir, as the caller's own processes on 127.0.0.1
# (nothing of a system Prometheus touched). Source it, then:
#
#   prom_unavailable        prints why this machine cannot (empty: it can)
#   prom_exporter_start DIR builds tests/lib/dcgm-exporter.c into DIR and
#                           serves DIR/metrics/NODE.prom files; exports
#                           PROM_EXPORTER_PORT. Write a node's file with
#                           prom_exporter_write DIR NODE TEXT (atomic mv).
#   prom_start DIR [S]      Prometheus on a free port scraping the exporter
#                           every S seconds (default 1), its data in DIR;
#                           waits until it has scraped once. Exports
#                           PROM_URL (http://127.0.0.1:PORT).
#   prom_stop DIR           stops Prometheus (the exporter stays)
#   prom_cleanup DIR        stops both; safe twice, safe when nothing runs.
# A test calls prom_cleanup from its EXIT trap, so both stop on failure.

prom_unavailable() {
	command -v prometheus >/dev/null 2>&1 || { echo "prometheus is not installed (make deps-check)"; return; }
	command -v curl >/dev/null 2>&1 || echo "curl is not installed"
}

. "$(dirname "${BASH_SOURCE[0]}")/free-port.sh"
prom_free_port() { free_port; }

prom_exporter_start() {
	local dir=$1 end
	mkdir -p "$dir/metrics"
	cc -std=c11 -O1 -o "$dir/dcgm-exporter" "${DCOPS_ROOT:-.}/tests/lib/dcgm-exporter.c" || return 1
	rm -f "$dir/exporter.port"
	"$dir/dcgm-exporter" "$dir/metrics" "$dir/exporter.port" >"$dir/exporter.log" 2>&1 &
	echo $! >"$dir/exporter.pid"
	end=$((SECONDS + 10))
	while [ ! -s "$dir/exporter.port" ] && [ $SECONDS -lt $end ]; do sleep 0.1; done
	PROM_EXPORTER_PORT=$(cat "$dir/exporter.port" 2>/dev/null) || return 1
	export PROM_EXPORTER_PORT
}

prom_exporter_write() {
	printf '%s\n' "$3" >"$1/metrics/.$2.tmp" && mv "$1/metrics/.$2.tmp" "$1/metrics/$2.prom"
}

prom_start() {
	local dir=$1 every=${2:-1} port end
	port=$(prom_free_port) || return 1
	cat >"$dir/prometheus.yml" <<YML
global:
  scrape_interval: ${every}s
  scrape_timeout: ${every}s
scrape_configs:
  - job_name: dcgm
    static_configs:
      - targets: ['127.0.0.1:$PROM_EXPORTER_PORT']
YML
	prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
		--web.listen-address="127.0.0.1:$port" --log.level=warn >>"$dir/prometheus.log" 2>&1 &
	echo $! >"$dir/prometheus.pid"
	PROM_URL=http://127.0.0.1:$port
	export PROM_URL
	# ready, and a first scrape in: an instant query finds the exporter up
	end=$((SECONDS + 30))
	while [ $SECONDS -lt $end ]; do
		curl -s "$PROM_URL/api/v1/query?query=up" | grep -q '"value":\[[0-9.]*,"1"\]' && return 0
		kill -0 "$(cat "$dir/prometheus.pid")" 2>/dev/null || break
		sleep 0.2
	done
	echo "prometheus did not start:" >&2
	tail -n 20 "$dir/prometheus.log" >&2
	prom_stop "$dir"
	return 1
}

prom_kill() {
	local f=$1 pid
	pid=$(cat "$f" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null && for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
	rm -f "$f"
}

prom_stop() { prom_kill "$1/prometheus.pid"; }

prom_cleanup() {
	prom_kill "$1/prometheus.pid"
	prom_kill "$1/exporter.pid"
}
