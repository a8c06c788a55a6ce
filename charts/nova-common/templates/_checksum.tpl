{{/*
nova-common.checksum: sha256 of another template of the chart, for a pod
annotation so that a config change rolls the pods.
Args: dict "ctx" $ "template" "configmap-redis.yaml"
*/}}
{{- define "nova-common.checksum" -}}
{{- include (print .ctx.Template.BasePath "/" .template) .ctx | sha256sum -}}
{{- end -}}
