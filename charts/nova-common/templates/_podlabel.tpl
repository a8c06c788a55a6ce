{{/*
Pods that label themselves. A member of a replicated data store knows its
role before anything else does, so it writes it on its own pod as the label
nova-common.roleLabel: Patroni's callbacks (postgres-ha) and the role-label
sidecar (redis-sentinel) both run label-pod.sh, which a chart ships by
having files/label-pod.sh.tpl include nova-common.podLabel.script. The pods'
ServiceAccount may get and patch those member pods only, by name.
*/}}

{{/* nova-common.roleLabel: the label key that carries a member's role (Services and nova-installer select on it). */}}
{{- define "nova-common.roleLabel" -}}
role
{{- end -}}

{{/* nova-common.podLabel.script: the text of label-pod.sh. */}}
{{- define "nova-common.podLabel.script" -}}
#!/bin/sh
# label-pod.sh VALUE [WHY]: set this pod's role label to VALUE through the
# Kubernetes API, with the pod's service account token.
# Environment (Kubernetes defaults; a test points them at a fake API server):
#   KUBERNETES_API_URL  API server base URL   (https://kubernetes.default.svc)
#   SERVICEACCOUNT_DIR  token, ca.crt, namespace ({{ include "nova-common.podLabel.serviceAccountDir" . }})
#   POD_NAME, POD_NAMESPACE  the pod to label (hostname, SERVICEACCOUNT_DIR/namespace)
#   ROLE_LABEL          label key             ({{ include "nova-common.roleLabel" . }})
#   LABEL_RETRY_SECONDS how long to retry a failed PATCH (30)
set -eu

value=${1:?usage: label-pod.sh <value> [why]}
api=${KUBERNETES_API_URL:-https://kubernetes.default.svc}
sa=${SERVICEACCOUNT_DIR:-{{ include "nova-common.podLabel.serviceAccountDir" . }}}
pod=${POD_NAME:-$(hostname)}
namespace=${POD_NAMESPACE:-$(cat "$sa/namespace")}
label=${ROLE_LABEL:-{{ include "nova-common.roleLabel" . }}}
retry=${LABEL_RETRY_SECONDS:-30}

# The token goes to curl on stdin (a config line), never on its command line.
printf 'header = "Authorization: Bearer %s"\n' "$(cat "$sa/token")" |
  curl --config - --silent --show-error --fail --max-time 5 \
    --retry 10 --retry-delay 1 --retry-max-time "$retry" --retry-all-errors \
    --cacert "$sa/ca.crt" --request PATCH \
    --header 'Content-Type: application/merge-patch+json' \
    --data "{\"metadata\":{\"labels\":{\"$label\":\"$value\"}}}" \
    --output /dev/null \
    "$api/api/v1/namespaces/$namespace/pods/$pod"
echo "label-pod: $pod $label=$value${2:+ ($2)}"
{{- end -}}

{{/*
nova-common.podLabel.rbac: the ServiceAccount of the member pods (no token
mounted by default), and a Role and RoleBinding that allow get and patch on
those pods only, by name (<component name>-0 ... -<replicas - 1>).
Args: dict "ctx" $ "component" "redis" "replicas" 3
*/}}
{{- define "nova-common.podLabel.rbac" -}}
{{- $component := dict "ctx" .ctx "component" .component -}}
{{- $name := include "nova-common.componentName" $component -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  {{- include "nova-common.metadata" $component | nindent 2 }}
automountServiceAccountToken: false
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  {{- include "nova-common.metadata" $component | nindent 2 }}
rules:
  - apiGroups: [""]
    resources: ["pods"]
    resourceNames:
      {{- range $i := until (int .replicas) }}
      - {{ printf "%s-%d" $name $i }}
      {{- end }}
    verbs: ["get", "patch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  {{- include "nova-common.metadata" $component | nindent 2 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ $name }}
subjects:
  - kind: ServiceAccount
    name: {{ $name }}
    namespace: {{ include "nova-common.namespace" .ctx }}
{{- end -}}

{{/* nova-common.podLabel.serviceAccountDir: where a container finds the token, as the kubelet would mount it. */}}
{{- define "nova-common.podLabel.serviceAccountDir" -}}
/var/run/secrets/kubernetes.io/serviceaccount
{{- end -}}

{{/*
nova-common.podLabel.tokenVolume: the pod volume with the ServiceAccount's
token, CA and namespace (a list item), for the one container that patches
the pod; the others get no token (automountServiceAccountToken: false).
*/}}
{{- define "nova-common.podLabel.tokenVolume" -}}
- name: api-token
  projected:
    defaultMode: 0444
    sources:
      - serviceAccountToken:
          path: token
          expirationSeconds: 3600
      - configMap:
          name: kube-root-ca.crt
          items:
            - key: ca.crt
              path: ca.crt
      - downwardAPI:
          items:
            - path: namespace
              fieldRef:
                fieldPath: metadata.namespace
{{- end -}}

{{/* nova-common.podLabel.tokenMount: that container's mount of it (a list item). */}}
{{- define "nova-common.podLabel.tokenMount" -}}
- name: api-token
  mountPath: {{ include "nova-common.podLabel.serviceAccountDir" . }}
  readOnly: true
{{- end -}}
