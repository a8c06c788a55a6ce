{{/*
The environment of a service's container: only variables its program's code
reads (tests/contract/services-contract.yaml lists them). Besides its
database and Redis, a program names env groups in `uses`:
  app-env         APP_ENV
  migrations      RUN_MIGRATIONS (migrations.mode)
  database-pool   DATABASE_MAX_CONNECTIONS
  jwt-secret      JWT_SECRET
  jwt-key-pair    JWT_PRIVATE_KEY_FILE, JWT_PUBLIC_KEY_FILE (the JWT Secret, mounted)
  jwt-public-key  JWT_PUBLIC_KEY_FILE (its public half only)
  s3              S3_BUCKET_NAME, S3_REGION, CLOUDFRONT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
  clickhouse      CLICKHOUSE_URL, CLICKHOUSE_DB, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD
  kafka           KAFKA_BROKERS
  rtc             RTC_* (those set)
  apns            APNS_* (apns.enabled; the certificate mounted)
*/}}

{{/* Where files of Secrets are mounted. */}}
{{- define "nova-services.jwtDir" -}}/etc/nova/jwt{{- end -}}
{{- define "nova-services.apnsDir" -}}/etc/nova/apns{{- end -}}

{{/* A plain env var, left out when the value is empty. Args: dict "name" "ENV" "value" v */}}
{{- define "nova-services.valueEnv" -}}
{{- if not (kindIs "invalid" .value) }}{{ if ne (toString .value) "" }}
- name: {{ .name }}
  value: {{ .value | toString | quote }}
{{- end }}{{ end -}}
{{- end -}}

{{/* An env var from a chart-held credential, left out when it has none. Args: dict "ctx" $ "name" "ENV" "key" "turn-password" */}}
{{- define "nova-services.credentialEnv" -}}
{{- with get (include "nova-services.credentials" .ctx | fromYaml) .key }}
{{ include "nova-common.secretEnv" (dict "name" $.name "secret" .secret "key" $.key) }}
{{- end -}}
{{- end -}}

{{/*
nova-services.env: the env of a service's container. The passwords come
first: DATABASE_URL and REDIS_URL embed them through Kubernetes' $(VAR)
expansion, which only sees variables defined earlier in the list.
Args: dict "ctx" $ "name" "user-service" "svc" $svc ["migrate" true] (the migration Job's run)
*/}}
{{- define "nova-services.env" -}}
{{- $ctx := .ctx -}}
{{- $v := $ctx.Values -}}
{{- $svc := .svc -}}
{{- $migrate := .migrate | default false -}}
{{- $uses := dict "svc" $svc -}}
{{- with $svc.listen.hostEnv }}
- name: {{ . }}
  value: "0.0.0.0"
{{- end }}
{{- with $svc.listen.portEnv }}
- name: {{ . }}
  value: {{ $svc.port | quote }}
{{- end }}
- name: RUST_LOG
  value: {{ $v.rustLog | quote }}
{{- if include "nova-services.uses" (set $uses "group" "app-env") }}
- name: APP_ENV
  value: {{ ternary $v.migrations.appEnv $v.appEnv $migrate | quote }}
{{- end }}
{{- if include "nova-services.uses" (set $uses "group" "migrations") }}
- name: RUN_MIGRATIONS
  value: {{ or $migrate (eq $v.migrations.mode "onStart") | quote }}
{{- end }}
{{- with $svc.database }}
{{ include "nova-common.secretEnv" (dict "name" "DATABASE_PASSWORD" "secret" (include "nova-services.db.secretName" $ctx) "key" (include "nova-services.db.secretKey" $ctx)) }}
- name: DATABASE_URL
  value: {{ printf "postgres://%s:$(DATABASE_PASSWORD)@%s:%s/%s%s" (include "nova-services.db.user" $ctx) (include "nova-services.db.host" $ctx) (include "nova-services.db.port" $ctx) . (ternary (printf "?%s" $v.database.params) "" (ne $v.database.params "")) | quote }}
{{- if include "nova-services.uses" (set $uses "group" "database-pool") }}
- name: DATABASE_MAX_CONNECTIONS
  value: {{ $v.database.poolSize | quote }}
{{- end }}
{{- end }}
{{- if not (kindIs "invalid" $svc.redisDb) }}
{{ include "nova-common.secretEnv" (dict "name" "REDIS_PASSWORD" "secret" (include "nova-services.redis.secretName" $ctx) "key" (include "nova-services.redis.secretKey" $ctx)) }}
- name: REDIS_URL
  value: {{ printf "redis://:$(REDIS_PASSWORD)@%s:%s/%d" (include "nova-services.redis.host" $ctx) (include "nova-services.redis.port" $ctx) (int $svc.redisDb) | quote }}
{{- end }}
{{- if include "nova-services.uses" (set $uses "group" "jwt-secret") }}
{{ include "nova-common.secretEnv" (dict "name" "JWT_SECRET" "secret" ($v.jwt.existingSecret | default (include "nova-services.generatedSecretName" $ctx)) "key" "jwt-secret") }}
{{- end }}
{{- if include "nova-services.uses" (set $uses "group" "jwt-key-pair") }}
- name: JWT_PRIVATE_KEY_FILE
  value: {{ printf "%s/private.pem" (include "nova-services.jwtDir" $ctx) | quote }}
{{- end }}
{{- if or (include "nova-services.uses" (set $uses "group" "jwt-key-pair")) (include "nova-services.uses" (set $uses "group" "jwt-public-key")) }}
- name: JWT_PUBLIC_KEY_FILE
  value: {{ printf "%s/public.pem" (include "nova-services.jwtDir" $ctx) | quote }}
{{- end }}
{{- if include "nova-services.uses" (set $uses "group" "s3") }}
{{- include "nova-services.valueEnv" (dict "name" "S3_BUCKET_NAME" "value" $v.external.s3.bucket) }}
{{- include "nova-services.valueEnv" (dict "name" "S3_REGION" "value" $v.external.s3.region) }}
{{- include "nova-services.valueEnv" (dict "name" "CLOUDFRONT_URL" "value" $v.external.s3.cloudfrontUrl) }}
{{- include "nova-services.credentialEnv" (dict "ctx" $ctx "name" "AWS_ACCESS_KEY_ID" "key" "aws-access-key-id") }}
{{- include "nova-services.credentialEnv" (dict "ctx" $ctx "name" "AWS_SECRET_ACCESS_KEY" "key" "aws-secret-access-key") }}
{{- end }}
{{- if include "nova-services.uses" (set $uses "group" "clickhouse") }}
{{- include "nova-services.valueEnv" (dict "name" "CLICKHOUSE_URL" "value" $v.external.clickhouse.url) }}
{{- include "nova-services.valueEnv" (dict "name" "CLICKHOUSE_DB" "value" $v.external.clickhouse.database) }}
{{- include "nova-services.valueEnv" (dict "name" "CLICKHOUSE_USER" "value" $v.external.clickhouse.user) }}
{{- include "nova-services.credentialEnv" (dict "ctx" $ctx "name" "CLICKHOUSE_PASSWORD" "key" "clickhouse-password") }}
{{- end }}
{{- if include "nova-services.uses" (set $uses "group" "kafka") }}
{{- include "nova-services.valueEnv" (dict "name" "KAFKA_BROKERS" "value" $v.external.kafka.brokers) }}
{{- end }}
{{- if include "nova-services.uses" (set $uses "group" "rtc") }}
{{- include "nova-services.valueEnv" (dict "name" "RTC_STUN_URLS" "value" $v.rtc.stunUrls) }}
{{- include "nova-services.valueEnv" (dict "name" "RTC_TURN_URLS" "value" $v.rtc.turn.urls) }}
{{- include "nova-services.valueEnv" (dict "name" "RTC_TURN_USERNAME" "value" $v.rtc.turn.username) }}
{{- include "nova-services.credentialEnv" (dict "ctx" $ctx "name" "RTC_TURN_PASSWORD" "key" "turn-password") }}
{{- include "nova-services.valueEnv" (dict "name" "RTC_TURN_CREDENTIAL_TYPE" "value" $v.rtc.turn.credentialType) }}
{{- include "nova-services.valueEnv" (dict "name" "RTC_ICE_TTL_SECONDS" "value" $v.rtc.iceTtlSeconds) }}
{{- end }}
{{- if and $v.apns.enabled (include "nova-services.uses" (set $uses "group" "apns")) }}
- name: APNS_CERTIFICATE_PATH
  value: {{ printf "%s/certificate" (include "nova-services.apnsDir" $ctx) | quote }}
