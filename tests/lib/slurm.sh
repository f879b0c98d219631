# shellcheck shell=bash
# slurm.sh — a real Slurm 22.05 cluster for tests, in a temp dir, as the
# calling user's own processes (no systemd, nothing of the system's munge,
# MariaDB or Slurm touched; root or not: Slurm runs as the caller, and so do
# its jobs). Source it, or run it as a command:
#
#   slurm_start DIR   in DIR: a private MariaDB (socket + a free 127.0.0.1
#                     port), munged with its own key and socket, slurmdbd,
#                     slurmctld and one slurmd, each on a free 127.0.0.1 port;
#                     the cluster gwangju-test, its accounts (Korean
#                     descriptions, GPU limits) and users made with sacctmgr.
#                     Exports SLURM_CONF (every client command reads it) and
#                     writes DIR/env (the same, to source) and DIR/startup_ms.
#                     On failure it prints the failing daemon's log, stops
#                     what it started and returns 1; 77 when this machine
#                     lacks a program (slurm_unavailable says which).
#                     munged refuses a DIR under a directory others may
#                     write to without the sticky bit.
#   slurm_node_start DIR NODE  a slurmd for one more defined node (-N).
#   slurm_stop DIR    cancels the jobs, stops every daemon, kills job steps
#                     left behind; safe when nothing runs, safe twice.
#   slurm_leftovers DIR  prints the pids of processes of DIR still alive
#                     (none after slurm_stop).
#   bash tests/lib/slurm.sh start|stop|leftovers DIR
#   bash tests/lib/slurm.sh with-cluster DIR CMD...
#                     start, run CMD with SLURM_CONF set, stop on any exit.
#
# The cluster: partitions h100 (default) and a100; nodes gwj-h100-001..004
# (8 x gpu:h100 each) and gwj-a100-001..002 (8 x gpu:a100). Only
# gwj-h100-001 has a slurmd and runs jobs (its GPUs are files in DIR/dev);
# the others are defined, each on a port nobody listens on, and start
# UNKNOWN until marked. Accounts (GrpTRES=gres/gpu=N):
#   hanbit  한빛랩 4 GPUs · saebyeol 새별AI연구소 8 · gwangju-med 광주의료AI센터
#   16 and 600000 GPU-minutes; the calling user belongs to all three.
# sacctmgr stores descriptions lowercased (새별ai연구소).
#
# Every daemon is started with DCOPS_SLURM_DIR=DIR in its environment and
# its pid in DIR/pids; job steps (slurmstepd, which ignores SIGTERM and
# outlives slurmd) are found by the sockets they listen on in the spool.
# Unix socket paths must fit in 108 bytes, and a test's DIR can be long:
# the sockets (MariaDB's, munge's, slurmd's spool) live in a short
# /tmp/dcops-slurm.* directory, named in DIR/short, linked as DIR/munge and
# DIR/spool, and removed by slurm_stop.

SLURM_CLUSTER=gwangju-test
SLURM_REAL_NODE=gwj-h100-001
# Accounts: name|description|organization|GrpTRES|GrpTRESMins
SLURM_ACCOUNTS=(
	"hanbit|한빛랩|한빛대학교|gres/gpu=4|"
	"saebyeol|새별AI연구소|새별|gres/gpu=8|"
	"gwangju-med|광주의료AI센터|광주광역시|gres/gpu=16|gres/gpu=600000"
)

. "$(dirname "${BASH_SOURCE[0]}")/free-port.sh"
slurm_free_port() { PORTS_TAKEN=${SLURM_PORTS_TAKEN:-} free_port; }

# Why this machine cannot run the cluster, or nothing when it can.
slurm_unavailable() {
	local b
	for b in mariadb-install-db mariadbd mariadb munged slurmdbd slurmctld slurmd slurmstepd sacctmgr sbatch; do
		command -v "$b" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$b" >/dev/null 2>&1 ||
			{ echo "$b not found (make deps-check installs slurm-wlm, slurmdbd, munge, mariadb-server)"; return; }
	done
}

# Starts a daemon in the background, marked and remembered.
slurm_spawn() {
	local dir=$1 name=$2; shift 2
	env DCOPS_SLURM_DIR="$dir" SLURM_CONF="$dir/etc/slurm.conf" "$@" >>"$dir/log/$name.out" 2>&1 </dev/null &
	echo $! >"$dir/pids/$name"
}

