{{/* Name of the Secret that holds the password (generated or global.redis.existingSecret): the helper the services tier uses. */}}
{{- define "redis-sentinel.secretName" -}}
{{- include "nova-common.redis.secretName" (dict "ctx" .) -}}
{{- end -}}

{{/* Key of the password in that Secret. */}}
{{- define "redis-sentinel.secretKey" -}}
{{- include "nova-common.redis.passwordKey" . -}}
{{- end -}}

{{- define "redis-sentinel.statefulsetName" -}}
{{- include "nova-common.componentName" (dict "ctx" . "component" "redis") -}}
{{- end -}}

{{- define "redis-sentinel.headlessName" -}}
{{- include "nova-common.componentName" (dict "ctx" . "component" "headless") -}}
{{- end -}}

{{/* The stable DNS name of member I. Args: dict "ctx" $ "index" 0 */}}
{{- define "redis-sentinel.memberHost" -}}
{{- $ctx := .ctx -}}
{{- printf "%s-%d.%s.%s.svc.%s" (include "redis-sentinel.statefulsetName" $ctx) (int .index) (include "redis-sentinel.headlessName" $ctx) (include "nova-common.namespace" $ctx) (include "nova-common.clusterDomain" $ctx) -}}
{{- end -}}

{{/* Every member's host, space-separated, in ordinal order (the first is the bootstrap member). */}}
{{- define "redis-sentinel.members" -}}
{{- $hosts := list -}}
{{- range $i := until (int .Values.replicas) -}}
{{- $hosts = append $hosts (include "redis-sentinel.memberHost" (dict "ctx" $ "index" $i)) -}}
{{- end -}}
{{- join " " $hosts -}}
{{- end -}}

{{/* Redis maxmemory in bytes: redis.maxmemoryPercent of the memory limit. */}}
{{- define "redis-sentinel.maxmemory" -}}
{{- $limit := required "resources.limits.memory is required: Redis maxmemory is derived from it" ((.Values.resources.limits | default dict).memory) -}}
{{- div (mul (int64 (include "nova-common.quantity.bytes" (dict "value" $limit "field" "resources.limits.memory"))) (int .Values.redis.maxmemoryPercent)) 100 -}}
{{- end -}}

{{/* Checks that JSON schema cannot express. */}}
{{- define "redis-sentinel.validate" -}}
{{- if gt (int .Values.sentinel.quorum) (int .Values.replicas) -}}
{{- fail (printf "sentinel.quorum (%d) must not exceed replicas (%d): no failover could ever be agreed" (int .Values.sentinel.quorum) (int .Values.replicas)) -}}
{{- end -}}
{{- if le (int .Values.sentinel.quorum) (div (int .Values.replicas) 2) -}}
{{- fail (printf "sentinel.quorum (%d) must be a majority of replicas (%d), or a partition could elect two masters" (int .Values.sentinel.quorum) (int .Values.replicas)) -}}
{{- end -}}
{{- end -}}

{{/* Environment of the scripts (common.sh documents each variable). */}}
{{/* Where the password Secret is mounted, and the file the scripts, the exporter and nova-installer status read. */}}
{{- define "redis-sentinel.authDir" -}}/etc/redis-auth{{- end -}}
{{/* redis-sentinel.authMount: a container's read-only mount of the password Secret volume (a list item). */}}
{{- define "redis-sentinel.authMount" -}}
- name: auth
  mountPath: {{ include "redis-sentinel.authDir" . }}
  readOnly: true
{{- end -}}
{{- define "redis-sentinel.passwordFile" -}}{{ include "redis-sentinel.authDir" . }}/password{{- end -}}

