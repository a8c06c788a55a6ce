{{/*
Credential Secrets: who makes them (global.credentials.source).

Each chart describes the Secrets it needs once, as a list of specs (its
"<chart>.credentialSecrets" helper):
  - component: auth                 # the Secret's component label
    name: nova-redis-sentinel-auth  # the Secret
    existing: false                 # true: the name is the user's (an existingSecret value)
    keys: {password: "random:32"}   # key -> how it is made: random:<length>,
                                    #   rsa-private:<bits>, rsa-public:<key of the private key>
    publish: [password]             # keys the services tier reads from its own namespace
and these helpers turn the list into what the source asks for:
  chart     the render generates them (lookup keeps them across upgrades;
            needs the Helm SDK: helm, nova-installer, Flux). Keys the render
            cannot make (an RSA key pair) come from the credentials hook
            Job. A Secret named by an existingSecret value is the user's.
  hook      the render holds no credential. A pre-install/pre-upgrade hook
            Job (Argo CD runs it as a PreSync hook) creates each Secret that
            is missing, with fresh values, and never changes one that exists.
  external  the render holds no credential and creates none: the user's
            secret manager provides every Secret (optionally through the
            ExternalSecret objects of global.credentials.externalSecrets).
Secrets made by the render or the hook keep helm.sh/resource-policy: keep.
*/}}

{{/* nova-common.credentials.source: chart, hook or external. Arg: the chart context. */}}
{{- define "nova-common.credentials.source" -}}
{{- dig "credentials" "source" "" (.Values.global | default dict) | default "chart" -}}
{{- end -}}

{{/*
nova-common.credentials.plan: the specs split by who makes them, as YAML
{render: [...], hook: [...], external: [...]}. Fails on an inconsistent
externalSecrets setting, naming the value to change.
Args: dict "ctx" $ "specs" (list of specs)
*/}}
{{- define "nova-common.credentials.plan" -}}
{{- $source := include "nova-common.credentials.source" .ctx -}}
{{- $es := dig "credentials" "externalSecrets" dict (.ctx.Values.global | default dict) -}}
{{- if and $es.enabled (ne $source "external") -}}
{{- fail (printf "global.credentials.externalSecrets.enabled is true but global.credentials.source is %q: set global.credentials.source=external (the ExternalSecrets then provide every credential Secret), or disable externalSecrets" $source) -}}
{{- end -}}
{{- if and $es.enabled (not (dig "secretStoreRef" "name" "" $es)) -}}
{{- fail "global.credentials.externalSecrets.secretStoreRef.name is empty: name the SecretStore (or ClusterSecretStore, with secretStoreRef.kind) the ExternalSecrets read from" -}}
{{- end -}}
{{- $plan := dict "render" list "hook" list "external" list -}}
{{- range .specs -}}
{{- $renderable := true -}}
{{- range $key, $kind := .keys }}{{ if not (hasPrefix "random:" $kind) }}{{ $renderable = false }}{{ end }}{{ end -}}
{{- if eq $source "hook" -}}
{{- $_ := set $plan "hook" (append $plan.hook .) -}}
{{- else if eq $source "external" -}}
{{- if $es.enabled }}{{ $_ := set $plan "external" (append $plan.external .) }}{{ end -}}
{{- else if .existing -}}
{{- else if $renderable -}}
{{- $_ := set $plan "render" (append $plan.render .) -}}
{{- else -}}
{{- $_ := set $plan "hook" (append $plan.hook .) -}}
{{- end -}}
{{- end -}}
{{- toYaml $plan -}}
{{- end -}}