- name: APNS_BUNDLE_ID
  value: {{ $v.apns.bundleId | quote }}
- name: APNS_IS_PRODUCTION
  value: {{ $v.apns.production | quote }}
{{- include "nova-services.credentialEnv" (dict "ctx" $ctx "name" "APNS_CERTIFICATE_PASSPHRASE" "key" "apns-passphrase") }}
{{- end }}
{{- with $svc.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
nova-services.volumes: the volumes and mounts of a service's container for
the Secrets its program reads as files, as a YAML map {volumes, mounts}.
Args: dict "ctx" $ "svc" $svc
*/}}
{{- define "nova-services.fileVolumes" -}}
{{- $v := .ctx.Values -}}
{{- $uses := dict "svc" .svc -}}
{{- $volumes := list -}}
{{- $mounts := list -}}
{{- $items := list -}}
{{- if include "nova-services.uses" (set $uses "group" "jwt-key-pair") -}}
{{- $items = list "private.pem" "public.pem" -}}
{{- else if include "nova-services.uses" (set $uses "group" "jwt-public-key") -}}
{{- $items = list "public.pem" -}}
{{- end -}}
{{- with $items -}}
{{- $keys := list -}}
{{- range . }}{{ $keys = append $keys (dict "key" . "path" .) }}{{ end -}}
{{- $volumes = append $volumes (dict "name" "jwt" "secret" (dict "secretName" (include "nova-services.jwtSecretName" $.ctx) "items" $keys "defaultMode" 0440)) -}}
{{- $mounts = append $mounts (dict "name" "jwt" "mountPath" (include "nova-services.jwtDir" $.ctx) "readOnly" true) -}}
{{- end -}}
{{- if and $v.apns.enabled (include "nova-services.uses" (set $uses "group" "apns")) -}}
{{- $cert := get (include "nova-services.credentials" .ctx | fromYaml) "apns-certificate" | default dict -}}
{{- $volumes = append $volumes (dict "name" "apns" "secret" (dict "secretName" $cert.secret "items" (list (dict "key" "apns-certificate" "path" "certificate")) "defaultMode" 0440)) -}}
{{- $mounts = append $mounts (dict "name" "apns" "mountPath" (include "nova-services.apnsDir" .ctx) "readOnly" true) -}}
{{- end -}}
{{- toYaml (dict "volumes" $volumes "mounts" $mounts) -}}
{{- end -}}
