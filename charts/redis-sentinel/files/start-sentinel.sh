#!/bin/sh
# Starts Sentinel with a config it can rewrite, on the data volume: its
# identity and epochs survive restarts; settings come fresh from the chart.
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
: "${SENTINEL_QUORUM:?SENTINEL_QUORUM must be set}"

master=$(find_master)
password=$(quoted "$REDISCLI_AUTH")
mkdir -p "$(dirname "$SENTINEL_STATE")"
umask 077
next=$SENTINEL_STATE.next
{
  echo "port $SENTINEL_PORT"
  echo "bind $REDIS_BIND"
  echo "dir $(dirname "$SENTINEL_STATE")"
  cat "$REDIS_CONFIG_DIR/sentinel.conf"
  echo "sentinel announce-ip $REDIS_SELF"
  echo "sentinel announce-port $SENTINEL_PORT"
  echo "requirepass $password"
  echo "sentinel monitor $SENTINEL_MASTER_NAME $master $REDIS_PORT $SENTINEL_QUORUM"
  echo "sentinel auth-pass $SENTINEL_MASTER_NAME $password"
  # Every other member is a replica: known now, not after the first INFO
  # round (10 s), so a master lost early can still be replaced.
  for member in $REDIS_MEMBERS; do
    [ "$member" = "$master" ] || echo "sentinel known-replica $SENTINEL_MASTER_NAME $member $REDIS_PORT"
  done
  cat "$REDIS_CONFIG_DIR/sentinel-monitor.conf"
  if [ -f "$SENTINEL_STATE" ]; then
    grep -E '^sentinel (myid|current-epoch|config-epoch|leader-epoch) ' "$SENTINEL_STATE" || true
  fi
} >"$next"
mv "$next" "$SENTINEL_STATE"
log "Sentinel monitors $master"
exec redis-server "$SENTINEL_STATE" --sentinel
