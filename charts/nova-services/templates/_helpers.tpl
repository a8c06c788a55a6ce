{{/*
nova-services.enabled: the enabled services, each with overrideAll applied,
as a YAML map name -> settings. Every template ranges over this one list.
Arg: the chart context.
*/}}
{{- define "nova-services.enabled" -}}
{{- $o := .Values.overrideAll | default dict -}}
{{- $out := dict -}}
{{- range $name, $svc := .Values.services -}}
{{- if $svc.enabled -}}
{{- $s := deepCopy $svc -}}
{{- if not (kindIs "invalid" $o.replicas) }}{{ $_ := set $s "replicas" $o.replicas }}{{ end -}}
{{- if not (kindIs "invalid" $o.autoscaling) }}{{ $_ := set $s "hpa" (set ($s.hpa | default dict) "enabled" $o.autoscaling) }}{{ end -}}
{{- if $o.resources }}{{ $_ := set $s "resources" $o.resources }}{{ end -}}
{{- $_ := set $out $name $s -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}
