#!/usr/bin/env bash
# terminal.sh — the terminal misbehaves under the console: 100 resizes in a
# burst, a 20x5 terminal, a SIGTERM, and the terminal closed under it (the
# tmux server killed: SIGHUP). Each time: no crash (exit status, no core),
# the screen drawn right afterwards, the terminal's settings restored on
# exit, and no dcops process left behind.
. "$(dirname "$0")/lib.sh"
set -e
db="screen_term_$$"
screen_db "$db"
trap 'screen_stop; dropdb --if-exists "$db"' EXIT
cd "$TEST_TMP"      # a core file would land here

# Runs the console in a shell that records the terminal's settings before
# and after, and dcops's exit status; a HUP only interrupts the shell once
# dcops has exited.
cat >wrap.sh <<EOF
stty -a >stty.before
trap 'echo hup >>hup' HUP
env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC "$DCOPS" --db "dbname=$db" 2>>dcops.err
echo \$? >status
stty -a >stty.after 2>/dev/null
[ -e hup ] && exit 0
sleep 60 &
trap 'kill \$!; exit 0' HUP TERM
wait
EOF
console() {
	rm -f status stty.before stty.after hup
	screen_stop
	# a client started while the old server is going away talks to it
	for _ in $(seq 50); do screen_tmux ls >/dev/null 2>&1 || break; sleep 0.1; done
	screen_tmux -f /dev/null new-session -d -x 100 -y 30 "sh $TEST_TMP/wrap.sh"
	screen_wait "DB UP"
	screen_wait "tn-h100-001"
}
dcops_pids() { pgrep -f -- "--db dbname=$db" | grep -v "^$$\$" || true; }
# polls until dcops has exited; prints its status
exited() {
	local deadline=$((SECONDS + ${1:-5}))
	while [ $SECONDS -lt $deadline ]; do
		[ -s status ] && [ -z "$(dcops_pids)" ] && { cat status; return 0; }
		sleep 0.1
	done
	echo "FAIL: dcops still running or no status: pids '$(dcops_pids)'" >&2
	return 1
}
no_crash() {
	local st=$1 what=$2
	case $st in
	0|1|129|130|143) ;;
	*) echo "FAIL: $what: dcops exited $st"; exit 1 ;;
	esac
	ls core* 2>/dev/null && { echo "FAIL: $what: core file"; exit 1; }
	echo "$what: exit status $st, no core, no process left"
}
restored() {
	cmp -s stty.before stty.after || { echo "FAIL: $1: terminal settings differ:";
		diff stty.before stty.after; exit 1; }
	echo "$1: terminal settings restored"
}

console
# 100 resizes in a burst, sizes from 10x3 to 220x70
for i in $(seq 100); do
	screen_tmux resize-window -x $((10 + RANDOM % 211)) -y $((3 + RANDOM % 68))
done
screen_resize 100 30
screen_wait "tn-h100-001"
screen_wait "DB UP"
[ -n "$(dcops_pids)" ] || { echo "FAIL: dcops died in the resize burst"; exit 1; }
[ "$(screen_line 30 | wc -L)" -le 100 ]
echo "100 resizes: still running, redrawn at 100x30"

# 20x5: too small to draw the views; keys still work
screen_resize 20 5
screen_wait "too small"
screen_keys j k 2 1 / x Escape
sleep 0.3
[ -n "$(dcops_pids)" ]
screen_resize 1 1
sleep 0.3
screen_resize 100 30
screen_wait "tn-h100-001"
echo "20x5 and 1x1: drawn, keys taken, back at 100x30"

screen_keys q
st=$(exited)
no_crash "$st" "quit"
restored "quit"

console
kill -TERM $(dcops_pids)
st=$(exited)
no_crash "$st" "SIGTERM"
restored "SIGTERM"

# the terminal goes away under the console
console
screen_tmux kill-server
st=$(exited 10)
no_crash "$st" "terminal closed (SIGHUP)"
echo "terminal: ok"
