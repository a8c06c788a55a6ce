{{/*
Tier namespaces. By default every object lives in the release namespace.
With global.tierNamespaces.enabled each tier gets its own namespace
(nova-redis, nova-database, nova-services by default). Every cross-tier
reference (DSNs, Redis endpoints, NetworkPolicy peers) goes through the
helpers below, so it follows the switch.
*/}}

{{/* nova-common.tierOf: the tier a chart belongs to. Arg: the chart name. */}}
{{- define "nova-common.tierOf" -}}
{{- $tiers := dict "redis-sentinel" "redis" "postgres-ha" "database" "nova-services" "services" -}}
{{- required (printf "nova-common: chart %q belongs to no tier" .) (get $tiers .) -}}
{{- end -}}

{{/* nova-common.tierNamespace: the namespace of a tier. Args: dict "ctx" $ "tier" "database" */}}
{{- define "nova-common.tierNamespace" -}}
{{- $tn := (.ctx.Values.global | default dict).tierNamespaces | default dict -}}
{{- if $tn.enabled -}}
{{- required (printf "global.tierNamespaces.%s must name a namespace when global.tierNamespaces.enabled is true" .tier) (get $tn .tier) -}}
{{- else -}}
{{- .ctx.Release.Namespace -}}
{{- end -}}
{{- end -}}

{{/* nova-common.namespace: the namespace of this chart's objects. Arg: the chart context. */}}
{{- define "nova-common.namespace" -}}
{{- include "nova-common.tierNamespace" (dict "ctx" . "tier" (include "nova-common.tierOf" .Chart.Name)) -}}
{{- end -}}

{{/* nova-common.chartNamespace: the namespace of another chart of the release. Args: dict "ctx" $ "chart" "redis-sentinel" */}}
{{- define "nova-common.chartNamespace" -}}
{{- include "nova-common.tierNamespace" (dict "ctx" .ctx "tier" (include "nova-common.tierOf" .chart)) -}}
{{- end -}}

{{/* nova-common.clusterDomain: global.clusterDomain, default cluster.local. Arg: the chart context. */}}
{{- define "nova-common.clusterDomain" -}}
{{- (.Values.global | default dict).clusterDomain | default "cluster.local" -}}
{{- end -}}

{{/*
nova-common.serviceHost: the cluster DNS name of a Service of a chart of this release.
Args: dict "ctx" $ "chart" "postgres-ha" "component" "primary"
*/}}
{{- define "nova-common.serviceHost" -}}
{{- $name := include "nova-common.chartFullname" . -}}
{{- with .component }}{{ $name = printf "%s-%s" $name . | trunc 63 | trimSuffix "-" }}{{ end -}}
{{- printf "%s.%s.svc.%s" $name (include "nova-common.chartNamespace" .) (include "nova-common.clusterDomain" .ctx) -}}
{{- end -}}

{{/*
nova-common.networkPolicyPeer: a NetworkPolicy peer that matches the pods of a chart of this release, in its tier namespace.
Args: dict "ctx" $ "chart" "nova-services"
*/}}
{{- define "nova-common.networkPolicyPeer" -}}
- namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: {{ include "nova-common.chartNamespace" . }}
  podSelector:
    matchLabels:
      app.kubernetes.io/name: {{ .chart }}
      app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- end -}}
