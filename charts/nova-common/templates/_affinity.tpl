{{/*
Anti-affinity over nodes: "soft" = preferred, "hard" = required, "none".
The chart's antiAffinity value wins over global.antiAffinity; default soft.
*/}}

{{/* nova-common.antiAffinityMode. Args: dict "ctx" $ */}}
{{- define "nova-common.antiAffinityMode" -}}
{{- $mode := .ctx.Values.antiAffinity | default (.ctx.Values.global | default dict).antiAffinity | default "soft" -}}
{{- if not (has $mode (list "soft" "hard" "none")) -}}
{{- fail (printf "antiAffinity: %q is not one of soft, hard, none" $mode) -}}
{{- end -}}
{{- $mode -}}
{{- end -}}

{{/*
nova-common.affinity: the pod's affinity block (empty for mode none).
.Values.affinity, when set, replaces the generated one.
Args: dict "ctx" $ "component" "redis" ["topologyKey" "kubernetes.io/hostname"]
*/}}
{{- define "nova-common.affinity" -}}
{{- if .ctx.Values.affinity -}}
{{- toYaml .ctx.Values.affinity -}}
{{- else -}}
{{- $mode := include "nova-common.antiAffinityMode" . -}}
{{- $term := dict "topologyKey" (.topologyKey | default "kubernetes.io/hostname") "labelSelector" (dict "matchLabels" (include "nova-common.selectorLabels" . | fromYaml)) -}}
{{- if eq $mode "hard" -}}
podAntiAffinity:
  requiredDuringSchedulingIgnoredDuringExecution:
    {{- toYaml (list $term) | nindent 4 }}
{{- else if eq $mode "soft" -}}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    {{- toYaml (list (dict "weight" 100 "podAffinityTerm" $term)) | nindent 4 }}
{{- end -}}
{{- end -}}
{{- end -}}
