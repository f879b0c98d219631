# slurm-fake.sh — what the tests of dcopsd --adapter slurm without a real
# Slurm share (sourced; needs $top, a scratch dir, and $db):
#   q SQL            one psql statement on $db, unaligned, no header
#   is SQL VALUE     q's answer is VALUE
#   until_ok S CMD.. retries CMD every 0.2 s for up to S seconds
#   slurm_fake_bin   $top/bin: sinfo, scontrol, squeue, sacct, sacctmgr and
#                    sshare printing the recorded 22.05 output, copied to
#                    $top/data (edit it there to change what they print)
#   slurm_fake_cleanup  the EXIT trap: stops dcopsd ($dpid, when set) and
#                    drops $db
fx=$DCOPS_ROOT/tests/fixtures/slurm/22.05
bin=$top/bin data=$top/data
. "$DCOPS_ROOT/tests/lib/db-check.sh"
fake() { printf '#!/bin/sh\nd=%q\n%s\n' "$data" "$2" >"$bin/$1" && chmod +x "$bin/$1"; }
slurm_fake_bin() {
	mkdir -p "$bin" "$data"
	cp "$fx"/*.json "$fx"/*.txt "$data/"
	fake sinfo 'case "$1" in --version) head -n 1 "$d/version.txt" ;; *) cat "$d/sinfo.json" ;; esac'
	fake scontrol 'cat "$d/scontrol_show_partition.txt"'
	fake squeue 'cat "$d/squeue.json"'
	fake sacct 'cat "$d/sacct.json"'
	fake sacctmgr 'case "$*" in *assoc*) cat "$d/sacctmgr_show_assoc.txt" ;; *) cat "$d/sacctmgr_show_account.txt" ;; esac'
	fake sshare 'cat "$d/sshare.txt"'
}
slurm_fake_cleanup() {
	[ -n "${dpid:-}" ] && kill "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	dropdb --if-exists --force "$db" >/dev/null 2>&1 || true
}
