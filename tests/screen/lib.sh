# lib.sh — drive the console in a private tmux server for screen tests.
# Source it from a test, then:
#   screen_db NAME           create database NAME from $DCOPS_TEST_TEMPLATE
#                            and load the small fixture below
#   screen_start W H ARGS... run `$DCOPS ARGS...` in a W x H tmux pane
#   screen_keys KEY...       tmux send-keys, one key name or string each
#   screen_wait TEXT [S]     poll the pane until it shows TEXT (default 10 s)
#   screen_gone TEXT [S]     poll until TEXT is no longer shown
#   screen_match RE [S]      poll until a line matches the extended regex RE
#   screen_line N            line N (1-based) of the pane
#   screen_resize W H
#   screen_dump              the pane, for failure messages
#   screen_stop              kill the tmux server and remove its socket
# screen_stop runs on exit: screen_start sets that trap only when the test
# has none, so a test's own EXIT trap (which must call screen_stop) is
# never replaced — it stops the test's other servers (Slurm, dcopsd). tmux leaves its socket behind when killed,
# so screen_stop removes it; tests/run.sh fails a test that leaves one.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "lib.sh is sourced by the screen tests, not run"
	exit 77
fi
set -u
# run.sh sets DCOPS_SCREEN_PREFIX to tell its tests' sockets from others'.
SCREEN_SOCK="${DCOPS_SCREEN_PREFIX:-dcops-screen-}$$"
SCREEN_SOCK_PATH="${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SCREEN_SOCK"
unset TMUX

screen_tmux() { tmux -L "$SCREEN_SOCK" "$@"; }

screen_stop() {
	screen_tmux kill-server 2>/dev/null || true
	rm -f "$SCREEN_SOCK_PATH"
}

screen_start() {
	local w=$1 h=$2; shift 2
	[ -n "$(trap -p EXIT)" ] || trap screen_stop EXIT
	screen_tmux -f /dev/null new-session -d -x "$w" -y "$h" \
		"env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC ${SCREEN_ENV:-} $DCOPS $* 2>>$TEST_TMP/dcops.err; sleep 60"
	screen_tmux set-option -g remain-on-exit on >/dev/null
}

screen_keys() {
	local k
	for k in "$@"; do screen_tmux send-keys "$k"; done
}

screen_dump() { screen_tmux capture-pane -p 2>/dev/null; }

screen_wait() {
	local text=$1 deadline=$((SECONDS + ${2:-10}))
	while [ $SECONDS -lt $deadline ]; do
		screen_dump | grep -qF -- "$text" && return 0
		sleep 0.1
	done
	echo "FAIL: screen never showed '$text'; it shows:" >&2
	screen_dump >&2
	[ -s "$TEST_TMP/dcops.err" ] && sed 's/^/dcops stderr: /' "$TEST_TMP/dcops.err" >&2
	return 1
}

screen_match() {
	local re=$1 deadline=$((SECONDS + ${2:-10}))
	while [ $SECONDS -lt $deadline ]; do
		screen_dump | grep -qE -- "$re" && return 0
		sleep 0.1
	done
	echo "FAIL: no line matched /$re/; the screen shows:" >&2
	screen_dump >&2
	return 1
}

screen_line() { screen_dump | sed -n "${1}p"; }

screen_gone() {
	local text=$1 deadline=$((SECONDS + ${2:-10}))
	while [ $SECONDS -lt $deadline ]; do
		screen_dump | grep -qF -- "$text" || return 0
		sleep 0.1
	done
	echo "FAIL: screen still shows '$text':" >&2
	screen_dump >&2
	return 1
}

screen_resize() { screen_tmux resize-window -x "$1" -y "$2"; }

