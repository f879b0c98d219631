#!/usr/bin/env bash
# tenant_names.sh — tenant names have spaces ("Acme Research"): linking
# tenants to an incident takes known names whole instead of splitting them
# at spaces, and the incident shows them joined by " · ", which a name
# cannot hold (issue 17).
. "$(dirname "$0")/lib.sh"
set -e
db="screen_tnames_$$"
screen_db "$db"
cleanup() { screen_stop; dropdb --if-exists "$db"; }
trap cleanup EXIT
screen_start 100 30 --db "dbname=$db"
trap cleanup EXIT
screen_wait "DB UP"
screen_keys 4
screen_wait "Xid 79 on tn-h100-002"
screen_keys L
screen_wait "Tenants"
screen_keys Tab
screen_keys "Acme Research, (주)딥비전랩스" Tab y

for _ in $(seq 50); do
	[ "$(psql -tA -d "$db" -c "SELECT count(*) FROM dcops.incident_tenant WHERE incident_id = 1")" = 2 ] && break
	sleep 0.2
done
got=$(psql -tA -d "$db" -c "SELECT string_agg(t.name, '|' ORDER BY t.name) FROM dcops.incident_tenant l
                            JOIN dcops.tenant t ON t.id = l.tenant_id WHERE l.incident_id = 1")
[ "$got" = "(주)딥비전랩스|Acme Research" ] || { echo "FAIL: linked tenants are '$got'"; screen_dump; exit 1; }
# the console reads the incident again: its tenants, and the timeline's entry
screen_keys Enter
screen_wait "tenants (주)딥비전랩스 · Acme Research"
screen_wait "linked Acme Research · (주)딥비전랩스"
screen_keys Escape q
echo "tenant_names: ok"
