{{/*
The service catalogue: which services are enabled and what each one is
(image, port, probes, the env groups its program uses), worked out once per
render; every template ranges over it.
*/}}

{{/*
nova-services.catalogue: the enabled services, each with its program's
defaults under its own settings (a map value merges field by field, any
other value replaces), overrideAll applied and the chart's probe timing
under both, as a YAML map name -> settings. Worked out on the first call
and kept in the chart's template context, so the helpers that need it
(peers, tests, secrets) do not rebuild it for every service.
Arg: the chart context.
*/}}
{{- define "nova-services.catalogue" -}}
{{- if not (hasKey . "novaServicesCatalogue") -}}
{{- $_ := set . "novaServicesCatalogue" (include "nova-services.buildCatalogue" .) -}}
{{- end -}}
{{- get . "novaServicesCatalogue" -}}
{{- end -}}

{{- define "nova-services.buildCatalogue" -}}
{{- $o := .Values.overrideAll | default dict -}}
{{- $out := dict -}}
{{- range $name, $svc := .Values.services -}}
{{- if $svc.enabled -}}
{{- $program := $svc.program | default $name -}}
{{- $s := dict "image" (deepCopy $.Values.image) "probes" (deepCopy $.Values.probes) "listen" dict "uses" list
    "healthPath" "/health" "metrics" false "ownDatabase" false "shareProcessNamespace" false
    "terminationGracePeriodSeconds" $.Values.terminationGracePeriodSeconds -}}
{{- range $layer := list (get ($.Values.programs | default dict) $program | default dict) $svc -}}
{{- range $k, $v := $layer -}}
{{- if and (kindIs "map" $v) (kindIs "map" (get $s $k)) -}}
{{- $_ := set $s $k (mergeOverwrite (get $s $k) (deepCopy $v)) -}}
{{- else -}}
{{- $_ := set $s $k $v -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $_ := set $s "program" $program -}}
{{- if not (kindIs "invalid" $o.replicas) }}{{ $_ := set $s "replicas" $o.replicas }}{{ end -}}
{{- if not (kindIs "invalid" $o.autoscaling) }}{{ $_ := set $s "hpa" (set ($s.hpa | default dict) "enabled" $o.autoscaling) }}{{ end -}}
{{- if $o.resources }}{{ $_ := set $s "resources" $o.resources }}{{ end -}}
{{- $_ := set $s "hpa" ($s.hpa | default (dict "enabled" false)) -}}
{{- $_ := set $out $name $s -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
nova-services.uses: whether an enabled service's program uses an env group
("true" or empty). Args: dict "svc" $svc "group" "s3"
*/}}
{{- define "nova-services.uses" -}}
{{- if has .group (.svc.uses | default list) }}true{{ end -}}
{{- end -}}

{{/* nova-services.anyUses: whether some enabled service uses a group. Args: dict "ctx" $ "group" "s3" */}}
{{- define "nova-services.anyUses" -}}
{{- range include "nova-services.catalogue" .ctx | fromYaml -}}
{{- if has $.group (.uses | default list) }}true{{ end -}}
{{- end -}}
{{- end -}}

{{/*
nova-services.image: a service's image. The tag falls back to image.tag,
then to the chart's appVersion (the Nova build the chart is made for).
Args: dict "ctx" $ "name" "user-service" "svc" $svc
*/}}
{{- define "nova-services.image" -}}
{{- $img := merge (dict "tag" (.svc.image.tag | default .ctx.Chart.AppVersion)) .svc.image -}}
{{- include "nova-common.image" (dict "ctx" .ctx "image" $img "path" (printf "services.%s.image" .name)) -}}
{{- end -}}

{{/*
nova-services.url: the in-cluster URL of a service of this chart.
Args: dict "ctx" $ "name" "user-service" "svc" $svc
*/}}
{{- define "nova-services.url" -}}
{{- printf "http://%s.%s.svc.%s:%d" .name (include "nova-common.namespace" .ctx) (include "nova-common.clusterDomain" .ctx) (int .svc.port) -}}
{{- end -}}
