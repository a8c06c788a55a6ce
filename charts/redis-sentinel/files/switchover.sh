#!/bin/sh
# preStop of the redis container: if this member is the master, hand the role
# over before it stops, so clients lose well under a second of writes instead
# of waiting for down-after-milliseconds:
#  1. pause writes here (CLIENT PAUSE WRITE), so nothing is acknowledged that
#     the new master would not have;
#  2. ask a Sentinel of another member for a failover (SENTINEL FAILOVER);
#  3. watch the other members, not the Sentinels: the replica the Sentinel
#     promotes reports role:master within a few hundred milliseconds, while
#     the Sentinels name it only when their failover ends, a second or more
#     later;
#  4. make this member a replica of the new master and lift the pause:
#     paused clients get READONLY or a closed connection and reconnect
#     through HAProxy or Sentinel to the new master;
#  5. stay up, as a replica, until every other replica follows the new
#     master, and for at least SWITCHOVER_DRAIN_MS. REPLICAOF is retried: a
#     member that has just restarted may not answer yet, or not resolve (the
#     cluster DNS caches the absence of its name: 2 s on the real node), and
#     one left chained to this member would leave the new master without the
#     min-replicas-to-write it needs once this member stops. The drain, a few
#     of HAProxy's check intervals, lets every HAProxy see this member answer
#     as a replica before its address goes away: a connection to a vanished
#     pod address is not refused, it hangs until HAProxy's connect timeout.
# Bounded by SWITCHOVER_TIMEOUT seconds in all; on any failure it stops anyway.
set -eu
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"
SWITCHOVER_TIMEOUT=${SWITCHOVER_TIMEOUT:-20}
deadline=$(($(date +%s) + SWITCHOVER_TIMEOUT))
SWITCHOVER_DRAIN_MS=${SWITCHOVER_DRAIN_MS:-0}
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

# member_info HOST: its INFO replication, without carriage returns.
member_info() { timeout 1 redis-cli --no-auth-warning -h "$1" -p "$REDIS_PORT" INFO replication 2>/dev/null | tr -d '\r'; }
member_role() { member_info "$1" | sed -n 's/^role://p'; }

promoted=""
while [ -z "$promoted" ] && [ "$(date +%s)" -lt "$deadline" ]; do
  for peer in $REDIS_MEMBERS; do
    if [ "$peer" != "$REDIS_SELF" ] && [ "$(member_role "$peer")" = master ]; then
      promoted=$peer
      break
    fi
  done
  [ -n "$promoted" ] || sleep 0.1
done
if [ -z "$promoted" ]; then
  log "switchover: no member promoted after ${SWITCHOVER_TIMEOUT}s; stopping anyway"
  exit 0
fi
local_cli REPLICAOF "$promoted" "$REDIS_PORT" >/dev/null
log "switchover: $promoted is master; this member is its replica"
local_cli CLIENT UNPAUSE >/dev/null || true

# follows PEER: PEER replicates from the new master, its link up.
follows() {
  info=$(member_info "$1") || return 1
  case $info in
    *"master_host:$promoted"*) case $info in *master_link_status:up*) return 0 ;; esac ;;
  esac
  return 1
}
pending=""
for peer in $REDIS_MEMBERS; do
  if [ "$peer" != "$REDIS_SELF" ] && [ "$peer" != "$promoted" ]; then
    pending="$pending $peer"
  fi
done
ticks=0
while { [ -n "$pending" ] || [ "$ticks" -lt $((SWITCHOVER_DRAIN_MS / 100)) ]; } && [ "$(date +%s)" -lt "$deadline" ]; do
  left=""
  for peer in $pending; do
    follows "$peer" && continue
    left="$left $peer"
    reply=$(timeout 1 redis-cli --no-auth-warning -h "$peer" -p "$REDIS_PORT" REPLICAOF "$promoted" "$REDIS_PORT" 2>&1) ||
      reply="${reply:-no answer}"
    [ "$ticks" -gt 0 ] || log "switchover: REPLICAOF $promoted on $peer: $reply"
  done
  pending=$left
  sleep 0.1
  ticks=$((ticks + 1))
done
if [ -n "$pending" ]; then
  log "switchover: stopping while$pending still do not follow $promoted (their Sentinels will reconfigure them)"
else
  log "switchover: every other replica follows $promoted"
fi
