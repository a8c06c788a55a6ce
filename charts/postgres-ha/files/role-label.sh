#!/bin/sh
# Patroni callback (on_start, on_stop, on_role_change): label this member's pod
# with its role so that the primary and replicas Services follow the leader.
# Patroni calls it as: role-label.sh <action> <role> <scope>; label-pod.sh,
# beside it, does the PATCH (its environment is described there).
set -eu

action=${1:?usage: role-label.sh <action> <role> <scope>}
role=${2:-}

# Patroni 3.0 says "master", later versions "primary".
case "$action:$role" in
  on_stop:*) value=stopped ;;
  *:master | *:primary | *:standby_leader) value=primary ;;
  *:replica) value=replica ;;
  *) value=unknown ;;
esac

exec /bin/sh "$(dirname "$0")/label-pod.sh" "$value" "$action"
