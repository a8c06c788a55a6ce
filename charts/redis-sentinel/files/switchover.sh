#!/bin/sh
# preStop of the redis container: if this member is the master, hand the role
# over before it stops, so clients lose a second or two of writes instead of
# waiting for down-after-milliseconds:
#  1. pause writes here (CLIENT PAUSE WRITE), so nothing is acknowledged that
#     the new master would not have;
#  2. ask a Sentinel of another member for a failover (SENTINEL FAILOVER);
#  3. as soon as that Sentinel names the new master, become its replica
#     (Sentinel itself would wait about 8 s before demoting an old master);
#  4. lift the pause: paused clients get READONLY or a closed connection and
#     reconnect through HAProxy or Sentinel to the new master.
# Bounded by SWITCHOVER_TIMEOUT seconds; on any failure it stops anyway.
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
SWITCHOVER_TIMEOUT=${SWITCHOVER_TIMEOUT:-20}
host=${PROBE_HOST:-127.0.0.1}

local_cli() { timeout 2 redis-cli --no-auth-warning -h "$host" -p "$REDIS_PORT" "$@"; }
role() { local_cli INFO replication | tr -d '\r' | sed -n 's/^role://p'; }

[ "$(role)" = master ] || exit 0
local_cli CLIENT PAUSE $((SWITCHOVER_TIMEOUT * 1000)) WRITE >/dev/null
trap 'local_cli CLIENT UNPAUSE >/dev/null 2>&1 || true' EXIT

asked=""
for peer in $REDIS_MEMBERS; do
  [ "$peer" = "$REDIS_SELF" ] && continue
  reply=$(timeout 2 redis-cli --no-auth-warning -h "$peer" -p "$SENTINEL_PORT" \
    SENTINEL FAILOVER "$SENTINEL_MASTER_NAME" 2>/dev/null || true)
  if [ "$reply" = OK ]; then
    asked=$peer
    break
  fi
done
if [ -z "$asked" ]; then
  log "switchover: no Sentinel accepted SENTINEL FAILOVER; stopping without switchover"
  exit 0
fi
log "switchover: Sentinel on $asked is failing over"

ticks=0
while [ "$ticks" -lt $((SWITCHOVER_TIMEOUT * 10)) ]; do
  master=$(sentinel_master "$asked")
  if [ -n "$master" ] && [ "$master" != "$REDIS_SELF" ]; then
    local_cli REPLICAOF "$master" "$REDIS_PORT" >/dev/null
    log "switchover: $master is master; this member is now its replica"
    exit 0
  fi
  sleep 0.1
  ticks=$((ticks + 1))
done
log "switchover: no new master after ${SWITCHOVER_TIMEOUT}s; stopping anyway"