# Waits up to $2 seconds for "$3..." to succeed while daemon $1 lives.
slurm_wait() {
	local dir=$1 name=$2 secs=$3 i pid
	shift 3
	pid=$(cat "$dir/pids/$name")
	local end=$((SECONDS + secs))
	while [ $SECONDS -lt $end ] && kill -0 "$pid" 2>/dev/null; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "slurm.sh: $name did not come up (pid $pid); its log:" >&2
	tail -n 25 "$dir/log/$name".* >&2 2>/dev/null
	return 1
}

slurm_write_conf() {
	local dir=$1 me=$2 host=$3 ctld=$4 slurmd=$5 dbd=$6 mysql=$7
	local short auth
	short=$(slurm_short "$dir")
	auth="AuthInfo=socket=$short/munge/munge.socket"
	{
		echo "ClusterName=$SLURM_CLUSTER"
		echo "SlurmctldHost=$host(127.0.0.1)"
		echo "SlurmctldPort=$ctld"
		echo "SlurmdPort=$slurmd"
		echo "SlurmUser=$me"
		echo "SlurmdUser=$me"
		echo "AuthType=auth/munge"
		echo "CredType=cred/munge"
		echo "$auth"
		echo "StateSaveLocation=$dir/state"
		echo "SlurmdSpoolDir=$short/spool/%n"
		echo "SlurmctldPidFile=$dir/run/slurmctld.pid"
		echo "SlurmdPidFile=$dir/run/slurmd-%n.pid"
		echo "SlurmctldLogFile=$dir/log/slurmctld.log"
		echo "SlurmdLogFile=$dir/log/slurmd-%n.log"
		echo "MailProg=/bin/true"
		echo "SlurmctldDebug=info"
		echo "SlurmdDebug=info"
		# No cgroups: the harness may run where none can be made.
		echo "ProctrackType=proctrack/pgid"
		echo "TaskPlugin=task/none"
		echo "JobAcctGatherType=jobacct_gather/none"
		echo "MpiDefault=none"
		echo "SwitchType=switch/none"
		echo "SelectType=select/cons_tres"
		echo "SelectTypeParameters=CR_Core"
		echo "GresTypes=gpu"
		echo "AccountingStorageType=accounting_storage/slurmdbd"
		echo "AccountingStorageHost=127.0.0.1"
		echo "AccountingStoragePort=$dbd"
		# Connections to slurmdbd take their munge socket from here, not AuthInfo.
		echo "AccountingStoragePass=$short/munge/munge.socket"
		echo "AccountingStorageEnforce=associations,limits,safe"
		echo "AccountingStorageTRES=gres/gpu"
		echo "JobCompType=jobcomp/none"
		# The node's real size (2 cores here) is not its configured one.
		echo "SlurmdParameters=config_overrides"
		echo "ReturnToService=2"
		echo "SlurmdTimeout=300"
		echo "KillWait=2"
		echo "MinJobAge=600"
		echo "SchedulerParameters=sched_interval=2,bf_interval=2"
		local i n p
		echo "NodeName=$SLURM_REAL_NODE NodeHostname=$host NodeAddr=127.0.0.1 Port=$slurmd CPUs=64 RealMemory=512000 Gres=gpu:h100:8 State=UNKNOWN"
		for n in gwj-h100-002 gwj-h100-003 gwj-h100-004 gwj-a100-001 gwj-a100-002; do
			p=$(slurm_free_port) || return 1
			echo "NodeName=$n NodeHostname=$n NodeAddr=127.0.0.1 Port=$p CPUs=64 RealMemory=512000 Gres=gpu:${n:4:4}:8 State=UNKNOWN"
		done
		# A default time limit: under GrpTRESMins (with "safe") a job with
		# none would pend on AssocGrpGRESMinutes forever.
		echo "PartitionName=h100 Nodes=gwj-h100-[001-004] Default=YES DefaultTime=1-00:00:00 MaxTime=INFINITE State=UP"
		echo "PartitionName=a100 Nodes=gwj-a100-[001-002] DefaultTime=1-00:00:00 MaxTime=7-00:00:00 State=UP"
	} >"$dir/etc/slurm.conf" || return 1
	mkdir -p "$dir/dev"
	# Fake GPUs: 22.05 drops GPUs without File=. As root a character
	# device like /dev/null; otherwise plain files (slurmd logs an error for
	# each and uses them).
	for i in 0 1 2 3 4 5 6 7; do
		mknod "$dir/dev/nvidia$i" c 1 3 2>/dev/null || : >"$dir/dev/nvidia$i"
	done
	{
		echo "AutoDetect=off"
		echo "NodeName=gwj-h100-[001-004] Name=gpu Type=h100 File=$dir/dev/nvidia[0-7]"
		echo "NodeName=gwj-a100-[001-002] Name=gpu Type=a100 File=$dir/dev/nvidia[0-7]"
	} >"$dir/etc/gres.conf"
	{
		echo "$auth"
		echo "AuthType=auth/munge"
		echo "DbdHost=$host"
		echo "DbdAddr=127.0.0.1"
		echo "DbdPort=$dbd"
		echo "SlurmUser=$me"
		echo "LogFile=$dir/log/slurmdbd.log"
		echo "PidFile=$dir/run/slurmdbd.pid"
		echo "DebugLevel=info"
		echo "StorageType=accounting_storage/mysql"
		echo "StorageHost=127.0.0.1"
		echo "StoragePort=$mysql"
		echo "StorageUser=slurm"
		echo "StoragePass=dcops-test"
		echo "StorageLoc=slurm_acct_db"
	} >"$dir/etc/slurmdbd.conf"
	# slurmdbd refuses a config others can read (it holds the password).
	chmod 600 "$dir/etc/slurmdbd.conf"
}

