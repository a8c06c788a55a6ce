{{/*
nova-services.waitContainer: the init container that waits for the data
tier the service uses, or nothing (disabled, or no database and no Redis).
The script comes from the scripts ConfigMap, or inline in the command for a
hook Job's pod, which may run before that ConfigMap exists.
Args: dict "ctx" $ "name" "user-service" "svc" $svc ["inline" true]
*/}}
{{- define "nova-services.waitContainer" -}}
{{- $ctx := .ctx -}}
{{- $w := $ctx.Values.waitForDependencies -}}
{{- $redis := not (kindIs "invalid" .svc.redisDb) -}}
{{- if and $w.enabled (or .svc.database $redis) -}}
- name: wait-for-deps
  image: {{ include "nova-common.image" (dict "ctx" $ctx "image" $w.image "path" "waitForDependencies.image") }}
  imagePullPolicy: {{ $w.image.pullPolicy | default "IfNotPresent" }}
  command: {{ include "nova-common.scripts.command" (dict "ctx" $ctx "script" "wait-for-deps.sh" "inline" .inline) }}
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
    {{- include "nova-common.secretEnv" (dict "name" "REDIS_PASSWORD" "secret" (include "nova-services.redis.secretName" $ctx) "key" (include "nova-services.redis.secretKey" $ctx)) | nindent 4 }}
    {{- end }}
  resources:
    {{- toYaml $w.resources | nindent 4 }}
  securityContext:
    {{- include "nova-common.containerSecurityContext" (dict "ctx" $ctx "override" $ctx.Values.containerSecurityContext) | nindent 4 }}
  {{- if not .inline }}
  volumeMounts:
    {{- include "nova-common.scripts.volumeMount" $ctx | nindent 4 }}
  {{- end }}
{{- end -}}
{{- end -}}

{{/*
nova-services.migrationRuns: one run per database of the services whose program
migrates (uses "migrations"), as a YAML list of {name, service,
database}: the service whose env the run borrows is the one named after
the program when it is enabled, else the first. Only in mode job.
Arg: the chart context.
*/}}
{{- define "nova-services.migrationRuns" -}}
{{- $runs := dict -}}
{{- if eq .Values.migrations.mode "job" -}}
{{- range $name, $svc := include "nova-services.catalogue" . | fromYaml -}}
{{- if and $svc.database (include "nova-services.uses" (dict "svc" $svc "group" "migrations")) -}}
{{- $id := $svc.database -}}
{{- if or (not (hasKey $runs $id)) (eq $name $svc.program) -}}
{{- $_ := set $runs $id (dict "name" (include "nova-common.componentName" (dict "ctx" $ "component" (printf "migrate-%s" ($svc.database | replace "_" "-")))) "service" $name "database" $svc.database) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $out := list -}}
{{- range $id := keys $runs | sortAlpha }}{{ $out = append $out (get $runs $id) }}{{ end -}}
{{- toYaml $out -}}
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
