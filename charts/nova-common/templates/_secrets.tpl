{{/*
Generated credentials that survive upgrades.

nova-common.secretValue: the base64 value of one key of a generated Secret.
- the Secret exists in the cluster and has the key: its value is reused;
- the Secret exists but the key is missing or empty: the render fails with a
  message (never a silent new password that would lock clients out);
- no Secret: a new random value.
(If the Secret cannot be read at all, helm's lookup itself fails the render.)
A value is worked out once per render and kept in the chart's template
context, so the Secret and the checksum annotations of the pods that use it
see the same bytes: the first upgrade after an install rolls nothing.
Args: dict "ctx" $ "secret" "name" "key" "password" ["length" 32]
*/}}
{{- define "nova-common.secretValue" -}}
{{- $ns := include "nova-common.namespace" .ctx -}}
{{- if not (hasKey .ctx "novaCredentials") -}}
{{- $_ := set .ctx "novaCredentials" dict -}}
{{- end -}}
{{- $memo := get .ctx "novaCredentials" -}}
{{- $id := printf "%s/%s/%s" $ns .secret .key -}}
{{- if not (hasKey $memo $id) -}}
{{- $existing := lookup "v1" "Secret" $ns .secret -}}
{{- if $existing -}}
{{- $value := get ($existing.data | default dict) .key -}}
{{- if not $value -}}
{{- fail (printf "Secret %s/%s exists but has no value for key %q, so its generated credential cannot be reused. Restore the key, or delete the Secret to generate a new credential (every client must then be updated), or point the chart at an existingSecret." $ns .secret .key) -}}
{{- end -}}
{{- $_ := set $memo $id $value -}}
{{- else -}}
{{- $_ := set $memo $id (randAlphaNum (int (.length | default 32)) | b64enc) -}}
{{- end -}}
{{- end -}}
{{- get $memo $id -}}
{{- end -}}

{{/*
nova-common.generatedSecret: a Secret whose keys are generated once and kept
across upgrades and uninstalls (helm.sh/resource-policy: keep), from a
credential spec (see _credentials.tpl) whose keys are all random:<length>.
With global.tierNamespaces on, the keys listed in "publish" are also written,
from the same values, to a Secret of the same name in the services tier's
namespace: pods can read Secrets of their own namespace only.
Args: dict "ctx" $ "spec" (a credential spec)
*/}}
{{- define "nova-common.generatedSecret" -}}
{{- $spec := .spec -}}
{{- $data := dict -}}
{{- range $key, $kind := $spec.keys }}
{{- $_ := set $data $key (include "nova-common.secretValue" (dict "ctx" $.ctx "secret" $spec.name "key" $key "length" (trimPrefix "random:" $kind | int))) -}}
{{- end -}}
{{- $meta := dict "ctx" .ctx "component" $spec.component "name" $spec.name "annotations" (dict "helm.sh/resource-policy" "keep") -}}
{{- include "nova-common.secretDocument" (dict "meta" $meta "data" $data) }}
{{- range (include "nova-common.credentials.placed" (dict "ctx" .ctx "specs" (list $spec)) | fromYamlArray | rest) }}
{{- $published := dict -}}
{{- range $key, $_ := .keys }}{{ $_ := set $published $key (get $data $key) }}{{ end }}
---
{{ include "nova-common.secretDocument" (dict "meta" (merge (dict "namespace" .namespace) $meta) "data" $published) }}
{{- end }}
{{- end -}}

{{/* nova-common.secretDocument: a Secret. Args: dict "meta" (args of nova-common.metadata) "data" (key -> base64) */}}
{{- define "nova-common.secretDocument" -}}
apiVersion: v1
kind: Secret
metadata:
  {{- include "nova-common.metadata" .meta | nindent 2 }}
type: Opaque
data:
  {{- range $k, $v := .data }}
  {{ $k }}: {{ $v | quote }}
  {{- end }}
{{- end -}}

{{/*
nova-common.secretEnv: an env var read from one key of a Secret.
Args: dict "name" "ENV" "secret" "name-of-secret" "key" "password"
*/}}
{{- define "nova-common.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end -}}