slurm_mysql_start() {
	local dir=$1 port=$2 me=$3 asroot=()
	[ "$(id -u)" -eq 0 ] && asroot=(--user=root)
	mariadb-install-db --no-defaults --datadir="$dir/mysql/data" "${asroot[@]}" \
		--auth-root-authentication-method=socket --auth-root-socket-user="$me" \
		--skip-test-db --skip-name-resolve >"$dir/log/mysql-install.log" 2>&1 ||
		{ tail -n 20 "$dir/log/mysql-install.log" >&2; return 1; }
	slurm_spawn "$dir" mysql mariadbd --no-defaults --datadir="$dir/mysql/data" "${asroot[@]}" \
		--socket="$(slurm_short "$dir")/mysql.sock" --port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
		--pid-file="$dir/run/mysql.pid" --log-error="$dir/log/mysql.log" --skip-log-bin \
		--innodb-buffer-pool-size=64M --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=0 \
		--max-connections=50 --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
		--skip-character-set-client-handshake
	slurm_wait "$dir" mysql 60 timeout 10 mariadb-admin --no-defaults -S "$(slurm_short "$dir")/mysql.sock" -u "$me" ping || return 1
	mariadb --no-defaults -S "$(slurm_short "$dir")/mysql.sock" -u "$me" -e "
		CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY 'dcops-test';
		GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';" ||
		{ echo "slurm.sh: could not create the slurm database user" >&2; return 1; }
}

slurm_munge_start() {
	local dir=$1 m force=()
	m=$(slurm_short "$dir")/munge
	[ "$(id -u)" -eq 0 ] && force=(--force)
	# munged wants its socket directory searchable by all, writable by none.
	mkdir -p "$m" && chmod 755 "$m"
	dd if=/dev/urandom of="$m/munge.key" bs=1024 count=1 status=none && chmod 400 "$m/munge.key"
	slurm_spawn "$dir" munge munged -F "${force[@]}" --socket="$m/munge.socket" \
		--key-file="$m/munge.key" --pid-file="$dir/run/munged.pid" \
		--log-file="$dir/log/munge.log" --seed-file="$m/seed" --num-threads=4
	slurm_wait "$dir" munge 20 slurm_munge_ok "$m/munge.socket"
}

slurm_short() { cat "$1/short" 2>/dev/null; }

# Probes for slurm_wait; a client that hangs (Slurm's retry connecting for
# up to MessageTimeout, 10 s) counts as a failed try.
slurm_munge_ok() { timeout 10 munge -n -S "$1" | timeout 10 unmunge -S "$1"; }
slurm_dbd_up() { timeout 3 sacctmgr -n show cluster; }

# The cluster, its accounts and users; slurmdbd must be up.
# slurmdbd answered "Problem adding clusters: Unspecified error" once at
# load 56 (its first MariaDB transactions still settling): retried three
# times, each try checking whether the cluster landed after all.
slurm_cluster_add() {
	local try
	for try in 1 2 3; do
		sacctmgr -i add cluster "$SLURM_CLUSTER" && return 0
		sacctmgr -n -P list cluster format=cluster 2>/dev/null | grep -qx "$SLURM_CLUSTER" && return 0
		echo "slurm harness: adding cluster $SLURM_CLUSTER failed (try $try of 3)" >&2
		sleep 2
	done
	return 1
}

