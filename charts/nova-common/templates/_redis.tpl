{{/*
The cache tier's contract with the services tier, defined once, like
_postgres.tpl for the database tier: the Service names, ports, Sentinel
master name and password Secret that redis-sentinel exports (see its README,
"Exported to the services tier").
*/}}

{{/* nova-common.redis.port: the Redis port of the master endpoint. */}}
{{- define "nova-common.redis.port" -}}
6379
{{- end -}}

{{/* nova-common.redis.sentinelPort: the port of the Sentinels Service. */}}
{{- define "nova-common.redis.sentinelPort" -}}
26379
{{- end -}}

{{/* nova-common.redis.masterHost: DNS name of the stable master endpoint (HAProxy). Args: dict "ctx" $ */}}
{{- define "nova-common.redis.masterHost" -}}
{{- include "nova-common.serviceHost" (dict "ctx" .ctx "chart" "redis-sentinel" "component" "master") -}}
{{- end -}}

{{/* nova-common.redis.sentinelHost: DNS name of the Service of every Sentinel. Args: dict "ctx" $ */}}
{{- define "nova-common.redis.sentinelHost" -}}
{{- include "nova-common.serviceHost" (dict "ctx" .ctx "chart" "redis-sentinel" "component" "sentinel") -}}
{{- end -}}

{{/* nova-common.redis.masterName: the name the Sentinels monitor the master under. */}}
{{- define "nova-common.redis.masterName" -}}
mymaster
{{- end -}}

{{/*
nova-common.redis.existingSecret: global.redis.existingSecret, the Secret
with the Redis password that both tiers read ("" = redis-sentinel generates
one). Arg: the chart context.
*/}}
{{- define "nova-common.redis.existingSecret" -}}
{{- dig "redis" "existingSecret" "" (.Values.global | default dict) -}}
{{- end -}}

{{/*
nova-common.redis.secretName: the Secret holding the Redis password: the
existing Secret, else the one redis-sentinel generates. Args: dict "ctx" $
*/}}
{{- define "nova-common.redis.secretName" -}}
{{- include "nova-common.redis.existingSecret" .ctx | default (printf "%s-auth" (include "nova-common.chartFullname" (dict "ctx" .ctx "chart" "redis-sentinel")) | trunc 63 | trimSuffix "-") -}}
{{- end -}}

{{/* nova-common.redis.passwordKey: the key of the password in that Secret (global.redis.existingSecretKey, default password). Arg: the chart context. */}}
{{- define "nova-common.redis.passwordKey" -}}
{{- dig "redis" "existingSecretKey" "" (.Values.global | default dict) | default "password" -}}
{{- end -}}
