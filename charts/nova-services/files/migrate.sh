#!/bin/sh
# Run a Nova program once so that it applies its database migrations, then
# stop it. user-service has no "migrate" command: it migrates at start (when
# APP_ENV is not production and RUN_MIGRATIONS is not false), before it
# listens. So: start it, wait until it listens on its port, stop it.
#   usage: migrate.sh PROGRAM [ARG...]
#   LISTEN_PORT      the port the program listens on once migrated
#   MIGRATE_TIMEOUT  seconds to wait for it (default 300)
#   PROC_NET         where to read the listening sockets (default /proc/net)
# Needs only a POSIX sh, date and sleep: it reads the listening sockets from
# /proc/net/tcp and tcp6 (state 0A), so the image needs no curl or nc.
set -u

port=${LISTEN_PORT:?LISTEN_PORT: the port the program listens on}
limit=${MIGRATE_TIMEOUT:-300}
proc=${PROC_NET:-/proc/net}
program=${1:?usage: migrate.sh PROGRAM [ARG...]}
hex=$(printf '%04X' "$port")

listening() {
	for table in "$proc/tcp" "$proc/tcp6"; do
		[ -r "$table" ] || continue
		# sl local_address rem_address st ...; local_address is ADDR:PORT in hex.
		while read -r _ local _ state _; do
			if [ "${local##*:}" = "$hex" ] && [ "$state" = 0A ]; then
				return 0
			fi
		done <"$table"
	done
	return 1
}

"$@" &
pid=$!
deadline=$(($(date +%s) + limit))
until listening; do
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid"
		echo "migrate: $program exited with status $? before it listened on port $port; its log above says why" >&2
		exit 1
	fi
	if [ "$(date +%s)" -ge "$deadline" ]; then
		echo "migrate: $program did not listen on port $port within $limit s" >&2
		kill "$pid"
		exit 1
	fi
	sleep 1
done
echo "migrate: $program listens on port $port, so its migrations have run (a failed one is logged above); stopping it"
kill -TERM "$pid"
wait "$pid"
exit 0
