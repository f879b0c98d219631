#!/bin/sh
# deps.sh PKG... — install the Debian packages that are missing, and only those.
# Says what it is about to install; uses sudo when not root; no-op when complete.
set -eu
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
# dcops runs its own private clusters; don't let the package make a system one.
case " $missing " in
*" postgresql "*)
	if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
		$SUDO mkdir -p /etc/postgresql-common
		echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
	fi ;;
esac
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
echo "deps: done"
