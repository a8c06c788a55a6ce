#!/bin/sh
# helm test: a Sentinel names a master, every Sentinel is known, and a key
# written through the master endpoint reads back.
set -eu
REDISCLI_AUTH=$(cat "${REDIS_PASSWORD_FILE:?the chart sets REDIS_PASSWORD_FILE}")
export REDISCLI_AUTH
cli() { timeout 5 redis-cli --no-auth-warning "$@"; }

master=$(cli -h "$SENTINEL_HOST" -p "$SENTINEL_PORT" SENTINEL get-master-addr-by-name "$SENTINEL_MASTER_NAME" | head -n 1)
[ -n "$master" ] || { echo "FAIL: no Sentinel names a master" >&2; exit 1; }
echo "ok: master is $master"

others=$(cli -h "$SENTINEL_HOST" -p "$SENTINEL_PORT" SENTINEL master "$SENTINEL_MASTER_NAME" |
  awk 'previous == "num-other-sentinels" { print; exit } { previous = $0 }')
[ "$((others + 1))" -eq "$EXPECTED_SENTINELS" ] ||
  { echo "FAIL: $((others + 1)) Sentinels known, want $EXPECTED_SENTINELS" >&2; exit 1; }
echo "ok: $EXPECTED_SENTINELS Sentinels agree"

key="helm-test:$(date +%s)"
[ "$(cli -h "$MASTER_HOST" -p "$REDIS_PORT" SET "$key" ok EX 60)" = OK ] ||
  { echo "FAIL: write through $MASTER_HOST refused" >&2; exit 1; }
[ "$(cli -h "$MASTER_HOST" -p "$REDIS_PORT" GET "$key")" = ok ] ||
  { echo "FAIL: read back through $MASTER_HOST" >&2; exit 1; }
echo "ok: write and read through $MASTER_HOST"
