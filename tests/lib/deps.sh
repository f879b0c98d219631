#!/bin/sh
# deps.sh PKG... — install the Debian packages that are missing, and only those.
# Says what it is about to install; uses sudo when not root; no-op when complete.
set -eu
# dpkg refuses to run without the sbin directories (ldconfig, start-stop-daemon).
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export PATH
missing=""
for p in "$@"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all $# packages present"
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: missing packages:$missing — install them with your package manager" >&2
	exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: missing packages:$missing — run as root or install sudo" >&2
	exit 1
fi
echo "deps: installing:$missing${SUDO:+ (with sudo)}"
# dcops runs its own private clusters; don't let the package make a system
# one (a service on port 5432). postgresql-common reads this file only;
# an explicit setting already there is the administrator's and is kept.
case " $missing " in
*" postgresql "*)
	cc=/etc/postgresql-common/createcluster.conf
	if [ ! -e "$cc" ]; then
		$SUDO mkdir -p /etc/postgresql-common
		echo "create_main_cluster = false" | $SUDO tee "$cc" >/dev/null
	elif ! grep -q '^[[:space:]]*create_main_cluster' "$cc"; then
		echo "create_main_cluster = false" | $SUDO tee -a "$cc" >/dev/null
	fi ;;
esac
# The same for the daemons the tests run privately (munge, MariaDB, Slurm,
# Prometheus):
# their maintainer scripts would start them now and at every boot. During
# the install a policy-rc.d denies every start (one already there is the
# administrator's and is kept); afterwards those of them this run brought in
# are disabled, so nothing of theirs runs system-wide. A daemon installed
# before is left as it was.
private="munge mariadb slurmctld slurmd slurmdbd prometheus"
unit_present() { [ -e "/lib/systemd/system/$1.service" ] || [ -e "/etc/init.d/$1" ]; }
fresh=""
for s in $private; do unit_present "$s" || fresh="$fresh $s"; done
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# dcops deps.sh: no service starts while it installs\nexit 101\n' |
		$SUDO tee "$policy" >/dev/null
	$SUDO chmod 755 "$policy"
	trap '$SUDO rm -f "$policy"' EXIT
fi
$SUDO apt-get update -qq
# No questions: keep configuration files already on disk (ours above included).
# Another apt run (a second make, another user) holds the lock: wait for it.
$SUDO env DEBIAN_FRONTEND=noninteractive UCF_FORCE_CONFFOLD=1 \
	apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing </dev/null
for s in $fresh; do
	unit_present "$s" || continue
	$SUDO deb-systemd-helper disable "$s.service" >/dev/null 2>&1 || true
	[ -e "/etc/init.d/$s" ] && { $SUDO update-rc.d "$s" disable >/dev/null 2>&1 || true; }
	echo "deps: $s left disabled (the tests start their own)"
done
echo "deps: done"
