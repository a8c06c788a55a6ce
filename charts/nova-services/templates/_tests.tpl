{{/*
helm test (nova-installer verify): one Pod per enabled service that checks,
with the service's own env (the env of its Deployment, so its own DSNs),
that DATABASE_URL reaches the service's database, that REDIS_URL answers
PING and that every other enabled service answers GET on its program's
health path (healthPath: user-service has no /health).
*/}}

{{/* nova-services.testName: "<service>-test-connections", the service part cut to fit 63 characters. Arg: the service name. */}}
{{- define "nova-services.testName" -}}
{{- printf "%s-test-connections" (. | trunc 46 | trimSuffix "-") -}}
{{- end -}}

{{/*
nova-services.testHealthUrls: the health URL of every other enabled service,
as a YAML list. Args: dict "ctx" $ "name" "user-service"
*/}}
{{- define "nova-services.testHealthUrls" -}}
{{- $out := list -}}
{{- range $name, $svc := include "nova-services.catalogue" .ctx | fromYaml -}}
{{- if ne $name $.name -}}
{{- $out = append $out (printf "%s%s" (include "nova-services.url" (dict "ctx" $.ctx "name" $name "svc" $svc)) $svc.healthPath) -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* nova-services.testContainerBase: command (files/helm-test.sh), resources, security context and mounts of a test container. Args: dict "ctx" $ ... */}}
{{- define "nova-services.testContainerBase" -}}
command: {{ include "nova-common.scripts.command" (dict "ctx" .ctx "script" "helm-test.sh") }}
resources:
  {{- toYaml .ctx.Values.tests.resources | nindent 2 }}
securityContext:
  {{- include "nova-common.containerSecurityContext" (dict "ctx" .ctx "override" .ctx.Values.containerSecurityContext) | nindent 2 }}
volumeMounts:
  {{- include "nova-common.scripts.volumeMount" .ctx | nindent 2 }}
{{- end -}}

{{/*
nova-services.testContainers: the containers of a service's test Pod:
database (when it has one), redis (when it uses Redis) and health (when there
are other services), or nothing. Each runs one check of files/helm-test.sh;
the expected database name and the URLs are its arguments, so the env is
exactly the service's.
Args: dict "ctx" $ "name" "user-service" "svc" $svc
*/}}
{{- define "nova-services.testContainers" -}}
{{- $ctx := .ctx -}}
{{- $images := $ctx.Values.tests.images -}}
{{- $env := include "nova-services.env" . | trim -}}
{{- if .svc.database }}
- name: database
  image: {{ include "nova-common.image" (dict "ctx" $ctx "image" $images.postgres "path" "tests.images.postgres") }}
  imagePullPolicy: {{ $images.postgres.pullPolicy | default "IfNotPresent" }}
  args: ["database", {{ .svc.database | quote }}]
  env:
    {{- $env | nindent 4 }}
  {{- include "nova-services.testContainerBase" . | nindent 2 }}
{{- end }}
{{- if not (kindIs "invalid" .svc.redisDb) }}
- name: redis
  image: {{ include "nova-common.image" (dict "ctx" $ctx "image" $images.redis "path" "tests.images.redis") }}
  imagePullPolicy: {{ $images.redis.pullPolicy | default "IfNotPresent" }}
  args: ["redis"]
  env:
    {{- $env | nindent 4 }}
  {{- include "nova-services.testContainerBase" . | nindent 2 }}
{{- end }}
{{- with include "nova-services.testHealthUrls" . | fromYamlArray }}
- name: health
  image: {{ include "nova-common.image" (dict "ctx" $ctx "image" $ctx.Values.waitForDependencies.image "path" "waitForDependencies.image") }}
  imagePullPolicy: {{ $ctx.Values.waitForDependencies.image.pullPolicy | default "IfNotPresent" }}
  args:
    - health
    {{- toYaml . | nindent 4 }}
  {{- include "nova-services.testContainerBase" $ | nindent 2 }}
{{- end }}
{{- end -}}
