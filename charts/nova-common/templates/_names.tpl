{{/*
Names. Every object name is derived here so that the three tiers agree on
each other's names (the services tier builds DSNs from the database tier's
Service names).
*/}}

{{/* nova-common.name: the chart name, or nameOverride. Arg: the chart context. */}}
{{- define "nova-common.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
nova-common.chartFullname: the full name a chart gets in this release.
Args: dict "ctx" $ "chart" "postgres-ha"
*/}}
{{- define "nova-common.chartFullname" -}}
{{- $release := .ctx.Release.Name -}}
{{- if contains .chart $release -}}
{{- $release | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" $release .chart | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* nova-common.fullname: this chart's full name (fullnameOverride wins). Arg: the chart context. */}}
{{- define "nova-common.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- include "nova-common.chartFullname" (dict "ctx" . "chart" (default .Chart.Name .Values.nameOverride)) -}}
{{- end -}}
{{- end -}}

{{/*
nova-common.componentName: "<fullname>-<component>", or the fullname when no component is given.
Args: dict "ctx" $ "component" "haproxy"
*/}}
{{- define "nova-common.componentName" -}}
{{- $fullname := include "nova-common.fullname" .ctx -}}
{{- if .component -}}
{{- printf "%s-%s" $fullname .component | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $fullname -}}
{{- end -}}
{{- end -}}

{{/* nova-common.chart: "name-version" for the helm.sh/chart label. Arg: the chart context. */}}
{{- define "nova-common.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}