{{- define "redis-sentinel.scriptEnv" -}}
- name: REDIS_PASSWORD_FILE
  value: {{ include "redis-sentinel.passwordFile" . }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: REDIS_SELF
  value: "$(POD_NAME).{{ include "redis-sentinel.headlessName" . }}.{{ include "nova-common.namespace" . }}.svc.{{ include "nova-common.clusterDomain" . }}"
- name: REDIS_MEMBERS
  value: {{ include "redis-sentinel.members" . | quote }}
- name: REDIS_PORT
  value: {{ .Values.redis.port | quote }}
- name: SENTINEL_PORT
  value: {{ .Values.sentinel.port | quote }}
- name: SENTINEL_MASTER_NAME
  value: {{ include "nova-common.redis.masterName" . | quote }}
- name: SENTINEL_QUORUM
  value: {{ .Values.sentinel.quorum | quote }}
- name: DISCOVERY_ATTEMPTS
  value: {{ .Values.discoveryAttempts | quote }}
- name: BOOTSTRAP_WAIT_ATTEMPTS
  value: {{ .Values.bootstrapWaitAttempts | quote }}
- name: SWITCHOVER_TIMEOUT
  value: {{ .Values.switchoverTimeoutSeconds | quote }}
- name: SWITCHOVER_DRAIN_MS
  value: {{ include "redis-sentinel.switchoverDrainMs" . | quote }}
{{- end -}}

{{/* Mounts of the redis and sentinel containers (one run dir each is fine: emptyDir per pod). */}}
{{- define "redis-sentinel.volumeMounts" -}}
- name: data
  mountPath: /data
- name: config
  mountPath: /etc/redis
  readOnly: true
{{ include "nova-common.scripts.volumeMount" . }}
{{ include "redis-sentinel.authMount" . }}
- name: run
  mountPath: /run/redis
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/*
Startup, liveness and readiness probes; every one runs an authenticated PING,
readiness also needs a replica's master link up.
Args: dict "ctx" $ "check" "redis"|"sentinel"
*/}}
{{- define "redis-sentinel.probes" -}}
{{- $p := .ctx.Values.probes -}}
{{- $live := ternary "redis-live" "sentinel" (eq .check "redis") -}}
{{- $ready := ternary "redis-ready" "sentinel" (eq .check "redis") -}}
startupProbe:
  exec:
    command: ["sh", "{{ include "nova-common.scripts.dir" . }}/probe.sh", {{ $live | quote }}]
  {{- toYaml $p.startup | nindent 2 }}
livenessProbe:
  exec:
    command: ["sh", "{{ include "nova-common.scripts.dir" . }}/probe.sh", {{ $live | quote }}]
  {{- toYaml $p.liveness | nindent 2 }}
readinessProbe:
  exec:
    command: ["sh", "{{ include "nova-common.scripts.dir" . }}/probe.sh", {{ $ready | quote }}]
  {{- toYaml $p.readiness | nindent 2 }}
{{- end -}}

{{/* After a switchover the old master stays up, as a replica, for three of
HAProxy's role checks: no HAProxy routes to it when its address goes away. */}}
{{- define "redis-sentinel.switchoverDrainMs" -}}
{{- if .Values.haproxy.enabled }}{{ mul 3 .Values.haproxy.checkIntervalMs }}{{ else }}0{{ end -}}
{{- end -}}

{{/*
The role-label sidecar (files/role-label.sh): it reads its pod's Redis with
the password file and patches the pod with the token only it mounts.
*/}}
{{- define "redis-sentinel.roleLabelContainer" -}}
{{- $v := .Values.roleLabel -}}
name: role-label
image: {{ include "nova-common.image" (dict "ctx" . "image" $v.image "path" "roleLabel.image") }}
imagePullPolicy: {{ $v.image.pullPolicy }}
command: {{ include "nova-common.scripts.command" (dict "ctx" . "script" "role-label.sh") }}
env:
  - name: REDIS_PORT
    value: {{ .Values.redis.port | quote }}
  - name: REDIS_PASSWORD_FILE
    value: {{ include "redis-sentinel.passwordFile" . }}
  - name: ROLE_LABEL_INTERVAL
    value: {{ $v.intervalSeconds | quote }}
  - name: ROLE_LABEL
    value: {{ include "nova-common.roleLabel" . }}
  - name: POD_NAME
    valueFrom:
      fieldRef:
        fieldPath: metadata.name
  - name: POD_NAMESPACE
    valueFrom:
      fieldRef:
        fieldPath: metadata.namespace
resources:
  {{- toYaml $v.resources | nindent 2 }}
securityContext:
  {{- include "nova-common.containerSecurityContext" (dict "ctx" . "override" .Values.containerSecurityContext) | nindent 2 }}
volumeMounts:
  {{- include "nova-common.scripts.volumeMount" . | nindent 2 }}
  {{- include "redis-sentinel.authMount" . | nindent 2 }}
  {{- include "nova-common.podLabel.tokenMount" . | nindent 2 }}
{{- end -}}

{{/* redis-sentinel.credentialSecrets: the cache tier's credential Secret, as nova-common credential specs (_credentials.tpl). */}}
{{- define "redis-sentinel.credentialSecrets" -}}
{{- $key := include "redis-sentinel.secretKey" . -}}
{{- $name := include "nova-common.redis.secretName" (dict "ctx" .) -}}
{{- list (dict "component" "auth" "name" $name "existing" (ne (include "nova-common.redis.existingSecret" .) "") "keys" (dict $key "random:32") "publish" (list $key)) | toYaml -}}
{{- end -}}
