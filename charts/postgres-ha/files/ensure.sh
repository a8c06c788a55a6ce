#!/bin/sh
# Hook Job (post-install, post-upgrade): wait for the primary, then apply
# ensure.sql, which creates whatever roles, databases and schemas are missing.
# Environment: PGHOST, PGPORT, PGUSER, PGPASSWORD (libpq) of the primary Service;
#   NOVA_APP_PASSWORD, NOVA_REPLICATION_PASSWORD; WAIT_SECONDS (default 300);
#   PSQL (default psql); ENSURE_SQL (default: ensure.sql beside this script).
set -eu

psql=${PSQL:-psql}
sql=${ENSURE_SQL:-$(dirname "$0")/ensure.sql}
deadline=$(($(date +%s) + ${WAIT_SECONDS:-300}))

until [ "$("$psql" -X -At -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ]; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "ensure: no writable primary at $PGHOST:${PGPORT:-5432} after ${WAIT_SECONDS:-300}s" >&2
    exit 1
  fi
  sleep 2
done
exec "$psql" -X --set ON_ERROR_STOP=1 -d postgres --file "$sql"
