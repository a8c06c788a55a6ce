{{/*
Security contexts that satisfy the Pod Security Standard "restricted".
A chart value can add to or override a field (the override wins), so a
non-compliant override is possible and is rejected by admission, not hidden.
*/}}

{{/* nova-common.podSecurityContext. Args: dict "ctx" $ "override" .Values.podSecurityContext */}}
{{- define "nova-common.podSecurityContext" -}}
{{- $base := dict "runAsNonRoot" true "seccompProfile" (dict "type" "RuntimeDefault") -}}
{{- toYaml (mergeOverwrite $base (deepCopy (.override | default dict))) -}}
{{- end -}}

{{/* nova-common.containerSecurityContext. Args: dict "ctx" $ "override" .Values.containerSecurityContext */}}
{{- define "nova-common.containerSecurityContext" -}}
{{- $base := dict "allowPrivilegeEscalation" false "readOnlyRootFilesystem" true "runAsNonRoot" true "capabilities" (dict "drop" (list "ALL")) "seccompProfile" (dict "type" "RuntimeDefault") -}}
{{- toYaml (mergeOverwrite $base (deepCopy (.override | default dict))) -}}
{{- end -}}
