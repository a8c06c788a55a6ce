#!/bin/sh
# Probe: probe.sh redis-live | redis-ready | sentinel
#   redis-live:  authenticated PING answers PONG
#   redis-ready: the same, and a replica's link to its master is up
#   sentinel:    authenticated PING to Sentinel answers PONG
set -eu
REDISCLI_AUTH=$(cat "${REDIS_PASSWORD_FILE:?the chart sets REDIS_PASSWORD_FILE}")
export REDISCLI_AUTH
host=${PROBE_HOST:-127.0.0.1}

ping() {
  reply=$(timeout 2 redis-cli --no-auth-warning -h "$host" -p "$1" PING)
  [ "$reply" = PONG ] || { echo "PING on port $1: $reply" >&2; exit 1; }
}

case ${1:-} in
  redis-live) ping "${REDIS_PORT:-6379}" ;;
  redis-ready)
    ping "${REDIS_PORT:-6379}"
    info=$(timeout 2 redis-cli --no-auth-warning -h "$host" -p "${REDIS_PORT:-6379}" INFO replication | tr -d '\r')
    case $info in
      *role:slave*)
        case $info in
          *master_link_status:up*) ;;
          *) echo "replica: link to master is down" >&2; exit 1 ;;
        esac
        ;;
    esac
    ;;
  sentinel) ping "${SENTINEL_PORT:-26379}" ;;
  *) echo "usage: $0 redis-live|redis-ready|sentinel" >&2; exit 2 ;;
esac
