#!/bin/sh
# Starts Redis as master or as replica of the master the Sentinels name.
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

master=$(find_master)
password=$(quoted "$REDISCLI_AUTH")
mkdir -p "$REDIS_RUN_DIR"
conf=$REDIS_RUN_DIR/redis.conf
umask 077
{
  echo "include $REDIS_CONFIG_DIR/redis.conf"
  echo "port $REDIS_PORT"
  echo "bind $REDIS_BIND"
  echo "dir $REDIS_DATA_DIR"
  echo "replica-announce-ip $REDIS_SELF"
  echo "replica-announce-port $REDIS_PORT"
  echo "requirepass $password"
  echo "masterauth $password"
  if [ "$master" != "$REDIS_SELF" ]; then
    echo "replicaof $master $REDIS_PORT"
  fi
} >"$conf"
if [ "$master" = "$REDIS_SELF" ]; then
  log "starting as master"
else
  log "starting as replica of $master"
fi
exec redis-server "$conf"