slurm_accounts() {
	local me=$1 a name desc org grp mins names=()
	slurm_cluster_add || return 1
	for a in "${SLURM_ACCOUNTS[@]}"; do
		IFS='|' read -r name desc org grp mins <<<"$a"
		names+=("$name")
		sacctmgr -i add account "$name" Cluster="$SLURM_CLUSTER" Description="$desc" \
			Organization="$org" || return 1
	done
	local IFS=,
	sacctmgr -i add user "$me" Account="${names[*]}" DefaultAccount="${names[0]}" || return 1
}

# GPU limits: the TRES gres/gpu exists only once slurmctld has registered
# AccountingStorageTRES with slurmdbd.
slurm_limits() {
	local a name desc org grp mins
	for a in "${SLURM_ACCOUNTS[@]}"; do
		IFS='|' read -r name desc org grp mins <<<"$a"
		sacctmgr -i modify account where name="$name" cluster="$SLURM_CLUSTER" \
			set GrpTRES="$grp" ${mins:+GrpTRESMins="$mins"} || return 1
	done
}

# Runs a sacctmgr step into DIR/log/sacctmgr.log; shows the log if it fails.
slurm_logged() {
	local dir=$1; shift
	"$@" >>"$dir/log/sacctmgr.log" 2>&1 && return 0
	echo "slurm.sh: $1 failed:" >&2; tail -n 20 "$dir/log/sacctmgr.log" >&2
	return 1
}

slurm_ctld_up() { timeout 3 scontrol ping | grep -q 'is UP'; }
slurm_node_idle() { [ "$(timeout 3 sinfo -h -n "$1" -o %T)" = idle ]; }

# A slurmd for a node of slurm.conf, on that node's port (-N: several
# slurmd on one host, each its own spool, log and pid file by %n).
slurm_node_start() {
	local dir=$1 node=$2
	mkdir -p "$(slurm_short "$dir")/spool/$node"
	slurm_spawn "$dir" "slurmd-$node" slurmd -D -N "$node" &&
		slurm_wait "$dir" "slurmd-$node" 60 slurm_node_idle "$node"
}

slurm_start() {
	local dir=$1 why
	why=$(slurm_unavailable)
	if [ -n "$why" ]; then echo "slurm.sh: $why" >&2; return 77; fi
	PATH="$PATH:/usr/sbin:/sbin"
	mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
	local t0 me host mport cport dport sport short
	t0=$(date +%s%N)
	me=$(id -un)
	host=$(hostname -s)
	mkdir -p "$dir"/{etc,log,run,pids,state,mysql}
	short=$(mktemp -d /tmp/dcops-slurm.XXXXXX) && chmod 755 "$short" && echo "$short" >"$dir/short" &&
		mkdir -p "$short/spool" && ln -sfn "$short/spool" "$dir/spool" && ln -sfn "$short/munge" "$dir/munge" ||
		return 1
	SLURM_PORTS_TAKEN="$dir/ports" && : >"$SLURM_PORTS_TAKEN"
	mport=$(slurm_free_port) && cport=$(slurm_free_port) && dport=$(slurm_free_port) &&
		sport=$(slurm_free_port) || return 1
	export SLURM_CONF="$dir/etc/slurm.conf"
	printf 'export SLURM_CONF=%q\n' "$SLURM_CONF" >"$dir/env"
	slurm_write_conf "$dir" "$me" "$host" "$cport" "$sport" "$dport" "$mport" &&
		slurm_mysql_start "$dir" "$mport" "$me" &&
		slurm_munge_start "$dir" &&
		slurm_spawn "$dir" slurmdbd slurmdbd -D &&
		slurm_wait "$dir" slurmdbd 60 slurm_dbd_up &&
		slurm_logged "$dir" slurm_accounts "$me" &&
		slurm_spawn "$dir" slurmctld slurmctld -D -i &&
		slurm_wait "$dir" slurmctld 60 slurm_ctld_up &&
		slurm_logged "$dir" slurm_limits &&
		slurm_node_start "$dir" "$SLURM_REAL_NODE" ||
		{ slurm_stop "$dir"; return 1; }
	echo $((($(date +%s%N) - t0) / 1000000)) >"$dir/startup_ms"
}

