{{/* Secret names. Arg: the chart context. */}}
{{- define "nova-services.generatedSecretName" -}}
{{- include "nova-common.componentName" (dict "ctx" . "component" "generated") -}}
{{- end -}}
{{- define "nova-services.externalSecretName" -}}
{{- include "nova-common.componentName" (dict "ctx" . "component" "external") -}}
{{- end -}}
{{- define "nova-services.jwtSecretName" -}}
{{- .Values.jwt.existingSecret | default (include "nova-common.componentName" (dict "ctx" . "component" "jwt")) -}}
{{- end -}}

{{/*
nova-services.credentials: the chart-held credential keys as a YAML map
key -> {secret, value}: value (base64) when the chart's Secret
<fullname>-external holds it, secret = the Secret to read it from. Keys
whose group no enabled service uses, or that have no value, are left out.
Arg: the chart context.
*/}}
{{- define "nova-services.credentials" -}}
{{- $v := .Values -}}
{{- $ext := include "nova-services.externalSecretName" . -}}
{{- $out := dict -}}
{{- $add := dict -}}
{{- if include "nova-services.anyUses" (dict "ctx" . "group" "clickhouse") -}}
{{- $_ := set $add "clickhouse-password" (list $v.external.clickhouse.existingSecret $v.external.clickhouse.password) -}}
{{- end -}}
{{- if include "nova-services.anyUses" (dict "ctx" . "group" "s3") -}}
{{- $_ := set $add "aws-access-key-id" (list $v.external.s3.existingSecret $v.external.s3.accessKeyId) -}}
{{- $_ := set $add "aws-secret-access-key" (list $v.external.s3.existingSecret $v.external.s3.secretAccessKey) -}}
{{- end -}}
{{- if include "nova-services.anyUses" (dict "ctx" . "group" "rtc") -}}
{{- $_ := set $add "turn-password" (list $v.rtc.turn.existingSecret $v.rtc.turn.password) -}}
{{- end -}}
{{- if and $v.apns.enabled (include "nova-services.anyUses" (dict "ctx" . "group" "apns")) -}}
{{- $_ := set $add "apns-certificate" (list $v.apns.existingSecret "") -}}
{{- $_ := set $add "apns-passphrase" (list $v.apns.existingSecret $v.apns.passphrase) -}}
{{- end -}}
{{- range $key, $src := $add -}}
{{- $existing := index $src 0 -}}
{{- $value := toString (index $src 1) -}}
{{- if $existing -}}
{{- $_ := set $out $key (dict "secret" $existing) -}}
{{- else if and (eq $key "apns-certificate") $v.apns.certificate -}}
{{- $_ := set $out $key (dict "secret" $ext "value" $v.apns.certificate) -}}
{{- else if $value -}}
{{- $_ := set $out $key (dict "secret" $ext "value" ($value | b64enc)) -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
nova-services.missingExternal: the external values an enabled service
needs and nobody set, as a YAML list of messages. Arg: the chart context.
*/}}
{{- define "nova-services.missingExternal" -}}
{{- $e := .Values.external -}}
{{- $creds := include "nova-services.credentials" . | fromYaml -}}
{{- $out := list -}}
{{- if include "nova-services.anyUses" (dict "ctx" . "group" "kafka") -}}
{{- if not $e.kafka.brokers }}{{ $out = append $out "external.kafka.brokers (KAFKA_BROKERS)" }}{{ end -}}
{{- end -}}
{{- if include "nova-services.anyUses" (dict "ctx" . "group" "clickhouse") -}}
{{- if not $e.clickhouse.url }}{{ $out = append $out "external.clickhouse.url (CLICKHOUSE_URL)" }}{{ end -}}
{{- end -}}
{{- if include "nova-services.anyUses" (dict "ctx" . "group" "s3") -}}
{{- range $field, $env := dict "bucket" "S3_BUCKET_NAME" "region" "S3_REGION" "cloudfrontUrl" "CLOUDFRONT_URL" -}}
{{- if not (get $e.s3 $field) }}{{ $out = append $out (printf "external.s3.%s (%s)" $field $env) }}{{ end -}}
{{- end -}}
{{- range $key, $field := dict "aws-access-key-id" "accessKeyId" "aws-secret-access-key" "secretAccessKey" -}}
{{- if not (hasKey $creds $key) }}{{ $out = append $out (printf "external.s3.%s or external.s3.existingSecret (%s)" $field ($key | upper | replace "-" "_")) }}{{ end -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
nova-services.secretChecksum: changes when what the service reads from
Secrets changes: every Secret and key it reads, with the value of those the
chart holds (generated values never change, so their names suffice), and
global.credentials.revision.
Args: dict "ctx" $ "name" "user-service" "svc" $svc
*/}}
{{- define "nova-services.secretChecksum" -}}
{{- $values := dict -}}
{{- range $key, $c := include "nova-services.credentials" .ctx | fromYaml -}}
{{- $_ := set $values (printf "%s/%s" $c.secret $key) ($c.value | default "") -}}
{{- end -}}
{{- $refs := list -}}
{{- range include "nova-services.env" . | fromYamlArray -}}
{{- with .valueFrom }}{{ with .secretKeyRef -}}
{{- $id := printf "%s/%s" .name .key -}}
{{- $refs = append $refs (printf "%s=%s" $id (get $values $id | default "")) -}}
{{- end }}{{ end -}}
{{- end -}}
{{- range (include "nova-services.fileVolumes" . | fromYaml).volumes -}}
{{- $secret := .secret.secretName -}}
{{- range .secret.items -}}
{{- $id := printf "%s/%s" $secret .key -}}
{{- $refs = append $refs (printf "%s=%s" $id (get $values $id | default "")) -}}
{{- end -}}
{{- end -}}
{{- with dig "credentials" "revision" "" (.ctx.Values.global | default dict) | toString }}{{ $refs = append $refs (printf "revision=%s" .) }}{{ end -}}
{{- join "\n" $refs | sha256sum -}}
{{- end -}}

