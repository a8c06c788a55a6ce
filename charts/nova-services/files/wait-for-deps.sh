#!/bin/sh
# Wait until the data tier answers, so that an application container does not
# crash-loop while PostgreSQL and Redis start. Runs as an init container
# (busybox) and anywhere else with a POSIX sh, date, timeout, head, grep and
# any nc (busybox's small one has neither -z nor an idle timeout, so every
# attempt is bounded by timeout instead).
#
#   POSTGRES_ADDR   host:port of the PostgreSQL primary; ready = a PostgreSQL
#                   server answers an SSLRequest with N or S (the primary
#                   Service has an endpoint only on the leader)
#   REDIS_ADDR      host:port of the Redis master endpoint; ready = answers
#                   PING with +PONG (HAProxy accepts connections even when no
#                   master is behind it, so TCP alone proves nothing)
#   REDIS_PASSWORD  password for AUTH (optional)
#   WAIT_TIMEOUT    seconds to wait in all (default 300); then exit 1 and the
#                   kubelet retries the init container with back-off
#   WAIT_INTERVAL   seconds between attempts (default 2)
# An empty address is not waited for.
set -u

limit=${WAIT_TIMEOUT:-300}
interval=${WAIT_INTERVAL:-2}
deadline=$(( $(date +%s) + limit ))

host_of() { echo "${1%:*}"; }
port_of() { echo "${1##*:}"; }

# talk ADDR: stdin to ADDR, its answer to stdout, 3 s at most.
talk() {
	timeout 3 nc -w 2 "$(host_of "$1")" "$(port_of "$1")" 2>/dev/null
}

postgres_ready() {
	# SSLRequest: length 8, code 80877103.
	reply=$(printf '\000\000\000\010\004\322\026\057' | talk "$1" | head -c 1)
	[ "$reply" = N ] || [ "$reply" = S ]
}

redis_ready() {
	if [ -n "${REDIS_PASSWORD:-}" ]; then
		printf 'AUTH %s\r\nPING\r\nQUIT\r\n' "$REDIS_PASSWORD"
	else
		printf 'PING\r\nQUIT\r\n'
	fi | talk "$1" | grep -q '^+PONG'
}

# wait_for NAME CHECK ADDR
wait_for() {
	[ -n "$3" ] || return 0
	echo "waiting for $1 at $3 (up to ${limit} s in all)"
	until "$2" "$3"; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "gave up: $1 at $3 did not answer within ${limit} s" >&2
			exit 1
		fi
		sleep "$interval"
	done
	echo "$1 at $3 is ready"
}

wait_for PostgreSQL postgres_ready "${POSTGRES_ADDR:-}"
wait_for Redis redis_ready "${REDIS_ADDR:-}"
