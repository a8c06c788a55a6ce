{{/*
nova-common.sharedPodSpec: the pod spec fields every Nova workload shares:
pull secrets, the restricted pod security context, anti-affinity,
topology spread, nodeSelector and tolerations (from the chart's values).
Args: dict "ctx" $ "component" "redis" ["podSecurityContext" dict] ["oneShot" true]
(podSecurityContext replaces the chart's .Values.podSecurityContext, for a
component whose image runs as another user; oneShot, for the single pod of a
hook Job or helm test, leaves out anti-affinity and topology spread, which
only matter between replicas)
*/}}
{{- define "nova-common.sharedPodSpec" -}}
{{- $v := .ctx.Values -}}
securityContext:
  {{- include "nova-common.podSecurityContext" (dict "ctx" .ctx "override" (.podSecurityContext | default $v.podSecurityContext)) | nindent 2 }}
{{- with and (not .oneShot) (include "nova-common.affinity" .) }}
affinity:
  {{- . | nindent 2 }}
{{- end }}
{{- with include "nova-common.imagePullSecrets" .ctx }}
{{ . }}
{{- end }}
{{- with and (not .oneShot) $v.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- range . }}
  - {{- toYaml (merge (deepCopy .) (dict "labelSelector" (dict "matchLabels" (include "nova-common.selectorLabels" $ | fromYaml)))) | nindent 4 }}
  {{- end }}
{{- end }}
{{- with $v.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
nova-common.volumeClaimTemplate: the "data" PVC template of a StatefulSet.
Args: dict "ctx" $ "component" "redis" "persistence" .Values.persistence
*/}}
{{- define "nova-common.volumeClaimTemplate" -}}
- metadata:
    name: data
    labels:
      {{- include "nova-common.selectorLabels" . | nindent 6 }}
  spec:
    accessModes: ["ReadWriteOnce"]
    {{- with include "nova-common.storageClass" . }}
    {{- . | nindent 4 }}
    {{- end }}
    resources:
      requests:
        storage: {{ .persistence.size }}
{{- end -}}

{{/*
nova-common.preStopSleep: a preStop that pauses so that the Service's
endpoints drain (kube-proxy stops sending new connections) before the
container is told to stop. The sleep action (Kubernetes 1.30+) needs no
sleep binary in the image; older clusters get an exec of sleep.
Args: dict "ctx" $ "seconds" 5
*/}}
{{- define "nova-common.preStopSleep" -}}
{{- $seconds := int .seconds -}}
preStop:
{{- if semverCompare ">=1.30-0" .ctx.Capabilities.KubeVersion.Version }}
  sleep:
    seconds: {{ $seconds }}
{{- else }}
  exec:
    command: ["sleep", "{{ $seconds }}"]
{{- end }}
{{- end -}}
