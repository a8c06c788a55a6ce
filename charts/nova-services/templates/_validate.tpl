{{/*
nova-services.validate: rules the JSON schema cannot express, with messages
that name the values. Arg: the chart context.
*/}}
{{- define "nova-services.validate" -}}
{{- $enabled := include "nova-services.catalogue" . | fromYaml -}}
{{- $claimed := dict -}}
{{- $databases := dict -}}
{{- range $name, $svc := $enabled -}}
{{- if not (hasKey ($.Values.programs | default dict) $svc.program) -}}
{{- if not $svc.image.repository -}}
{{- fail (printf "services.%s.program: %q is not a program of the chart (programs: %s); name one, or give the service its own image, listen and probes" $name $svc.program (keys $.Values.programs | sortAlpha | join ", ")) -}}
{{- end -}}
{{- end -}}
{{- if not $svc.image.repository -}}
{{- fail (printf "services.%s.image.repository: no image is published for %s (program %s: the Nova CI builds only user-service, messaging-service and search-service); build one and set services.%s.image.repository and image.tag, or leave services.%s.enabled false" $name $name $svc.program $name $name) -}}
{{- end -}}
{{- if and $svc.hpa.enabled (gt (int $svc.hpa.minReplicas) (int $svc.hpa.maxReplicas)) -}}
{{- fail (printf "services.%s.hpa: minReplicas (%d) is above maxReplicas (%d)" $name (int $svc.hpa.minReplicas) (int $svc.hpa.maxReplicas)) -}}
{{- end -}}
{{- range $kind, $p := $svc.probes -}}
{{- if and (ne ($p.type | default "http") "tcp") (not $p.path) -}}
{{- fail (printf "services.%s.probes.%s: an http probe needs a path (or type: tcp)" $name $kind) -}}
{{- end -}}
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
{{- with $svc.database -}}
{{- $_ := set $databases . (append (get $databases . | default list) $name) -}}
{{- end -}}
{{- end -}}
{{- range $name, $svc := $enabled -}}
{{- if and $svc.ownDatabase $svc.database -}}
{{- range get $databases $svc.database -}}
{{- $other := get $enabled . -}}
{{- if ne $other.program $svc.program -}}
{{- fail (printf "services.%s.database: %s runs %s, which migrates %s at every start and needs it to itself; services.%s (%s) uses it too. Give one of them another database" $name $name $svc.program $svc.database . $other.program) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and (eq .Values.migrations.mode "onStart") (eq .Values.appEnv "production") (include "nova-services.anyUses" (dict "ctx" . "group" "migrations")) -}}
{{- fail "migrations.mode: onStart needs appEnv other than production (user-service migrates at start only then); use mode job in production" -}}
{{- end -}}
{{- if and .Values.apns.enabled (include "nova-services.anyUses" (dict "ctx" . "group" "apns")) -}}
{{- if not .Values.apns.bundleId -}}
{{- fail "apns.bundleId: messaging-service refuses to start with an APNs certificate and no APNS_BUNDLE_ID; set apns.bundleId (or apns.enabled false)" -}}
{{- end -}}
{{- if not (or .Values.apns.existingSecret .Values.apns.certificate) -}}
{{- fail "apns: enabled without a certificate; set apns.existingSecret (keys apns-certificate, apns-passphrase) or apns.certificate (base64)" -}}
{{- end -}}
{{- end -}}
{{- with include "nova-services.missingExternal" . | fromYamlArray -}}
{{- if $.Values.external.required -}}
{{- fail (printf "external: user-service exits at start without these; set them (values/examples/external-endpoints.yaml is a template): %s" (join "; " .)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
