{{/* Keys of the credentials Secret (generated or existing). */}}
{{- define "postgres-ha.secretKeys" -}}
{{- list "superuser-password" "replication-password" "app-password" "rest-password" | toYaml -}}
{{- end -}}

{{/* Name of the credentials Secret. */}}
{{- define "postgres-ha.secretName" -}}
{{- .Values.auth.existingSecret | default (include "nova-common.componentName" (dict "ctx" . "component" "auth")) -}}
{{- end -}}
