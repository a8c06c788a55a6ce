{{/* nova-services.ingressBackend: the enabled service a route name (service or alias) resolves to, or "". Args: dict "ctx" $ "service" "user-service" */}}
{{- define "nova-services.ingressBackend" -}}
{{- range $name, $svc := include "nova-services.catalogue" .ctx | fromYaml -}}
{{- if or (eq $name $.service) (has $.service ($svc.aliases | default list)) }}{{ $name }}{{ end -}}
{{- end -}}
{{- end -}}

{{/*
nova-services.ingressPaths: the HTTP paths of one Ingress host: its own
paths (each must name an enabled service or alias), or else
ingress.routes, leaving out routes to services that are not enabled.
Args: dict "ctx" $ "host" $host "index" 0
*/}}
{{- define "nova-services.ingressPaths" -}}
{{- $own := .host.paths | default list -}}
{{- $paths := list -}}
{{- range ($own | default .ctx.Values.ingress.routes) -}}
{{- $backend := include "nova-services.ingressBackend" (dict "ctx" $.ctx "service" .service) -}}
{{- if and $own (not $backend) -}}
{{- fail (printf "ingress.hosts[%d].paths: service %q is not an enabled service nor an alias of one" (int $.index) .service) -}}
{{- end -}}
{{- if $backend -}}
{{- $paths = append $paths (dict "path" (.path | default "/") "pathType" (.pathType | default "Prefix") "backend" (dict "service" (dict "name" $backend "port" (dict "name" "http")))) -}}
{{- end -}}
{{- end -}}
{{- if not $paths -}}
{{- fail (printf "ingress.hosts[%d]: no route reaches an enabled service" (int $.index)) -}}
{{- end -}}
{{- toYaml $paths -}}
{{- end -}}