{{/*
nova-common.credentials.placed: each spec as the Secrets it stands for, one
per namespace, as a YAML list of {namespace, name, component, keys, from}:
the Secret in the chart's namespace, and with global.tierNamespaces on a
copy of the published keys in the services tier's namespace (keys "copy",
from = the namespace of the original).
Args: dict "ctx" $ "specs" (list of specs)
*/}}
{{- define "nova-common.credentials.placed" -}}
{{- $ns := include "nova-common.namespace" .ctx -}}
{{- $servicesNs := include "nova-common.chartNamespace" (dict "ctx" .ctx "chart" "nova-services") -}}
{{- $out := list -}}
{{- range .specs -}}
{{- $out = append $out (dict "namespace" $ns "name" .name "component" .component "keys" .keys "from" "") -}}
{{- if and .publish (ne $servicesNs $ns) -}}
{{- $copy := dict -}}
{{- range .publish }}{{ $_ := set $copy . "copy" }}{{ end -}}
{{- $out = append $out (dict "namespace" $servicesNs "name" .name "component" .component "keys" $copy "from" $ns) -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
nova-common.credentials.secrets: the Secrets the render generates (source
chart). Args: dict "ctx" $ "specs" (list of specs)
*/}}
{{- define "nova-common.credentials.secrets" -}}
{{- $plan := include "nova-common.credentials.plan" . | fromYaml -}}
{{- range $i, $spec := $plan.render }}
{{- if $i }}
---
{{- end }}
{{ include "nova-common.generatedSecret" (dict "ctx" $.ctx "spec" $spec) }}
{{- end }}
{{- end -}}

{{/*
nova-common.credentials.checksum: the checksum/secret pod annotation. With
source chart it covers the generated Secrets' values, so a Secret deleted
and generated anew rolls the pods; otherwise the render cannot see the
values, so it covers the Secret names and keys only, and a render is
byte-identical when its inputs are. global.credentials.revision is part of
it in every mode: change it to roll the pods after rotating a credential.
Args: dict "ctx" $ "specs" (list of specs)
*/}}
{{- define "nova-common.credentials.checksum" -}}
{{- $revision := dig "credentials" "revision" "" (.ctx.Values.global | default dict) | toString -}}
{{- $in := "" -}}
{{- if eq (include "nova-common.credentials.source" .ctx) "chart" -}}
{{- $in = include "nova-common.credentials.secrets" . -}}
{{- else -}}
{{- range .specs }}{{ $in = printf "%s%s %s\n" $in .name (keys .keys | sortAlpha | join ",") }}{{ end -}}
{{- end -}}
{{- if $revision }}{{ $in = printf "%srevision=%s\n" $in $revision }}{{ end -}}
{{- $in | sha256sum -}}
{{- end -}}

{{/*
nova-common.credentials.labels: the labels of a Secret an ExternalSecret
makes, as JSON: the release's labels but Helm's own (nova-installer cleanup
finds it; the operator, not Helm, manages it).
Args: dict "ctx" $ "component" "auth"
*/}}
{{- define "nova-common.credentials.labels" -}}
{{- omit (include "nova-common.labels" . | fromYaml) "helm.sh/chart" "app.kubernetes.io/managed-by" | toJson -}}
{{- end -}}

{{/*
nova-common.credentials.metadata: the metadata members of a Secret the hook
Job makes, as compact JSON ("labels":{...},"annotations":{...}): the
release's labels, helm.sh/resource-policy: keep, and Helm's ownership
marks (managed-by Helm, meta.helm.sh/release-*), which Helm checks before
it adopts an object: a release that later switches to source chart takes
the Secret over, with its values (lookup), instead of failing on an object
it did not make.
Args: dict "ctx" $ "component" "auth" "namespace" "ns"
*/}}
{{- define "nova-common.credentials.metadata" -}}
{{- $labels := omit (include "nova-common.labels" . | fromYaml) "helm.sh/chart" -}}
{{- $annotations := dict "helm.sh/resource-policy" "keep" "meta.helm.sh/release-name" .ctx.Release.Name "meta.helm.sh/release-namespace" .ctx.Release.Namespace -}}
{{- printf "\"labels\":%s,\"annotations\":%s" (toJson $labels) (toJson $annotations) -}}
{{- end -}}