# Pids of processes listening on a Unix socket under DIR/spool: the job
# steps (ss is in iproute2, which mariadb-server depends on).
slurm_step_pids() {
	local short
	short=$(slurm_short "$1")
	[ -n "$short" ] || return 0
	ss -xlpn 2>/dev/null | awk -v d="$short/spool/" 'index($5, d) == 1' |
		grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u
}

# Children first, then the parent, so none is reparented and missed.
slurm_tree() {
	local pid=$1 c
	for c in $(ps -o pid= --ppid "$pid" 2>/dev/null); do slurm_tree "$c"; done
	echo "$pid"
}

# Every live process of DIR: the daemons (by the mark in their environment
# or their pid file), the job steps and whatever runs under them.
slurm_leftovers() {
	local dir=$1 p f
	{
		for f in "$dir"/pids/*; do
			[ -f "$f" ] && p=$(cat "$f") && kill -0 "$p" 2>/dev/null && slurm_tree "$p"
		done
		for f in $(grep -lszxF "DCOPS_SLURM_DIR=$dir" /proc/[0-9]*/environ); do
			f=${f#/proc/}; slurm_tree "${f%/environ}"
		done
		for p in $(slurm_step_pids "$dir"); do slurm_tree "$p"; done
	} | sort -un | while read -r p; do kill -0 "$p" 2>/dev/null && echo "$p"; done
}

# TERMs the daemons of the given pid files and waits for them to end.
slurm_term() {
	local dir=$1 f pids=() p i
	shift
	for f in "$@"; do
		[ -f "$f" ] && p=$(cat "$f") && kill -TERM "$p" 2>/dev/null && pids+=("$p")
	done
	for i in $(seq 1 100); do
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && break; p=""; done
		[ -z "${p:-}" ] && return 0
		sleep 0.1
	done
}

slurm_stop() {
	local dir=$1 i left
	[ -d "$dir/pids" ] || return 0
	dir=$(cd "$dir" && pwd)
	export SLURM_CONF="$dir/etc/slurm.conf"
	PATH="$PATH:/usr/sbin:/sbin"
	# Jobs first, while slurmctld and slurmd can still end them cleanly.
	if [ -f "$dir/pids/slurmctld" ] && kill -0 "$(cat "$dir/pids/slurmctld")" 2>/dev/null; then
		local jobs
		jobs=$(timeout 10 squeue -h -o %A 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$jobs" ] && timeout 10 scancel $jobs 2>/dev/null
		# Until the steps are gone and slurmctld has their epilogs: a slurmd
		# stopped before that waits 10 s trying to tell slurmctld.
		for i in $(seq 1 50); do
			[ -z "$(slurm_step_pids "$dir")" ] &&
				[ -z "$(timeout 5 squeue -h -t R,CG,S -o %A 2>/dev/null)" ] && break
			sleep 0.2
		done
	fi
	# Each waited for up to 10 s, the last three together.
	slurm_term "$dir" "$dir"/pids/slurmd-*
	slurm_term "$dir" "$dir/pids/slurmctld"
	slurm_term "$dir" "$dir"/pids/{slurmdbd,munge,mysql}
	left=$(slurm_leftovers "$dir")
	# shellcheck disable=SC2086
	[ -n "$left" ] && kill -KILL $left 2>/dev/null
	for i in $(seq 1 20); do
		[ -z "$(slurm_leftovers "$dir")" ] && break
		sleep 0.1
	done
	local short
	short=$(slurm_short "$dir")
	case "$short" in /tmp/dcops-slurm.??????) rm -rf "$short" ;; esac
	return 0
}

slurm_with_cluster() {
	local dir=$1; shift
	# shellcheck disable=SC2064 # $dir is meant to expand now
	trap "slurm_stop '$dir'" EXIT
	trap 'exit 130' INT TERM
	slurm_start "$dir" || exit $?
	echo "slurm.sh: cluster $SLURM_CLUSTER up in $(cat "$dir/startup_ms") ms, SLURM_CONF=$SLURM_CONF"
	"$@"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	cmd=${1:-}; shift || true
	case "$cmd" in
	start) slurm_start "$1" && echo "slurm.sh: up in $(cat "$1/startup_ms") ms; . $1/env" ;;
	stop) slurm_stop "$1" ;;
	leftovers) slurm_leftovers "$1" ;;
	with-cluster) slurm_with_cluster "$@" ;;
	*) echo "usage: slurm.sh start|stop|leftovers DIR | with-cluster DIR CMD..." >&2; exit 2 ;;
	esac
fi
