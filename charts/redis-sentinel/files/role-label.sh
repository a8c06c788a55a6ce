#!/bin/sh
# The role-label sidecar of a Redis member: label this pod with its Redis's
# role, master or replica (unknown while Redis does not answer), so that
# `kubectl get pods -l role=master` and nova-installer status read a label.
# It asks Redis every ROLE_LABEL_INTERVAL seconds and patches the pod
# (label-pod.sh, beside it) when the answer differs from the last label set.
# Environment: REDIS_PORT, REDIS_PASSWORD_FILE, REDIS_HOST (127.0.0.1),
# ROLE_LABEL_INTERVAL (2), and label-pod.sh's.
set -u

dir=$(dirname "$0")
host=${REDIS_HOST:-127.0.0.1}
port=${REDIS_PORT:-6379}
interval=${ROLE_LABEL_INTERVAL:-2}
: "${REDIS_PASSWORD_FILE:?the chart sets REDIS_PASSWORD_FILE}"

# resp WORD...: one command in Redis's protocol (binary-safe for the password).
resp() {
  printf '*%d\r\n' $#
  for word in "$@"; do printf '$%d\r\n%s\r\n' "${#word}" "$word"; done
}

# redis_role: master, replica or unknown, from ROLE's first element.
redis_role() {
  reply=$({
    resp AUTH "$(cat "$REDIS_PASSWORD_FILE")"
    resp ROLE
    resp QUIT
  } | nc -w 2 "$host" "$port" 2>/dev/null | tr -d '\r')
  # +OK, then ROLE's array: *N, $len, then the role itself.
  role=$(printf '%s\n' "$reply" | awk '/^\*/ { array = 1; next } array && !/^\$/ { print; exit }')
  case $role in
    master) echo master ;;
    slave) echo replica ;;
    *) echo unknown ;;
  esac
}

# As PID 1 the shell would ignore SIGTERM; the pod would wait out its grace.
trap 'exit 0' TERM INT
last=
while :; do
  role=$(redis_role)
  if [ "$role" != "$last" ] && LABEL_RETRY_SECONDS=$interval sh "$dir/label-pod.sh" "$role" "Redis ROLE"; then
    last=$role
  fi
  sleep "$interval" &
  wait $!
done
