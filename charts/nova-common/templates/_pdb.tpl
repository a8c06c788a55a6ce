{{/*
nova-common.pdb: a PodDisruptionBudget for a component, or nothing when disabled.
A budget must never block every eviction: when minAvailable would be >= the
replica count (one replica, say) it renders maxUnavailable 1 instead.
Args: dict "ctx" $ "component" "redis" "pdb" .Values.pdb "replicas" 3
*/}}
{{- define "nova-common.pdb" -}}
{{- $pdb := .pdb | default dict -}}
{{- if $pdb.enabled -}}
{{- $min := $pdb.minAvailable -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  {{- include "nova-common.metadata" . | nindent 2 }}
spec:
  {{- if and $min (kindIs "string" $min) }}
  minAvailable: {{ $min | quote }}
  {{- else if and $min (lt (int $min) (int .replicas)) }}
  minAvailable: {{ int $min }}
  {{- else }}
  maxUnavailable: {{ $pdb.maxUnavailable | default 1 }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "nova-common.selectorLabels" . | nindent 6 }}
{{- end -}}
{{- end -}}
