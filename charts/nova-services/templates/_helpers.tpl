{{/*
nova-services.enabled: the enabled services, each with its program's
defaults under its own settings (a map value merges field by field, any
other value replaces), overrideAll applied and the chart's probe timing
under both, as a YAML map name -> settings. Every template ranges over
this one map.
Arg: the chart context.
*/}}
{{- define "nova-services.enabled" -}}
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
{{- range include "nova-services.enabled" .ctx | fromYaml -}}
{{- if has $.group (.uses | default list) }}true{{ end -}}
{{- end -}}
{{- end -}}

{{/*
nova-services.validate: rules the JSON schema cannot express, with messages
that name the values. Arg: the chart context.
*/}}
{{- define "nova-services.validate" -}}
{{- $enabled := include "nova-services.enabled" . | fromYaml -}}
{{- $claimed := dict -}}
{{- $databases := dict -}}
{{- range $name, $svc := $enabled -}}
{{- if not (hasKey ($.Values.programs | default dict) $svc.program) -}}
{{- if not $svc.image.repository -}}
{{- fail (printf "services.%s.program: %q is not a program of the chart (programs: %s); name one, or give the service its own image, listen and probes" $name $svc.program (keys $.Values.programs | sortAlpha | join ", ")) -}}
{{- end -}}
{{- end -}}
{{- if not $svc.image.repository -}}
{{- fail (printf "services.%s.image.repository: no image is published for %s (program %s: the Nova CI builds only user-service, messaging-service and search-service); build one and set services.%s.image.repository and image.tag, or leave services.%s.enabled false" $name $name $svc.program $name $name) -}}
{{- end -}}
{{- if and $svc.hpa.enabled (gt (int $svc.hpa.minReplicas) (int $svc.hpa.maxReplicas)) -}}
{{- fail (printf "services.%s.hpa: minReplicas (%d) is above maxReplicas (%d)" $name (int $svc.hpa.minReplicas) (int $svc.hpa.maxReplicas)) -}}
{{- end -}}
{{- range $kind, $p := $svc.probes -}}
{{- if and (ne ($p.type | default "http") "tcp") (not $p.path) -}}
{{- fail (printf "services.%s.probes.%s: an http probe needs a path (or type: tcp)" $name $kind) -}}
{{- end -}}
{{- end -}}
{{- range $alias := $svc.aliases | default list -}}
{{- if hasKey $enabled $alias -}}
{{- fail (printf "services.%s.aliases: %q is an enabled service of its own; disable it or drop the alias" $name $alias) -}}
{{- end -}}
{{- with get $claimed $alias -}}
{{- fail (printf "services.%s.aliases: %q is already an alias of %s" $name $alias .) -}}
{{- end -}}
{{- $_ := set $claimed $alias $name -}}
{{- end -}}
{{- with $svc.database -}}
{{- $_ := set $databases . (append (get $databases . | default list) $name) -}}
{{- end -}}
{{- end -}}
{{- range $name, $svc := $enabled -}}
{{- if and $svc.ownDatabase $svc.database -}}
{{- range get $databases $svc.database -}}
{{- $other := get $enabled . -}}
{{- if ne $other.program $svc.program -}}
{{- fail (printf "services.%s.database: %s runs %s, which migrates %s at every start and needs it to itself; services.%s (%s) uses it too. Give one of them another database" $name $name $svc.program $svc.database . $other.program) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and (eq .Values.migrations.mode "onStart") (eq .Values.appEnv "production") (include "nova-services.anyUses" (dict "ctx" . "group" "migrations")) -}}
{{- fail "migrations.mode: onStart needs appEnv other than production (user-service migrates at start only then); use mode job in production" -}}
{{- end -}}
{{- if and .Values.apns.enabled (include "nova-services.anyUses" (dict "ctx" . "group" "apns")) -}}
{{- if not .Values.apns.bundleId -}}
{{- fail "apns.bundleId: messaging-service refuses to start with an APNs certificate and no APNS_BUNDLE_ID; set apns.bundleId (or apns.enabled false)" -}}
{{- end -}}
{{- if not (or .Values.apns.existingSecret .Values.apns.certificate) -}}
{{- fail "apns: enabled without a certificate; set apns.existingSecret (keys apns-certificate, apns-passphrase) or apns.certificate (base64)" -}}
{{- end -}}
{{- end -}}
{{- with include "nova-services.missingExternal" . | fromYamlArray -}}
{{- if $.Values.external.required -}}
{{- fail (printf "external: user-service exits at start without these; set them (values/examples/external-endpoints.yaml is a template): %s" (join "; " .)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
nova-services.url: the in-cluster URL of a service of this chart.
Args: dict "ctx" $ "name" "user-service" "svc" $svc
*/}}
{{- define "nova-services.url" -}}
{{- printf "http://%s.%s.svc.%s:%d" .name (include "nova-common.namespace" .ctx) (include "nova-common.clusterDomain" .ctx) (int .svc.port) -}}
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

{{/* PostgreSQL endpoint and credentials (values, else the postgres-ha contract). Arg: the chart context. */}}
{{- define "nova-services.db.host" -}}
{{- .Values.database.host | default (include "nova-common.postgres.primaryHost" (dict "ctx" .)) -}}
{{- end -}}
{{- define "nova-services.db.port" -}}
{{- .Values.database.port | default (include "nova-common.postgres.port" .) -}}
{{- end -}}
{{- define "nova-services.db.user" -}}
{{- .Values.database.user | default (include "nova-common.postgres.appRole" .) -}}
{{- end -}}
{{- define "nova-services.db.secretName" -}}
{{- include "nova-common.postgres.secretName" (dict "ctx" .) -}}
{{- end -}}
{{- define "nova-services.db.secretKey" -}}
{{- include "nova-common.postgres.appPasswordKey" . -}}
{{- end -}}

{{/* Redis endpoint and credentials (values, else the redis-sentinel contract). Arg: the chart context. */}}
{{- define "nova-services.redis.host" -}}
{{- .Values.redis.host | default (include "nova-common.redis.masterHost" (dict "ctx" .)) -}}
{{- end -}}
{{- define "nova-services.redis.port" -}}
{{- .Values.redis.port | default (include "nova-common.redis.port" .) -}}
{{- end -}}
{{- define "nova-services.redis.secretName" -}}
{{- include "nova-common.redis.secretName" (dict "ctx" .) -}}
{{- end -}}
{{- define "nova-services.redis.secretKey" -}}
{{- include "nova-common.redis.passwordKey" . -}}
{{- end -}}

{{/*
nova-services.probes: startup, liveness and readiness probes, each an HTTP
GET on its path or a TCP connect (type tcp), on the port named http unless
the probe names another. Arg: the service's merged probes.
*/}}
{{- define "nova-services.probes" -}}
{{- range $kind := list "startup" "liveness" "readiness" }}
{{- $p := get $ $kind }}
{{ $kind }}Probe:
  {{- if eq ($p.type | default "http") "tcp" }}
  tcpSocket:
    port: {{ $p.port | default "http" }}
  {{- else }}
  httpGet:
    path: {{ $p.path }}
    port: {{ $p.port | default "http" }}
  {{- end }}
  {{- with omit $p "path" "type" "port" }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end }}
{{- end -}}

{{/*
nova-services.replicas: the Deployment's replicas. Without an HPA, the
service's own. With one: its minimum when the Deployment does not exist yet
(so an install starts at the floor the PDB counts on), else the live count,
so an upgrade leaves it where the HPA put it (omitting the field would make
Helm's three-way merge send replicas: null, which the API server turns into 1).
Args: dict "ctx" $ "name" "user-service" "svc" $svc
*/}}
{{- define "nova-services.replicas" -}}
{{- if not .svc.hpa.enabled -}}
{{- int .svc.replicas -}}
{{- else -}}
{{- $live := lookup "apps/v1" "Deployment" (include "nova-common.namespace" .ctx) .name -}}
{{- if and $live (hasKey ($live.spec | default dict) "replicas") -}}
{{- int $live.spec.replicas -}}
{{- else -}}
{{- int .svc.hpa.minReplicas -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* nova-services.ingressBackend: the enabled service a route name (service or alias) resolves to, or "". Args: dict "ctx" $ "service" "user-service" */}}
{{- define "nova-services.ingressBackend" -}}
{{- range $name, $svc := include "nova-services.enabled" .ctx | fromYaml -}}
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
