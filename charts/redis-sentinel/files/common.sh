# shellcheck shell=sh
# Shared by the Redis and Sentinel scripts of the redis-sentinel chart.
# Everything comes from the environment, so the scripts run unchanged in a
# pod and as plain processes (the failover tests run them on loopback):
#   REDIS_SELF        this member's announced host (pod DNS name or an IP)
#   REDIS_MEMBERS     every member's host, space-separated, ordinal order;
#                     the first one is the bootstrap member
#   REDIS_PORT, SENTINEL_PORT, SENTINEL_MASTER_NAME, SENTINEL_QUORUM
#   REDIS_BIND        addresses to listen on (default: all)
#   REDIS_CONFIG_DIR  chart config (redis.conf, sentinel.conf)
#   REDIS_DATA_DIR    data volume; Sentinel state lives in its sentinel/ folder
#   REDIS_RUN_DIR     generated runtime config (holds the password: not shared)
#   REDIS_PASSWORD_FILE
#   DISCOVERY_ATTEMPTS, BOOTSTRAP_WAIT_ATTEMPTS (one attempt a second)
#   SWITCHOVER_TIMEOUT (seconds), SWITCHOVER_DRAIN_MS (see switchover.sh)

: "${REDIS_SELF:?REDIS_SELF must name the host of this member}"
: "${REDIS_MEMBERS:?REDIS_MEMBERS must list the hosts of all members}"
REDIS_PORT=${REDIS_PORT:-6379}
SENTINEL_PORT=${SENTINEL_PORT:-26379}
SENTINEL_MASTER_NAME=${SENTINEL_MASTER_NAME:-mymaster}
REDIS_BIND=${REDIS_BIND:-* -::*}
REDIS_CONFIG_DIR=${REDIS_CONFIG_DIR:-/etc/redis}
REDIS_DATA_DIR=${REDIS_DATA_DIR:-/data}
REDIS_RUN_DIR=${REDIS_RUN_DIR:-/run/redis}
REDIS_PASSWORD_FILE=${REDIS_PASSWORD_FILE:?the chart sets REDIS_PASSWORD_FILE}
DISCOVERY_ATTEMPTS=${DISCOVERY_ATTEMPTS:-120}
BOOTSTRAP_WAIT_ATTEMPTS=${BOOTSTRAP_WAIT_ATTEMPTS:-10}
SENTINEL_STATE=$REDIS_DATA_DIR/sentinel/sentinel.conf

# redis-cli reads the password from REDISCLI_AUTH: it never shows in `ps`.
REDISCLI_AUTH=$(cat "$REDIS_PASSWORD_FILE")
export REDISCLI_AUTH

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') $*" >&2; }

# quoted VALUE: VALUE as a double-quoted redis.conf string.
quoted() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

bootstrap_member() {
  for m in $REDIS_MEMBERS; do echo "$m"; return; done
}

# sentinel_master HOST: the master that the Sentinel on HOST names, if any.
sentinel_master() {
  reply=$(timeout 2 redis-cli --no-auth-warning -h "$1" -p "$SENTINEL_PORT" \
    SENTINEL get-master-addr-by-name "$SENTINEL_MASTER_NAME" 2>/dev/null | head -n 1)
  case $reply in
    "" | *" "*) ;;
    *) echo "$reply" ;;
  esac
}

# saved_master: the master named by this member's saved Sentinel state, if any.
saved_master() {
  [ -f "$SENTINEL_STATE" ] || return 0
  awk -v name="$SENTINEL_MASTER_NAME" \
    '$1 == "sentinel" && $2 == "monitor" && $3 == name { print $4; exit }' "$SENTINEL_STATE"
}

# find_master: prints the host of the current master, or fails after
# DISCOVERY_ATTEMPTS. In order of trust:
#  1. what a Sentinel of another member says (a restarted old master thus
#     comes back as a replica);
#  2. this member's saved Sentinel state when it names another member
#     (being a replica is always safe);
#  3. after BOOTSTRAP_WAIT_ATTEMPTS without an answer: itself, if its saved
#     state names it, or if it has no state and is the bootstrap member.
find_master() {
  saved=$(saved_master)
  attempt=1
  while [ "$attempt" -le "$DISCOVERY_ATTEMPTS" ]; do
    for peer in $REDIS_MEMBERS; do
      [ "$peer" = "$REDIS_SELF" ] && continue
      master=$(sentinel_master "$peer")
      if [ -n "$master" ]; then
        log "Sentinel on $peer names master $master"
        echo "$master"
        return 0
      fi
    done
    if [ -n "$saved" ] && [ "$saved" != "$REDIS_SELF" ]; then
      log "no Sentinel answers; saved Sentinel state names master $saved"
      echo "$saved"
      return 0
    fi
    if [ "$attempt" -ge "$BOOTSTRAP_WAIT_ATTEMPTS" ]; then
      if [ "$saved" = "$REDIS_SELF" ] || { [ -z "$saved" ] && [ "$REDIS_SELF" = "$(bootstrap_member)" ]; }; then
        log "no Sentinel knows a master after $attempt attempts; $REDIS_SELF starts as master"
        echo "$REDIS_SELF"
        return 0
      fi
    fi
    attempt=$((attempt + 1))
    sleep 1
  done
  log "no master found after $DISCOVERY_ATTEMPTS attempts: is the bootstrap member $(bootstrap_member) up?"
  return 1
}
