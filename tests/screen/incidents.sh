#!/usr/bin/env bash
# incidents.sh — the Incidents view sorted by IMPACT: worst first by the
# GPUs of the jobs killed, then the tenants hit (issue 17: the text sort
# ranked "1 job killed (16 GPUs)" below the 8-GPU ones).
. "$(dirname "$0")/lib.sh"
set -e
db="screen_incidents_$$"
screen_db "$db"
trap 'screen_stop; dropdb --if-exists "$db"' EXIT
psql -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL'
INSERT INTO dcops.incident (sev, title, impact, source, jobs_killed, tenants_hit, gpus_killed, largest_job_gpus, gpus_out) VALUES
  (4, 'eight one', '1 job killed (8 GPUs) of 1 tenant; 1 node auto-drained (8 GPUs)', 'dcopsd', 1, 1, 8, 8, 8),
  (3, 'sixteen', '1 job killed (16 GPUs) of 1 tenant; 1 node auto-drained (8 GPUs)', 'dcopsd', 1, 1, 16, 16, 8),
  (3, 'eight two', '2 jobs killed (8 GPUs) of 2 tenants; 1 node auto-drained (8 GPUs)', 'dcopsd', 2, 2, 8, 4, 8);
SQL
screen_start 160 24 --db "dbname=$db"
screen_wait "tn-h100-001"
screen_keys 4
screen_wait "4 open incidents"
# SEV is the default sort; IMPACT is five columns on
screen_keys s s s s s
screen_wait "IMPACT^"
order=$(screen_dump | grep -oE '#[0-9]+ ' | tr -d ' ' | tr '\n' ' ')
if [ "$order" != "#3 #4 #2 #1 " ]; then
	echo "FAIL: sorted by IMPACT the incidents are $order, want #3 #4 #2 #1" >&2
	screen_dump >&2
	exit 1
fi
screen_keys q
echo "incidents: ok"
