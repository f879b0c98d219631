#!/usr/bin/env bash
# sigstop.sh — the database hangs rather than dies: every process of the
# cluster is SIGSTOPped, so connections stay open and nothing answers (TCP
# would not notice for minutes, a Unix socket never). The console must see
# it by its own clock (the idle poll, 5 s, then the read deadline, 3 s),
# keep answering keys meanwhile, and come back after SIGCONT.
. "$DCOPS_ROOT/tests/screen/lib.sh"
. "$DCOPS_ROOT/tests/faults/lib.sh"
set -e
pgdir="$TEST_TMP/pg"
trap 'screen_stop; fault_cleanup "$pgdir"' EXIT
fault_cluster "$pgdir" hang
screen_start 100 30 --db "'host=$pgdir/sock dbname=hang'"
trap 'screen_stop; fault_cleanup "$pgdir"' EXIT
screen_wait "DB UP"
screen_wait "tn-h100-001"

pids=$(fault_pids "$pgdir")
t0=$(fault_ms)
for p in $pids; do kill -STOP "$p"; done

# keys are answered at once while the read hangs
for k in 2 4 1; do
	tk=$(fault_ms)
	screen_keys "$k"
	case $k in
	2) screen_wait "2 partitions" 2 ;;
	4) screen_wait "Xid 79 on tn-h100-002" 2 ;;
	1) screen_wait "4 nodes" 2 ;;
	esac
	echo "key $k answered in $(fault_elapsed "$tk") ms while the server is stopped"
done

screen_wait "STALE" 12
detect_ms=$(fault_elapsed "$t0")
screen_match "DB (DOWN|CONNECTING)" 1
screen_match "no answer from the server|timeout|timed out" 2
screen_wait "tn-h100-001" 1
screen_keys 3
screen_wait "Acme Research" 2
screen_keys 1
screen_wait "4 nodes" 2

t1=$(fault_ms)
for p in $pids; do kill -CONT "$p"; done
screen_wait "DB UP" 10
up_ms=$(fault_elapsed "$t1")
screen_gone "STALE" 2
psql -q -d hang -c "UPDATE dcops.node SET sched_state = 'down' WHERE name = 'tn-a100-002'"
screen_match "tn-a100-002 .*down" 5
echo "sigstop: STALE ${detect_ms} ms after SIGSTOP; DB UP ${up_ms} ms after SIGCONT"
# poll (5 s) + deadline (3 s) + a second of slack; TCP would take minutes
[ "$detect_ms" -le 9000 ] || { echo "FAIL: noticed after ${detect_ms} ms (limit 9000)"; exit 1; }
[ "$up_ms" -le 5000 ] || { echo "FAIL: back ${up_ms} ms after SIGCONT (limit 5000)"; exit 1; }
echo "sigstop: ok"
