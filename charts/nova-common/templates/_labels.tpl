{{/*
Labels: the app.kubernetes.io/* set. Selector labels are the immutable
subset used by Services, PDBs, affinity terms and workload selectors.
Args of both: dict "ctx" $ "component" "redis" (component optional)
*/}}

{{- define "nova-common.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nova-common.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{- define "nova-common.labels" -}}
helm.sh/chart: {{ include "nova-common.chart" .ctx }}
{{ include "nova-common.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | default .ctx.Chart.Version | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: nova
{{- end -}}

{{/*
nova-common.metadata: name, namespace and labels of an object.
Args: dict "ctx" $ "component" "redis" ["name" "explicit-name"] ["namespace" "ns"] ["annotations" dict]
*/}}
{{- define "nova-common.metadata" -}}
name: {{ .name | default (include "nova-common.componentName" .) }}
namespace: {{ .namespace | default (include "nova-common.namespace" .ctx) }}
labels:
  {{- include "nova-common.labels" . | nindent 2 }}
{{- with .annotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
