{{/*
The database tier's contract with the services tier, defined once. The
postgres-ha chart names its Services, application role and credentials
Secret through these helpers and the services tier builds its DSNs from
them, so both sides agree without reading each other's values.
*/}}

{{/* nova-common.postgres.port: the PostgreSQL port of the primary and replicas Services. */}}
{{- define "nova-common.postgres.port" -}}
5432
{{- end -}}

{{/* nova-common.postgres.primaryHost: DNS name of the Service that always reaches the leader. Args: dict "ctx" $ */}}
{{- define "nova-common.postgres.primaryHost" -}}
{{- include "nova-common.serviceHost" (dict "ctx" .ctx "chart" "postgres-ha" "component" "primary") -}}
{{- end -}}

{{/* nova-common.postgres.replicasHost: DNS name of the Service that reaches only replicas. Args: dict "ctx" $ */}}
{{- define "nova-common.postgres.replicasHost" -}}
{{- include "nova-common.serviceHost" (dict "ctx" .ctx "chart" "postgres-ha" "component" "replicas") -}}
{{- end -}}

{{/* nova-common.postgres.appRole: the application role that owns the Nova databases. */}}
{{- define "nova-common.postgres.appRole" -}}
nova
{{- end -}}

{{/*
nova-common.postgres.existingSecret: global.postgres.existingSecret, the
Secret with the database credentials that both tiers read ("" = postgres-ha
generates one). Arg: the chart context.
*/}}
{{- define "nova-common.postgres.existingSecret" -}}
{{- dig "postgres" "existingSecret" "" (.Values.global | default dict) -}}
{{- end -}}

{{/*
nova-common.postgres.secretName: the Secret holding the application role's
password: the existing Secret, else the one postgres-ha generates.
Args: dict "ctx" $
*/}}
{{- define "nova-common.postgres.secretName" -}}
{{- include "nova-common.postgres.existingSecret" .ctx | default (printf "%s-auth" (include "nova-common.chartFullname" (dict "ctx" .ctx "chart" "postgres-ha")) | trunc 63 | trimSuffix "-") -}}
{{- end -}}

{{/* nova-common.postgres.appPasswordKey: the key of the application role's password in that Secret. */}}
{{- define "nova-common.postgres.appPasswordKey" -}}
app-password
{{- end -}}
