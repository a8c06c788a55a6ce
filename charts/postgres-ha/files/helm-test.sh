#!/bin/sh
# helm test: write and read a row through the primary Service, check that the
# primary has one replication slot per replica, that the replicas Service
# reaches a server in recovery, and that the application role can log in to
# every database.
# Environment: PGUSER, PGPASSWORD, PGPORT (superuser, libpq); PRIMARY_HOST,
#   REPLICAS_HOST, REPLICAS (member count), APP_ROLE, NOVA_APP_PASSWORD,
#   DATABASES (space separated); WAIT_SECONDS (default 60); PSQL (default psql).
set -eu

psql=${PSQL:-psql}
q() { host=$1 && shift && "$psql" -X -At --set ON_ERROR_STOP=1 -h "$host" -d postgres "$@"; }
fail() { echo "FAIL: $*" >&2 && exit 1; }

token="helm-test-$(date +%s)-$$"
q "$PRIMARY_HOST" -c 'CREATE TABLE IF NOT EXISTS nova_helm_test (token text PRIMARY KEY)' \
  -c "INSERT INTO nova_helm_test VALUES ('$token')" >/dev/null
[ "$(q "$PRIMARY_HOST" -c "SELECT count(*) FROM nova_helm_test WHERE token = '$token'")" = 1 ] ||
  fail "row written through $PRIMARY_HOST was not read back"
echo "ok: wrote and read a row through $PRIMARY_HOST"

want=$((REPLICAS - 1))
deadline=$(($(date +%s) + ${WAIT_SECONDS:-60}))
until slots=$(q "$PRIMARY_HOST" -c 'SELECT count(*) FROM pg_replication_slots') && [ "$slots" = "$want" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "pg_replication_slots has ${slots:-?} slots, want $want"
  sleep 2
done
echo "ok: $slots replication slots on the primary"

[ "$(q "$REPLICAS_HOST" -c 'SELECT pg_is_in_recovery()')" = t ] ||
  fail "$REPLICAS_HOST reached a server that is not in recovery"
echo "ok: $REPLICAS_HOST answers pg_is_in_recovery() = true"

q "$PRIMARY_HOST" -c "DELETE FROM nova_helm_test WHERE token = '$token'" >/dev/null
for db in $DATABASES; do
  PGPASSWORD=$NOVA_APP_PASSWORD "$psql" -X -At --set ON_ERROR_STOP=1 -h "$PRIMARY_HOST" -U "$APP_ROLE" -d "$db" \
    -c 'SELECT 1' >/dev/null || fail "$APP_ROLE cannot log in to $db"
done
echo "ok: $APP_ROLE logs in to $DATABASES"
