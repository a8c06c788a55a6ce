{{/* Keys of the credentials Secret (generated or existing). */}}
{{- define "postgres-ha.secretKeys" -}}
{{- list "superuser-password" "replication-password" (include "nova-common.postgres.appPasswordKey" .) "rest-password" | toYaml -}}
{{- end -}}

{{/* postgres-ha.credentialSecrets: the database tier's credential Secret, as nova-common credential specs (_credentials.tpl). */}}
{{- define "postgres-ha.credentialSecrets" -}}
{{- $keys := dict -}}
{{- range include "postgres-ha.secretKeys" . | fromYamlArray }}{{ $_ := set $keys . "random:32" }}{{ end -}}
{{- list (dict "component" "auth" "name" (include "postgres-ha.secretName" .) "existing" (ne (include "nova-common.postgres.existingSecret" .) "") "keys" $keys "publish" (list (include "nova-common.postgres.appPasswordKey" .))) | toYaml -}}
{{- end -}}

{{/* Name of the credentials Secret: the same helper the services tier uses. */}}
{{- define "postgres-ha.secretName" -}}
{{- include "nova-common.postgres.secretName" (dict "ctx" .) -}}
{{- end -}}

{{/* Patroni's scope (cluster name, DCS key prefix). */}}
{{- define "postgres-ha.scope" -}}
{{- include "nova-common.fullname" . -}}
{{- end -}}

{{/*
Timing checks that JSON schema cannot express (it cannot compare two
fields): Patroni needs loop_wait + 2*retry_timeout <= ttl, or a leader that
retries DCS calls loses its lock while it is still healthy.
*/}}
{{- define "postgres-ha.validate" -}}
{{- $p := .Values.patroni -}}
{{- $need := add $p.loopWait (mul 2 $p.retryTimeout) -}}
{{- if gt (int $need) (int $p.ttl) -}}
{{- fail (printf "patroni.loopWait + 2*patroni.retryTimeout (%d + 2*%d = %d) must be <= patroni.ttl (%d)" (int $p.loopWait) (int $p.retryTimeout) (int $need) (int $p.ttl)) -}}
{{- end -}}
{{- end -}}

{{/* etcd: true when the chart runs its own members (no external endpoints). */}}
{{- define "postgres-ha.etcd.internal" -}}
{{- if not .Values.etcd.external.endpoints }}true{{ end -}}
{{- end -}}

{{/*
etcd members as a YAML list of {name, host}: the one source of the initial
cluster, the peer URLs and Patroni's DCS hosts. Built from etcd.replicas.
*/}}
{{- define "postgres-ha.etcd.members" -}}
{{- $set := include "nova-common.componentName" (dict "ctx" . "component" "etcd") -}}
{{- $domain := include "nova-common.clusterDomain" . -}}
{{- $ns := include "nova-common.namespace" . -}}
{{- range $i := until (int .Values.etcd.replicas) }}
- name: {{ printf "%s-%d" $set $i }}
  host: {{ printf "%s-%d.%s.%s.svc.%s" $set $i $set $ns $domain }}
{{- end }}
{{- end -}}

{{/* etcd's initial cluster: name=http://host:peerPort for every member. */}}
{{- define "postgres-ha.etcd.initialCluster" -}}
{{- $peers := list -}}
{{- range include "postgres-ha.etcd.members" . | fromYamlArray -}}
{{- $peers = append $peers (printf "%s=http://%s:%d" .name .host (int $.Values.etcd.peerPort)) -}}
{{- end -}}
{{- join "," $peers -}}
{{- end -}}

{{/* Patroni's etcd3 hosts (host:clientPort), or etcd.external.endpoints. */}}
{{- define "postgres-ha.dcsHosts" -}}
{{- if include "postgres-ha.etcd.internal" . -}}
{{- $hosts := list -}}
{{- range include "postgres-ha.etcd.members" . | fromYamlArray -}}
{{- $hosts = append $hosts (printf "%s:%d" .host (int $.Values.etcd.clientPort)) -}}
{{- end -}}
{{- toYaml $hosts -}}
{{- else -}}
{{- toYaml .Values.etcd.external.endpoints -}}
{{- end -}}
{{- end -}}

{{/*
max_slot_wal_keep_size: patroni.maxSlotWalKeepSize, or a quarter of the data
volume, so that a replica that stays away cannot fill the primary's disk with
retained WAL (its slot is invalidated instead and it re-clones).
*/}}
{{- define "postgres-ha.maxSlotWalKeepSize" -}}
{{- if .Values.patroni.maxSlotWalKeepSize -}}
{{- .Values.patroni.maxSlotWalKeepSize -}}
{{- else -}}
{{- $bytes := include "nova-common.quantity.bytes" (dict "value" .Values.persistence.size "field" "persistence.size") | int64 -}}
{{- printf "%dMB" (div $bytes (mul 4 1048576)) -}}
{{- end -}}
{{- end -}}

