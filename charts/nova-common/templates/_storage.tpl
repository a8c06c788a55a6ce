{{/*
nova-common.storageClass: "storageClassName: x" for a PVC template, from the
chart's persistence.storageClass or global.storageClass; nothing when both are
empty (the cluster's default StorageClass is used). "-" means "" (no class).
Args: dict "ctx" $ "persistence" .Values.persistence
*/}}
{{- define "nova-common.storageClass" -}}
{{- $class := (.persistence | default dict).storageClass | default (.ctx.Values.global | default dict).storageClass -}}
{{- if eq (toString $class) "-" -}}
storageClassName: ""
{{- else if $class -}}
storageClassName: {{ $class | quote }}
{{- end -}}
{{- end -}}
