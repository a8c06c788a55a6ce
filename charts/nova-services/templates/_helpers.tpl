{{/*
nova-services.enabled: the enabled services, each with overrideAll applied
and the chart's probe defaults merged under its own probes, as a YAML map
name -> settings. Every template ranges over this one map.
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
{{- $_ := set $s "probes" (mergeOverwrite (deepCopy $.Values.probes) ($s.probes | default dict)) -}}
{{- $_ := set $s "hpa" ($s.hpa | default (dict "enabled" false)) -}}
{{- $_ := set $out $name $s -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
nova-services.validate: rules the JSON schema cannot express, with messages
that name the values. Arg: the chart context.
*/}}
{{- define "nova-services.validate" -}}
{{- $enabled := include "nova-services.enabled" . | fromYaml -}}
{{- $claimed := dict -}}
{{- range $name, $svc := $enabled -}}
{{- if and $svc.hpa.enabled (gt (int $svc.hpa.minReplicas) (int $svc.hpa.maxReplicas)) -}}
{{- fail (printf "services.%s.hpa: minReplicas (%d) is above maxReplicas (%d)" $name (int $svc.hpa.minReplicas) (int $svc.hpa.maxReplicas)) -}}
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
{{- if and $.Values.secrets.requireValues (not $svc.existingSecret) -}}
{{- range $svc.secretKeys | default list -}}
{{- if not (include "nova-services.secretSource" (dict "ctx" $ "svc" $svc "name" $name "key" .)) -}}
{{- fail (printf "services.%s.secretKeys: %q has no value: set secrets.values.%s or services.%s.existingSecret (or secrets.requireValues=false to leave it out)" $name . . $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* nova-services.envName: "kafka-brokers" -> "KAFKA_BROKERS". Arg: the string. */}}
{{- define "nova-services.envName" -}}
{{- . | replace "-" "_" | upper -}}
{{- end -}}

{{/*
nova-services.url: the in-cluster URL of a service of this chart.
Args: dict "ctx" $ "name" "user-service" "svc" $svc
*/}}
{{- define "nova-services.url" -}}
{{- printf "http://%s.%s.svc.%s:%d" .name (include "nova-common.namespace" .ctx) (include "nova-common.clusterDomain" .ctx) (int .svc.port) -}}
{{- end -}}

{{/*
nova-services.peers: env var name -> URL of every other enabled service and
of the services its aliases stand for, as a YAML map (derived, never typed).
Args: dict "ctx" $ "name" "user-service"
*/}}
{{- define "nova-services.peers" -}}
{{- $out := dict -}}
{{- range $name, $svc := include "nova-services.enabled" .ctx | fromYaml -}}
{{- if ne $name $.name -}}
{{- $url := include "nova-services.url" (dict "ctx" $.ctx "name" $name "svc" $svc) -}}
{{- range prepend ($svc.aliases | default list) $name -}}
{{- $_ := set $out (printf "%s_URL" (include "nova-services.envName" .)) $url -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
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
{{- include "nova-common.postgres.secretName" (dict "ctx" . "existingSecret" .Values.database.existingSecret) -}}
{{- end -}}
{{- define "nova-services.db.secretKey" -}}
{{- .Values.database.existingSecretKey | default (include "nova-common.postgres.appPasswordKey" .) -}}
{{- end -}}

{{/* Redis endpoint, Sentinels and credentials (values, else the redis-sentinel contract). Arg: the chart context. */}}
{{- define "nova-services.redis.host" -}}
{{- .Values.redis.host | default (include "nova-common.redis.masterHost" (dict "ctx" .)) -}}
{{- end -}}
{{- define "nova-services.redis.port" -}}
{{- .Values.redis.port | default (include "nova-common.redis.port" .) -}}
{{- end -}}
{{- define "nova-services.redis.sentinels" -}}
{{- if .Values.redis.sentinels -}}
{{- join "," .Values.redis.sentinels -}}
{{- else if not .Values.redis.host -}}
{{- printf "%s:%s" (include "nova-common.redis.sentinelHost" (dict "ctx" .)) (include "nova-common.redis.sentinelPort" .) -}}
{{- end -}}
{{- end -}}
{{- define "nova-services.redis.secretName" -}}
{{- include "nova-common.redis.secretName" (dict "ctx" . "existingSecret" .Values.redis.existingSecret) -}}
{{- end -}}
{{- define "nova-services.redis.secretKey" -}}
{{- .Values.redis.existingSecretKey | default (include "nova-common.redis.passwordKey" .) -}}
{{- end -}}

{{/* nova-services.generatedSecretName: the Secret of generated keys. Arg: the chart context. */}}
{{- define "nova-services.generatedSecretName" -}}
{{- include "nova-common.componentName" (dict "ctx" . "component" "generated") -}}
{{- end -}}

{{/*
nova-services.secretSource: where a service reads one of its secret keys,
as "secretName" (empty when the key has no value and is not generated).
- the service's existingSecret, for every key it lists;
- the service's own Secret (named after it), when secrets.values has the key;
- the Secret of generated keys, when the key is in secrets.generate.
Args: dict "ctx" $ "name" "auth-service" "svc" $svc "key" "jwt-secret"
*/}}
{{- define "nova-services.secretSource" -}}
{{- $v := .ctx.Values.secrets -}}
{{- if .svc.existingSecret -}}
{{- .svc.existingSecret -}}
{{- else if get ($v.values | default dict) .key -}}
{{- .name -}}
{{- else if has .key ($v.generate | default list) -}}
{{- include "nova-services.generatedSecretName" .ctx -}}
{{- end -}}
{{- end -}}

{{/*
nova-services.missingKeys: "service: key" for every listed key without a
source, as a YAML list (NOTES warn about them). Arg: the chart context.
*/}}
{{- define "nova-services.missingKeys" -}}
{{- $out := list -}}
{{- range $name, $svc := include "nova-services.enabled" . | fromYaml -}}
{{- range $svc.secretKeys | default list -}}
{{- if not (include "nova-services.secretSource" (dict "ctx" $ "name" $name "svc" $svc "key" .)) -}}
{{- $out = append $out (printf "%s: %s" $name .) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
nova-services.generatedKeys: the keys the generated Secret holds (those some
enabled service reads from it), as a YAML list. Arg: the chart context.
*/}}
{{- define "nova-services.generatedKeys" -}}
{{- $gen := include "nova-services.generatedSecretName" . -}}
{{- $keys := list -}}
{{- range $name, $svc := include "nova-services.enabled" . | fromYaml -}}
{{- range $svc.secretKeys | default list -}}
{{- if eq (include "nova-services.secretSource" (dict "ctx" $ "name" $name "svc" $svc "key" .)) $gen -}}
{{- $keys = append $keys . -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $keys | uniq | sortAlpha | toYaml -}}
{{- end -}}

{{/*
nova-services.secret: the Secret of one service (its keys that have values),
or nothing when it has none or reads an existingSecret.
Args: dict "ctx" $ "name" "user-service" "svc" $svc
*/}}
{{- define "nova-services.secret" -}}
{{- $values := .ctx.Values.secrets.values | default dict -}}
{{- $data := dict -}}
{{- range .svc.secretKeys | default list -}}
{{- if eq (include "nova-services.secretSource" (dict "ctx" $.ctx "name" $.name "svc" $.svc "key" .)) $.name -}}
{{- $_ := set $data . (get $values . | toString | b64enc) -}}
{{- end -}}
{{- end -}}
{{- if $data -}}
apiVersion: v1
kind: Secret
metadata:
  {{- include "nova-common.metadata" (dict "ctx" .ctx "component" .name "name" .name) | nindent 2 }}
type: Opaque
data:
  {{- toYaml $data | nindent 2 }}
{{- end -}}
{{- end -}}

{{/*
nova-services.secretChecksum: changes when what the service reads from
Secrets changes: its own Secret's data, the names of its generated keys
(their values never change) and its existingSecret's name.
Args: dict "ctx" $ "name" "user-service" "svc" $svc
*/}}
{{- define "nova-services.secretChecksum" -}}
{{- $sources := list -}}
{{- range .svc.secretKeys | default list -}}
{{- $sources = append $sources (printf "%s=%s" . (include "nova-services.secretSource" (dict "ctx" $.ctx "name" $.name "svc" $.svc "key" .))) -}}
{{- end -}}
{{- printf "%s\n%s" (join "," $sources) (include "nova-services.secret" .) | sha256sum -}}
{{- end -}}

{{/* An env var read from a Secret. Args: dict "name" "ENV" "secret" "s" "key" "k" */}}
{{- define "nova-services.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end -}}

{{/*
nova-services.env: the env of a service's container. The passwords come
first: DATABASE_URL and REDIS_URL embed them through Kubernetes' $(VAR)
expansion, which only sees variables defined earlier in the list.
Args: dict "ctx" $ "name" "user-service" "svc" $svc
*/}}
{{- define "nova-services.env" -}}
{{- $ctx := .ctx -}}
{{- $svc := .svc -}}
- name: APP_ENV
  value: {{ $ctx.Values.appEnv | quote }}
- name: RUST_LOG
  value: {{ $ctx.Values.rustLog | quote }}
- name: SERVICE_NAME
  value: {{ .name | quote }}
- name: PORT
  value: {{ $svc.port | quote }}
{{- with $svc.metricsPort }}
- name: METRICS_PORT
  value: {{ . | quote }}
{{- end }}
{{- with $svc.database }}
{{ include "nova-services.secretEnv" (dict "name" "DATABASE_PASSWORD" "secret" (include "nova-services.db.secretName" $ctx) "key" (include "nova-services.db.secretKey" $ctx)) }}
- name: DATABASE_URL
  value: {{ printf "postgres://%s:$(DATABASE_PASSWORD)@%s:%s/%s%s" (include "nova-services.db.user" $ctx) (include "nova-services.db.host" $ctx) (include "nova-services.db.port" $ctx) . (ternary (printf "?%s" $ctx.Values.database.params) "" (ne $ctx.Values.database.params "")) | quote }}
{{- end }}
{{- if not (kindIs "invalid" $svc.redisDb) }}
{{ include "nova-services.secretEnv" (dict "name" "REDIS_PASSWORD" "secret" (include "nova-services.redis.secretName" $ctx) "key" (include "nova-services.redis.secretKey" $ctx)) }}
- name: REDIS_URL
  value: {{ printf "redis://:$(REDIS_PASSWORD)@%s:%s/%d" (include "nova-services.redis.host" $ctx) (include "nova-services.redis.port" $ctx) (int $svc.redisDb) | quote }}
- name: REDIS_DB
  value: {{ $svc.redisDb | quote }}
{{- with include "nova-services.redis.sentinels" $ctx }}
- name: REDIS_SENTINEL_ADDRS
  value: {{ . | quote }}
- name: REDIS_MASTER_NAME
  value: {{ $ctx.Values.redis.masterName | default (include "nova-common.redis.masterName" $ctx) | quote }}
{{- end }}
{{- end }}
{{- range $key := $svc.secretKeys | default list }}
{{- with include "nova-services.secretSource" (dict "ctx" $ctx "name" $.name "svc" $svc "key" $key) }}
{{ include "nova-services.secretEnv" (dict "name" (include "nova-services.envName" $key) "secret" . "key" $key) }}
{{- end }}
{{- end }}
{{- range $env, $url := include "nova-services.peers" (dict "ctx" $ctx "name" .name) | fromYaml }}
- name: {{ $env }}
  value: {{ $url | quote }}
{{- end }}
{{- with $svc.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
nova-services.waitContainer: the init container that waits for the data
tier the service uses, or nothing (disabled, or no database and no Redis).
Args: dict "ctx" $ "name" "user-service" "svc" $svc
*/}}
{{- define "nova-services.waitContainer" -}}
{{- $ctx := .ctx -}}
{{- $w := $ctx.Values.waitForDependencies -}}
{{- $redis := not (kindIs "invalid" .svc.redisDb) -}}
{{- if and $w.enabled (or .svc.database $redis) -}}
- name: wait-for-deps
  image: {{ include "nova-common.image" (dict "ctx" $ctx "image" $w.image "path" "waitForDependencies.image") }}
  imagePullPolicy: {{ $w.image.pullPolicy | default "IfNotPresent" }}
  command: ["sh", "/scripts/wait-for-deps.sh"]
  env:
    - name: WAIT_TIMEOUT
      value: {{ $w.timeoutSeconds | quote }}
    {{- if .svc.database }}
    - name: POSTGRES_ADDR
      value: {{ printf "%s:%s" (include "nova-services.db.host" $ctx) (include "nova-services.db.port" $ctx) | quote }}
    {{- end }}
    {{- if $redis }}
    - name: REDIS_ADDR
      value: {{ printf "%s:%s" (include "nova-services.redis.host" $ctx) (include "nova-services.redis.port" $ctx) | quote }}
    {{- include "nova-services.secretEnv" (dict "name" "REDIS_PASSWORD" "secret" (include "nova-services.redis.secretName" $ctx) "key" (include "nova-services.redis.secretKey" $ctx)) | nindent 4 }}
    {{- end }}
  resources:
    {{- toYaml $w.resources | nindent 4 }}
  securityContext:
    {{- include "nova-common.containerSecurityContext" (dict "ctx" $ctx "override" $ctx.Values.containerSecurityContext) | nindent 4 }}
  volumeMounts:
    - name: scripts
      mountPath: /scripts
      readOnly: true
{{- end -}}
{{- end -}}

{{/*
nova-services.probes: startup, liveness and readiness HTTP probes on port http.
Arg: the service's merged probes.
*/}}
{{- define "nova-services.probes" -}}
{{- range $kind := list "startup" "liveness" "readiness" }}
{{- $p := get $ $kind }}
{{ $kind }}Probe:
  httpGet:
    path: {{ $p.path }}
    port: http
  {{- toYaml (omit $p "path") | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
nova-services.preStop: pause so the endpoints drain before the app is told to
stop. The sleep action (Kubernetes 1.30+) needs no sleep binary in the image;
older clusters get an exec of sleep. Arg: the chart context.
*/}}
{{- define "nova-services.preStop" -}}
{{- $seconds := int .Values.preStopSleepSeconds -}}
preStop:
{{- if semverCompare ">=1.30-0" .Capabilities.KubeVersion.Version }}
  sleep:
    seconds: {{ $seconds }}
{{- else }}
  exec:
    command: ["sleep", "{{ $seconds }}"]
{{- end }}
{{- end -}}

{{/* nova-services.ingressBackend: the enabled service a route name (service or alias) resolves to. Args: dict "ctx" $ "service" "user-service" */}}
{{- define "nova-services.ingressBackend" -}}
{{- $enabled := include "nova-services.enabled" .ctx | fromYaml -}}
{{- $found := "" -}}
{{- range $name, $svc := $enabled -}}
{{- if or (eq $name $.service) (has $.service ($svc.aliases | default list)) }}{{ $found = $name }}{{ end -}}
{{- end -}}
{{- required (printf "ingress.hosts: service %q is not an enabled service nor an alias of one" .service) (ternary $found "" (ne $found "")) -}}
{{- end -}}