{{/*
Probe timing derived from Patroni's own timing (as Crunchy PGO does), never
typed twice: probes run every loop_wait; liveness gives up after about ttl
(when the leader key of a hung leader expires anyway); readiness after about
retry_timeout; startup allows 60 s before liveness takes over.
Args: dict "ctx" $ "probe" "liveness"|"readiness"|"startup"
*/}}
{{- define "postgres-ha.probe" -}}
{{- $p := .ctx.Values.patroni -}}
{{- $thresholds := dict "liveness" (div $p.ttl $p.loopWait) "readiness" (div $p.retryTimeout $p.loopWait) "startup" (div 60 $p.loopWait) -}}
httpGet:
  path: /{{ eq .probe "startup" | ternary "liveness" .probe }}
  port: patroni
periodSeconds: {{ $p.loopWait }}
timeoutSeconds: {{ max 1 (div $p.loopWait 2) }}
failureThreshold: {{ max 1 (get $thresholds .probe) }}
{{- end -}}

{{/* Env of containers that talk to the primary as superuser (hook Job, helm test). */}}
{{- define "postgres-ha.clientEnv" -}}
- name: PGPORT
  value: {{ include "nova-common.postgres.port" . | quote }}
- name: PGUSER
  value: {{ .Values.auth.superuserUsername | quote }}
{{- include "nova-common.secretEnv" (dict "name" "PGPASSWORD" "secret" (include "postgres-ha.secretName" .) "key" "superuser-password") | nindent 0 }}
- name: PGCONNECT_TIMEOUT
  value: "5"
{{- include "nova-common.secretEnv" (dict "name" "NOVA_APP_PASSWORD" "secret" (include "postgres-ha.secretName" .) "key" (include "nova-common.postgres.appPasswordKey" .)) | nindent 0 }}
- name: PSQL
  value: {{ printf "%s/psql" .Values.postgresql.binDir | quote }}
{{- end -}}

{{/* Pod spec of a one-shot client pod (hook Job, helm test). Args: dict "ctx" $ "component" "ensure" "script" "ensure.sh" "env" (yaml) */}}
{{- define "postgres-ha.clientPod" -}}
{{- $ctx := .ctx -}}
restartPolicy: Never
automountServiceAccountToken: false
enableServiceLinks: false
{{ include "nova-common.sharedPodSpec" (dict "ctx" $ctx "component" .component "oneShot" true) }}
containers:
  - name: {{ .component }}
    image: {{ include "nova-common.image" (dict "ctx" $ctx "image" $ctx.Values.image "path" "image") }}
    imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
    command: {{ include "nova-common.scripts.command" (dict "ctx" $ctx "script" .script) }}
    env:
      {{- include "postgres-ha.clientEnv" $ctx | nindent 6 }}
      {{- .env | nindent 6 }}
    resources:
      {{- toYaml $ctx.Values.hooks.resources | nindent 6 }}
    securityContext:
      {{- include "nova-common.containerSecurityContext" (dict "ctx" $ctx "override" $ctx.Values.containerSecurityContext) | nindent 6 }}
    volumeMounts:
      {{- include "nova-common.scripts.volumeMount" $ctx | nindent 6 }}
      - name: tmp
        mountPath: /tmp
volumes:
  {{- include "nova-common.scripts.volume" $ctx | nindent 2 }}
  - name: tmp
    emptyDir: {}
{{- end -}}

{{/* Env of the ensure Job (on top of postgres-ha.clientEnv). */}}
{{- define "postgres-ha.ensureEnv" -}}
- name: PGHOST
  value: {{ include "nova-common.postgres.primaryHost" (dict "ctx" .) | quote }}
{{- include "nova-common.secretEnv" (dict "name" "NOVA_REPLICATION_PASSWORD" "secret" (include "postgres-ha.secretName" .) "key" "replication-password") | nindent 0 }}
- name: WAIT_SECONDS
  value: {{ sub (include "nova-common.hookDeadline" . | int) 30 | quote }}
{{- end -}}

{{/* Env of the helm test pod (on top of postgres-ha.clientEnv). */}}
{{- define "postgres-ha.testEnv" -}}
- name: PRIMARY_HOST
  value: {{ include "nova-common.postgres.primaryHost" (dict "ctx" .) | quote }}
- name: REPLICAS_HOST
  value: {{ include "nova-common.postgres.replicasHost" (dict "ctx" .) | quote }}
- name: REPLICAS
  value: {{ .Values.replicas | quote }}
- name: APP_ROLE
  value: {{ include "nova-common.postgres.appRole" . | quote }}
- name: DATABASES
  value: {{ join " " (include "postgres-ha.databaseNames" . | fromYamlArray) | quote }}
{{- end -}}

{{/* Names of the databases of the databases value, as a YAML list. */}}
{{- define "postgres-ha.databaseNames" -}}
{{- $names := list -}}
{{- range .Values.databases }}{{ $names = append $names .name }}{{ end -}}
{{- toYaml $names -}}
{{- end -}}
