#!/usr/bin/env bash
# run.sh — the isolation specs in specs/ with PostgreSQL's isolation tester
# (pg_isolation_regress, shipped in postgresql-client's pgxs tree) against
# a copy of $DCOPS_TEST_TEMPLATE plus fixture.sql. Runs under tests/run.sh.
set -u
[ -n "${DCOPS_TEST_TEMPLATE:-}" ] || { echo "skipped: run through tests/run.sh"; exit 77; }
cd "$(dirname "$0")"
regress=$(ls "$(pg_config --pkglibdir 2>/dev/null)"/pgxs/src/test/isolation/pg_isolation_regress \
              /usr/lib/postgresql/*/lib/pgxs/src/test/isolation/pg_isolation_regress 2>/dev/null | head -n 1)
[ -x "$regress" ] || { echo "skipped: pg_isolation_regress not found"; exit 77; }
out=${TEST_TMP:-$(mktemp -d)}
DB="dcops_isolation_$$"
createdb -T "$DCOPS_TEST_TEMPLATE" "$DB" || exit 1
trap 'dropdb --force "$DB" >/dev/null 2>&1' EXIT
psql -q -X -v ON_ERROR_STOP=1 -d "$DB" -f fixture.sql >/dev/null 2>&1 || { echo "fixture failed"; exit 1; }
specs=$(cd specs && ls *.spec | sed 's/\.spec$//')
"$regress" --use-existing --dbname="$DB" --inputdir=. --outputdir="$out" \
	--host="$PGHOST" --port="${PGPORT:-5432}" --user="$PGUSER" $specs
rc=$?
[ $rc -eq 0 ] || cat "$out/regression.diffs" 2>/dev/null
exit $rc