{{/*
nova-common.credentials.hook: the hook Job that creates the missing
credential Secrets of nova-common.credentials.plan's "hook" list, with a
ServiceAccount whose Roles allow get, create and patch on Secrets of those
names only, in each namespace they live in. (Kubernetes authorizes a create
by name only through server-side apply, a PATCH: the script reads first and
applies only a Secret that is not there, so it never changes one.)
Renders nothing when the list is empty.
Args: dict "ctx" $ "specs" (list of specs) "image" (image values) "imagePath" "roleLabel.image" ["podSecurityContext" dict]
*/}}
{{- define "nova-common.credentials.hook" -}}
{{- $plan := include "nova-common.credentials.plan" . | fromYaml -}}
{{- if $plan.hook }}
{{- $ctx := .ctx }}
{{- $component := dict "ctx" $ctx "component" "credentials" }}
{{- $name := include "nova-common.componentName" $component }}
{{- $rbac := merge (dict "hook" "pre-install,pre-upgrade" "weight" -20) $component }}
{{- $placed := include "nova-common.credentials.placed" (dict "ctx" $ctx "specs" $plan.hook) | fromYamlArray }}
{{- $byNs := dict }}
{{- $lines := list }}
{{- range $placed }}
{{- $_ := set $byNs .namespace (append (get $byNs .namespace | default list) .name) }}
{{- $kinds := list }}
{{- range $key, $kind := .keys }}{{ $kinds = append $kinds (printf "%s=%s" $key $kind) }}{{ end }}
{{- $meta := include "nova-common.credentials.metadata" (dict "ctx" $ctx "component" .component) }}
{{- $lines = append $lines (printf "%s %s %s %s %s" .namespace .name (.from | default "-") $meta (join " " $kinds)) }}
{{- end }}
apiVersion: v1
kind: ServiceAccount
metadata:
  {{- include "nova-common.hookMetadata" $rbac | nindent 2 }}
