#!/bin/sh
# Hook Job (pre-install, pre-upgrade): create the Secret with the JWT RS256
# key pair (keys private.pem and public.pem) when it does not exist. A Secret
# that exists is never changed: a new pair would invalidate every token
# issued. Sprig cannot derive a public key, so the pair is made here.
#   SECRET_NAME      the Secret
#   SECRET_METADATA  its labels and annotations, as the JSON members
#                    "labels":{...},"annotations":{...}
#   KEY_BITS         RSA modulus size (default 2048)
#   KUBERNETES_API_URL  API server base URL (https://kubernetes.default.svc)
#   SERVICEACCOUNT_DIR  token, ca.crt, namespace (/var/run/secrets/kubernetes.io/serviceaccount)
#   POD_NAMESPACE    where the Secret lives (default: the service account's namespace)
# Needs sh, openssl, curl, base64 and grep.
set -eu

name=${SECRET_NAME:?SECRET_NAME: the Secret to create}
bits=${KEY_BITS:-2048}
metadata=${SECRET_METADATA:-}
[ -n "$metadata" ] || metadata='"labels":{}'
api=${KUBERNETES_API_URL:-https://kubernetes.default.svc}
sa=${SERVICEACCOUNT_DIR:-/var/run/secrets/kubernetes.io/serviceaccount}
namespace=${POD_NAMESPACE:-$(cat "$sa/namespace")}
secrets="$api/api/v1/namespaces/$namespace/secrets"

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# request METHOD URL [FILE]: prints the HTTP status; the body is in $work/body.
# The token goes to curl on stdin (a config line), never on its command line.
request() {
	method=$1 url=$2
	shift 2
	if [ $# -gt 0 ]; then set -- --data-binary "@$1"; fi
	printf 'header = "Authorization: Bearer %s"\n' "$(cat "$sa/token")" |
		curl --config - --silent --show-error --max-time 10 \
			--retry 5 --retry-delay 1 --retry-connrefused \
			--cacert "$sa/ca.crt" --request "$method" \
			--header 'Content-Type: application/json' "$@" \
			--output "$work/body" --write-out '%{http_code}' "$url"
}

fail() {
	echo "jwt-keys: $1" >&2
	cat "$work/body" >&2 2>/dev/null || true
	exit 1
}

status=$(request GET "$secrets/$name")
case $status in
200)
	if grep -q '"private.pem"' "$work/body" && grep -q '"public.pem"' "$work/body"; then
		echo "jwt-keys: Secret $namespace/$name exists; left as it is"
		exit 0
	fi
	echo "jwt-keys: Secret $namespace/$name exists without the keys private.pem and public.pem: add them, or delete the Secret so that a new pair is made (tokens already issued become invalid)" >&2
	exit 1
	;;
404) ;;
*) fail "reading Secret $namespace/$name: HTTP $status" ;;
esac

openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$bits" -out "$work/private.pem" 2>"$work/body" ||
	fail "openssl could not make an RSA key"
openssl pkey -in "$work/private.pem" -pubout -out "$work/public.pem" 2>"$work/body" ||
	fail "openssl could not derive the public key"

b64() { base64 <"$1" | tr -d '\n'; }
printf '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"%s",%s},"type":"Opaque","data":{"private.pem":"%s","public.pem":"%s"}}' \
	"$name" "$metadata" "$(b64 "$work/private.pem")" "$(b64 "$work/public.pem")" >"$work/secret.json"

status=$(request POST "$secrets" "$work/secret.json")
case $status in
201) echo "jwt-keys: created Secret $namespace/$name (RSA $bits bits: private.pem, public.pem)" ;;
409) echo "jwt-keys: Secret $namespace/$name was created meanwhile; left as it is" ;;
*) fail "creating Secret $namespace/$name: HTTP $status" ;;
esac
