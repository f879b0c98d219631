#!/usr/bin/env bash
# install.sh — `make install PREFIX=...` gives a dcops that runs from the
# prefix alone: it finds its SQL (a dry-run migration of a fresh database
# on run.sh's cluster), dcopsd sits next to it, the man page is there;
# DESTDIR staging works; `make uninstall` removes it all.
set -u
: "${TEST_TMP:?run through tests/run.sh}" "${DCOPS:?}" "${DCOPS_ROOT:?}"
P="$TEST_TMP/prefix"
BUILD_DIR=${DCOPS%/bin/dcops}
BUILD_DIR=${BUILD_DIR#"$DCOPS_ROOT"/}
DB="install_test_$$"
# The installed binary must not find the source tree through these.
unset DCOPS_DATADIR DCOPS_VAR

cleanup() { dropdb --if-exists "$DB" >/dev/null 2>&1; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$TEST_TMP/out" ] && sed 's/^/  out: /' "$TEST_TMP/out"; exit 1; }
mk() { make --no-print-directory -C "$DCOPS_ROOT" BUILD="$BUILD_DIR" "$@" >"$TEST_TMP/out" 2>&1; }

echo "== make install PREFIX=$P"
mk install PREFIX="$P" || fail "make install failed"
for f in bin/dcops bin/dcopsd; do
	[ -x "$P/$f" ] || fail "$f not installed"
done
[ -f "$P/share/man/man1/dcops.1" ] || fail "man page dcops.1 not installed"
head -n 20 "$P/share/man/man1/dcops.1" | grep -q '^\.TH DCOPS 1' || fail "dcops.1 has no .TH line"
ls "$P"/share/dcops/backend/sql/0*.sql >/dev/null 2>&1 || fail "SQL migrations not installed"
[ -f "$P/share/dcops/backend/seed/gwangju.json" ] || fail "seed file not installed"
[ -f "$P/share/dcops/backend/remedy/xid.json" ] || fail "remediation table not installed"

echo "== the installed dcops runs"
"$P/bin/dcops" --help >"$TEST_TMP/out" 2>&1 || fail "dcops --help failed"
grep -q "demo" "$TEST_TMP/out" || fail "dcops --help does not list demo"

echo "== it finds its SQL under the prefix"
createdb "$DB" || fail "createdb $DB failed"
(cd / && "$P/bin/dcops" --db "dbname=$DB" db migrate --dry-run) >"$TEST_TMP/out" 2>&1 ||
	fail "installed dcops db migrate --dry-run failed"
grep -q "001" "$TEST_TMP/out" || fail "dry run does not name migration 001"
[ "$(psql -X -At -d "$DB" -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'dcops'")" = 0 ] ||
	fail "--dry-run changed the database"
(cd / && "$P/bin/dcops" -q --db "dbname=$DB" db migrate) >"$TEST_TMP/out" 2>&1 ||
	fail "installed dcops db migrate failed"
[ "$(psql -X -At -d "$DB" -c "SELECT count(*) FROM pg_namespace WHERE nspname = 'dcops'")" = 1 ] ||
	fail "installed migration did not create schema dcops"

echo "== DESTDIR staging"
mk install DESTDIR="$TEST_TMP/stage" PREFIX=/opt/dcops || fail "make install DESTDIR failed"
[ -x "$TEST_TMP/stage/opt/dcops/bin/dcops" ] || fail "DESTDIR install missed bin/dcops"

echo "== make uninstall"
mk uninstall PREFIX="$P" || fail "make uninstall failed"
[ ! -e "$P/bin/dcops" ] && [ ! -e "$P/share/dcops" ] && [ ! -e "$P/share/man/man1/dcops.1" ] ||
	fail "make uninstall left files behind"
echo "ok"
