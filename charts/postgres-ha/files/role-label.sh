#!/bin/sh
# Patroni callback (on_start, on_stop, on_role_change): label this member's pod
# with its role so that the primary and replicas Services follow the leader.
# Patroni calls it as: role-label.sh <action> <role> <scope>
# Environment (Kubernetes defaults; a test points them at a fake API server):
#   KUBERNETES_API_URL  API server base URL   (https://kubernetes.default.svc)
#   SERVICEACCOUNT_DIR  token, ca.crt, namespace (/var/run/secrets/kubernetes.io/serviceaccount)
#   POD_NAME, POD_NAMESPACE  the pod to label (hostname, SERVICEACCOUNT_DIR/namespace)
#   ROLE_LABEL          label key             (role)
set -eu

action=${1:?usage: role-label.sh <action> <role> <scope>}
role=${2:-}
api=${KUBERNETES_API_URL:-https://kubernetes.default.svc}
sa=${SERVICEACCOUNT_DIR:-/var/run/secrets/kubernetes.io/serviceaccount}
pod=${POD_NAME:-$(hostname)}
namespace=${POD_NAMESPACE:-$(cat "$sa/namespace")}
label=${ROLE_LABEL:-role}

# Patroni 3.0 says "master", later versions "primary".
case "$action:$role" in
  on_stop:*) value=stopped ;;
  *:master | *:primary | *:standby_leader) value=primary ;;
  *:replica) value=replica ;;
  *) value=unknown ;;
esac

# The token goes to curl on stdin (a config line), never on its command line.
printf 'header = "Authorization: Bearer %s"\n' "$(cat "$sa/token")" |
  curl --config - --silent --show-error --fail --max-time 5 \
    --retry 10 --retry-delay 1 --retry-max-time 30 --retry-all-errors \
    --cacert "$sa/ca.crt" --request PATCH \
    --header 'Content-Type: application/merge-patch+json' \
    --data "{\"metadata\":{\"labels\":{\"$label\":\"$value\"}}}" \
    --output /dev/null \
    "$api/api/v1/namespaces/$namespace/pods/$pod"
echo "role-label: $pod $label=$value ($action)"