{{/*
nova-services.credentialSecrets: the Secrets the services tier itself needs,
as nova-common credential specs (_credentials.tpl): JWT_SECRET (64
characters, <fullname>-generated) and the RS256 key pair (<fullname>-jwt),
or both in jwt.existingSecret. Only what some enabled service reads.
Arg: the chart context.
*/}}
{{- define "nova-services.credentialSecrets" -}}
{{- $secret := include "nova-services.anyUses" (dict "ctx" . "group" "jwt-secret") -}}
{{- $pair := or (include "nova-services.anyUses" (dict "ctx" . "group" "jwt-key-pair")) (include "nova-services.anyUses" (dict "ctx" . "group" "jwt-public-key")) -}}
{{- $pairKeys := dict "private.pem" "rsa-private:2048" "public.pem" "rsa-public:private.pem" -}}
{{- $out := list -}}
{{- if .Values.jwt.existingSecret -}}
{{- $keys := dict -}}
{{- if $secret }}{{ $_ := set $keys "jwt-secret" "random:64" }}{{ end -}}
{{- if $pair }}{{ $keys = merge $keys $pairKeys }}{{ end -}}
{{- if $keys }}{{ $out = append $out (dict "component" "jwt" "name" .Values.jwt.existingSecret "existing" true "keys" $keys) }}{{ end -}}
{{- else -}}
{{- if $secret }}{{ $out = append $out (dict "component" "generated" "name" (include "nova-services.generatedSecretName" .) "existing" false "keys" (dict "jwt-secret" "random:64")) }}{{ end -}}
{{- if $pair }}{{ $out = append $out (dict "component" "jwt" "name" (include "nova-services.jwtSecretName" .) "existing" false "keys" $pairKeys) }}{{ end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}