automountServiceAccountToken: false
{{- range $ns, $names := $byNs }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  {{- include "nova-common.hookMetadata" (merge (dict "namespace" $ns) $rbac) | nindent 2 }}
rules:
  - apiGroups: [""]
    resources: ["secrets"]
    resourceNames: {{ $names | uniq | sortAlpha | toJson }}
    verbs: ["get", "create", "patch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  {{- include "nova-common.hookMetadata" (merge (dict "namespace" $ns) $rbac) | nindent 2 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ $name }}
subjects:
  - kind: ServiceAccount
    name: {{ $name }}
    namespace: {{ include "nova-common.namespace" $ctx }}
{{- end }}
---
apiVersion: batch/v1
kind: Job
metadata:
  {{- include "nova-common.hookMetadata" (merge (dict "hook" "pre-install,pre-upgrade" "weight" -15) $component) | nindent 2 }}
spec:
  backoffLimit: 2
  activeDeadlineSeconds: {{ include "nova-common.hookDeadline" $ctx }}
  template:
    metadata:
      labels:
        {{- include "nova-common.labels" $component | nindent 8 }}
    spec:
      {{- include "nova-common.sharedPodSpec" (merge (dict "oneShot" true "podSecurityContext" .podSecurityContext) $component) | nindent 6 }}
      restartPolicy: Never
      serviceAccountName: {{ $name }}
      automountServiceAccountToken: true
      enableServiceLinks: false
      containers:
        - name: credentials
          image: {{ include "nova-common.image" (dict "ctx" $ctx "image" .image "path" .imagePath) }}
          imagePullPolicy: {{ .image.pullPolicy | default "IfNotPresent" }}
          command: {{ include "nova-common.scripts.command" (dict "ctx" $ctx "script" "credentials.sh" "inline" true) }}
          env:
            - name: CREDENTIALS
              value: {{ join "\n" $lines | quote }}
          resources:
            {{- toYaml (dig "credentials" "hookResources" (dict "requests" (dict "cpu" "10m" "memory" "32Mi") "limits" (dict "cpu" "500m" "memory" "128Mi")) ($ctx.Values.global | default dict)) | nindent 12 }}
          securityContext:
            {{- include "nova-common.containerSecurityContext" (dict "ctx" $ctx "override" $ctx.Values.containerSecurityContext) | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        # Values are written here before they are sent: memory, never disk.
        - name: tmp
          emptyDir: {medium: Memory, sizeLimit: 1Mi}
{{- end }}
{{- end -}}

{{/*
nova-common.credentials.externalSecrets: with source external and
global.credentials.externalSecrets.enabled, one External Secrets Operator
ExternalSecret per credential Secret (and per namespace it lives in), each
key read from the property of the same name of the remote secret
<remoteKeyPrefix><Secret name>.
Args: dict "ctx" $ "specs" (list of specs)
*/}}
{{- define "nova-common.credentials.externalSecrets" -}}
{{- $plan := include "nova-common.credentials.plan" . | fromYaml -}}
{{- $es := dig "credentials" "externalSecrets" dict (.ctx.Values.global | default dict) -}}
{{- range $i, $p := include "nova-common.credentials.placed" (dict "ctx" .ctx "specs" $plan.external) | fromYamlArray }}
{{- if $i }}
---
{{- end }}
{{- $meta := dict "ctx" $.ctx "component" $p.component "name" $p.name "namespace" $p.namespace }}
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  {{- include "nova-common.metadata" $meta | nindent 2 }}
spec:
  refreshInterval: {{ $es.refreshInterval | default "1h" | quote }}
  secretStoreRef:
    name: {{ $es.secretStoreRef.name | quote }}
    kind: {{ $es.secretStoreRef.kind | default "SecretStore" }}
  target:
    name: {{ $p.name }}
    creationPolicy: Owner
    template:
      type: Opaque
      metadata:
        labels: {{ include "nova-common.credentials.labels" $meta }}
  data:
    {{- range $key, $_ := $p.keys }}
    - secretKey: {{ $key | quote }}
      remoteRef:
        key: {{ printf "%s%s" ($es.remoteKeyPrefix | default "") $p.name | quote }}
        property: {{ $key | quote }}
    {{- end }}
{{- end }}
{{- end -}}

{{/* nova-common.credentials.script: the text of credentials.sh (a chart ships it as files/credentials.sh.tpl). */}}
{{- define "nova-common.credentials.script" -}}
#!/bin/sh
# credentials.sh: create each credential Secret that is missing, with fresh
# values; never change one that exists (a new password would lock out every
# client that has the old one). One line of CREDENTIALS per Secret:
#   NAMESPACE NAME FROM METADATA KEY=KIND...
# FROM "-" or the namespace whose Secret of the same name the "copy" keys
# are copied from; METADATA the Secret's labels and annotations as compact
# JSON members ("labels":{...},"annotations":{...}); KIND one of
#   random:LENGTH       letters and digits
#   rsa-private:BITS    an RSA private key (PEM)
#   rsa-public:KEY      the public key (PEM) of the private key in KEY
#   copy                the value of the key in the Secret in FROM
# Environment (Kubernetes defaults; a test points them elsewhere):
#   KUBERNETES_API_URL  API server base URL (https://kubernetes.default.svc)
#   SERVICEACCOUNT_DIR  token and ca.crt ({{ include "nova-common.podLabel.serviceAccountDir" . }})
# Needs sh, curl, base64, tr, sed, head; openssl for rsa-* kinds.
set -eu
export LC_ALL=C

specs=${CREDENTIALS:?CREDENTIALS: one line per Secret}
api=${KUBERNETES_API_URL:-https://kubernetes.default.svc}
sa=${SERVICEACCOUNT_DIR:-{{ include "nova-common.podLabel.serviceAccountDir" . }}}

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
	echo "credentials: $1" >&2
	cat "$work/body" >&2 2>/dev/null || true
	exit 1
}

# request METHOD URL [FILE]: prints the HTTP status; the body is in $work/body.
# The token goes to curl on stdin (a config line), never on its command line.
request() {
	method=$1 url=$2
	shift 2
	if [ $# -gt 0 ]; then set -- --data-binary "@$1" --header 'Content-Type: application/apply-patch+yaml'; fi
	printf 'header = "Authorization: Bearer %s"\n' "$(cat "$sa/token")" |
		curl --config - --silent --show-error --max-time 10 \
			--retry 5 --retry-delay 1 --retry-connrefused \
			--cacert "$sa/ca.crt" --request "$method" "$@" \
			--output "$work/body" --write-out '%{http_code}' "$url"
}

# data: the members of the "data" object of the Secret read into $work/body
# ("key":"base64",...). The API server indents JSON for curl, so blanks and
# newlines go first; an escaped copy in an annotation does not match.
data() {
	tr -d ' \n\t' <"$work/body" | sed -n 's/.*"data":{\([^}]*\)}.*/\1/p'
}

# member KEY DATA: the base64 value of KEY in DATA (empty if absent).
member() {
	key=$(printf '%s' "$1" | sed 's/[.]/[.]/g')
	printf '%s\n' "$2" | tr ',' '\n' | sed -n "s/^\"$key\":\"\(.*\)\"\$/\1/p"
}

# random LENGTH: that many letters and digits from /dev/urandom.
random() {
	value="" tries=0
	while [ "${#value}" -lt "$1" ]; do
		tries=$((tries + 1))
		[ "$tries" -le 64 ] || fail "could not read enough random bytes from /dev/urandom"
		value="$value$(head -c 512 /dev/urandom | tr -dc 'A-Za-z0-9')"
	done
	printf '%s' "$value" | head -c "$1"
}

b64() { base64 | tr -d '\n'; }

# generate NAMESPACE NAME FROM KEY=KIND...: the base64 value of each key in
# $work/values/KEY.
generate() {
	ns=$1 name=$2 from=$3
	shift 3
	rm -rf "$work/values" && mkdir "$work/values"
	source_data=""
	if [ "$from" != "-" ]; then
		status=$(request GET "$api/api/v1/namespaces/$from/secrets/$name")
		[ "$status" = 200 ] || fail "reading Secret $from/$name to copy it to namespace $ns: HTTP $status"
		source_data=$(data)
	fi
	for pass in 1 2; do
		for item in "$@"; do
			key=${item%%=*} kind=${item#*=}
			case $pass/$kind in
			1/random:*) random "${kind#random:}" | b64 >"$work/values/$key" ;;
			1/rsa-private:*)
				openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${kind#rsa-private:}" -out "$work/key.pem" 2>"$work/body" ||
					fail "openssl could not make an RSA key for $ns/$name key $key"
				b64 <"$work/key.pem" >"$work/values/$key"
				;;
			2/rsa-public:*)
				base64 -d <"$work/values/${kind#rsa-public:}" >"$work/key.pem"
				openssl pkey -in "$work/key.pem" -pubout -out "$work/pub.pem" 2>"$work/body" ||
					fail "openssl could not derive the public key for $ns/$name key $key"
				b64 <"$work/pub.pem" >"$work/values/$key"
				;;
			1/copy)
				value=$(member "$key" "$source_data")
				[ -n "$value" ] || fail "Secret $from/$name has no key $key to copy to namespace $ns"
				printf '%s' "$value" >"$work/values/$key"
				;;
			1/* | 2/*) ;;
			esac
		done
	done
	rm -f "$work/key.pem" "$work/pub.pem"
}

# ensure NAMESPACE NAME FROM METADATA KEY=KIND...
ensure() {
	ns=$1 name=$2 from=$3 metadata=$4
	shift 4
	url="$api/api/v1/namespaces/$ns/secrets/$name"
	status=$(request GET "$url")
	case $status in
	200)
		present=$(data) missing=""
		for item in "$@"; do
			[ -n "$(member "${item%%=*}" "$present")" ] || missing="$missing ${item%%=*}"
		done
		[ -z "$missing" ] || fail "Secret $ns/$name exists without the keys$missing: add them, or delete the Secret so that new values are made (every client must then be updated)"
		echo "credentials: Secret $ns/$name exists; left as it is"
		return
		;;
	404) ;;
	*) fail "reading Secret $ns/$name: HTTP $status" ;;
	esac
	generate "$ns" "$name" "$from" "$@"
	members="" names=""
	for item in "$@"; do
		key=${item%%=*}
		members="$members${members:+,}\"$key\":\"$(cat "$work/values/$key")\""
		names="$names${names:+, }$key"
	done
	printf '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"%s","namespace":"%s",%s},"type":"Opaque","data":{%s}}' \
		"$name" "$ns" "$metadata" "$members" >"$work/secret.json"
	rm -rf "$work/values"
	# force=false: a Secret someone else created meanwhile conflicts (409)
	# instead of being overwritten.
	status=$(request PATCH "$url?fieldManager=nova-credentials&force=false" "$work/secret.json")
	rm -f "$work/secret.json"
	case $status in
	201) echo "credentials: created Secret $ns/$name ($names)" ;;
	409) echo "credentials: Secret $ns/$name was created meanwhile; left as it is" ;;
	200) echo "credentials: Secret $ns/$name appeared meanwhile and took the keys $names: check its clients" >&2 ;;
	*) fail "creating Secret $ns/$name: HTTP $status" ;;
	esac
}

lines=0
while read -r ns name from metadata kinds; do
	[ -n "$ns" ] || continue
	lines=$((lines + 1))
	# shellcheck disable=SC2086 # one word per KEY=KIND
	ensure "$ns" "$name" "$from" "$metadata" $kinds
done <<EOF
$specs
EOF
[ "$lines" -gt 0 ] || fail "CREDENTIALS names no Secret"
{{- end -}}
