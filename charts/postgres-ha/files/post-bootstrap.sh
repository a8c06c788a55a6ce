#!/bin/sh
# Patroni bootstrap.post_bootstrap: create the Nova roles, databases and schemas
# once the new cluster's primary runs. Patroni passes the superuser connection
# string as the last argument and the password through PGPASSFILE.
# Environment: NOVA_APP_PASSWORD (required), NOVA_REPLICATION_PASSWORD (optional),
#   PSQL (psql binary, default psql), ENSURE_SQL (default: ensure.sql beside this script).
set -eu

dsn=${1:?usage: post-bootstrap.sh <connection string>}
sql=${ENSURE_SQL:-$(dirname "$0")/ensure.sql}
exec "${PSQL:-psql}" --no-psqlrc --set ON_ERROR_STOP=1 --dbname "$dsn" --file "$sql"
