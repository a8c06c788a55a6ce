#!/bin/sh
# helm test (nova-installer verify), one check per container of a service's
# test Pod, run with the service's own env:
#   helm-test.sh database <name>   DATABASE_URL reaches database <name> (psql)
#   helm-test.sh redis             REDIS_URL answers PING (redis-cli)
#   helm-test.sh health <url>...   every URL answers GET (busybox wget)
set -u

check=${1:-}
[ $# -gt 0 ] && shift

case $check in
  database)
    want=${1:?usage: helm-test.sh database <name>}
    got=$(psql "${DATABASE_URL:?}" -tAc 'select current_database()') || exit 1
    if [ "$got" != "$want" ]; then
      echo "DATABASE_URL reaches database \"$got\", want \"$want\"" >&2
      exit 1
    fi
    echo "DATABASE_URL reaches database $got"
    ;;
  redis)
    # redis-cli 7.0 sends no AUTH for redis://:PASSWORD@ (an empty user
    # name), which the services' client libraries accept; "default" is the
    # same user, so the DSN is tested as written otherwise.
    url=$(printf '%s' "${REDIS_URL:?}" | sed 's|^redis://:|redis://default:|')
    got=$(redis-cli --no-auth-warning -u "$url" ping) || exit 1
    if [ "$got" != PONG ]; then
      echo "REDIS_URL answers \"$got\", want PONG" >&2
      exit 1
    fi
    echo "REDIS_URL answers PONG"
    ;;
  health)
    failed=0
    for url in "$@"; do
      if wget -q -O- -T 5 "$url" >/dev/null; then
        echo "ok   $url"
      else
        echo "FAIL $url" >&2
        failed=1
      fi
    done
    exit $failed
    ;;
  *)
    echo "usage: helm-test.sh database <name> | redis | health <url>..." >&2
    exit 2
    ;;
esac