# A small site: 2 partitions, 3 racks, 4 nodes with GPUs, two tenants (one
# Korean), jobs running and pending, an incident with a timeline.
screen_db() {
	local db=$1
	createdb -T "$DCOPS_TEST_TEMPLATE" "$db" || return 1
	psql -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
INSERT INTO dcops.setting (key, value) VALUES ('site.name', 'Test Site 광주'), ('environment', 'staging');
INSERT INTO dcops.site (code, name) VALUES ('T', 'Test Site');
INSERT INTO dcops.hall (site_id, name) VALUES (1, 'H1');
INSERT INTO dcops.rack (hall_id, name, row_no, position, power_cap_kw) VALUES
  (1, 'r01-01', 1, 1, 40), (1, 'r01-02', 1, 2, 40), (1, 'r02-01', 2, 1, 40);
INSERT INTO dcops.partition (name, gpu_model) VALUES ('h100', 'H100'), ('a100', 'A100');
INSERT INTO dcops.node (name, rack_id, slot, partition_id, model, gpu_count, sched_state,
                        admin_state, drain_reason, drained_by, drained_at, health, power_w) VALUES
  ('tn-h100-001', 1, 1, 1, 'H100', 2, 'allocated', 'active', NULL, NULL, NULL, 'ok', 1500),
  ('tn-h100-002', 1, 2, 1, 'H100', 2, 'idle', 'drained', 'xid 79 on gpu1', 'kim', now(), 'fail', 300),
  ('tn-a100-001', 2, 1, 2, 'A100', 2, 'mixed', 'active', NULL, NULL, NULL, 'ok', 900),
  ('tn-a100-002', 3, 1, 2, 'A100', 2, 'idle', 'active', NULL, NULL, NULL, 'warn', 200);
INSERT INTO dcops.tenant (name, name_en, kind) VALUES
  ('(주)딥비전랩스', 'Deepvision Labs', 'startup'), ('Acme Research', 'Acme Research', 'enterprise');
INSERT INTO dcops.quota (tenant_id, gpu_limit, gpu_hours_budget, gpu_hours_used, storage_tb,
                         storage_used_tb, term_start, term_end) VALUES
  (1, 4, 1000, 950, 10, 2, current_date - 30, current_date + 60),
  (2, 8, 50000, 100, 20, 1, current_date - 30, current_date + 300);
INSERT INTO dcops.job (tenant_id, partition_id, user_name, name, gpus, state, reason, submit_at, start_at, node_list) VALUES
  (1, 1, 'lee', 'train-llm', 2, 'running', '', now() - interval '2 hours', now() - interval '1 hour', 'tn-h100-001'),
  (2, 1, 'park', 'sweep', 4, 'pending', 'Resources', now() - interval '3 hours', NULL, ''),
  (2, 2, 'choi', 'infer', 1, 'running', '', now() - interval '1 hour', now() - interval '30 minutes', 'tn-a100-001');
INSERT INTO dcops.gpu (node_id, idx, uuid, util_pct, mem_used_mib, mem_total_mib, temp_c, power_w, job_id, last_xid, last_xid_at) VALUES
  (1, 0, 'GPU-1-0', 91, 70000, 81920, 71, 650, 1, NULL, NULL),
  (1, 1, 'GPU-1-1', 89, 70000, 81920, 70, 640, 1, NULL, NULL),
  (2, 0, 'GPU-2-0', 0, 0, 81920, 35, 60, NULL, NULL, NULL),
  (2, 1, 'GPU-2-1', 0, 0, 81920, 36, 60, NULL, 79, now()),
  (3, 0, 'GPU-3-0', 50, 20000, 40960, 60, 300, 3, NULL, NULL),
  (3, 1, 'GPU-3-1', 0, 0, 40960, 40, 60, NULL, NULL, NULL),
  (4, 0, 'GPU-4-0', 0, 0, 40960, 33, 50, NULL, NULL, NULL),
  (4, 1, 'GPU-4-1', 0, 0, 40960, 33, 50, NULL, NULL, NULL);
INSERT INTO dcops.incident (sev, title, impact, owner) VALUES
  (2, 'Xid 79 on tn-h100-002', 'tn-h100-002 drained; (주)딥비전랩스 affected', 'kim');
INSERT INTO dcops.incident_event (incident_id, kind, body) VALUES
  (1, 'opened', 'raised by telemetry: tn-h100-002 gpu1 Xid 79'),
  (1, 'note', 'node drained, vendor ticket opened');
SQL
}
