{{/* Name of the Secret that holds the Redis password. */}}
{{- define "redis-sentinel.secretName" -}}
{{- .Values.auth.existingSecret | default (include "nova-common.componentName" (dict "ctx" . "component" "auth")) -}}
{{- end -}}
