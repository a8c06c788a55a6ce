{{/*
nova-common.image: "registry/repository:tag" (or "@digest"). global.imageRegistry
overrides the image's own registry. An empty tag or "latest" fails the render.
Args: dict "ctx" $ "image" .Values.image "path" "image"  (path names the value in messages)
*/}}
{{- define "nova-common.image" -}}
{{- $img := .image -}}
{{- $registry := (.ctx.Values.global | default dict).imageRegistry | default $img.registry -}}
{{- $ref := $img.repository -}}
{{- if $registry }}{{ $ref = printf "%s/%s" $registry $img.repository }}{{ end -}}
{{- if $img.digest -}}
{{- printf "%s@%s" $ref $img.digest -}}
{{- else -}}
{{- $tag := toString ($img.tag | default "") -}}
{{- if or (eq $tag "") (eq $tag "latest") -}}
{{- fail (printf "%s.tag: pin an image version (got %q; \"latest\" and empty tags are not allowed)" .path $tag) -}}
{{- end -}}
{{- printf "%s:%s" $ref $tag -}}
{{- end -}}
{{- end -}}

{{/*
nova-common.imagePullSecrets: global.imagePullSecrets plus the chart's own, as a pod spec field.
Arg: the chart context.
*/}}
{{- define "nova-common.imagePullSecrets" -}}
{{- $names := list -}}
{{- range concat ((.Values.global | default dict).imagePullSecrets | default list) (.Values.imagePullSecrets | default list) -}}
{{- if kindIs "string" . }}{{ $names = append $names . }}{{ else }}{{ $names = append $names .name }}{{ end -}}
{{- end -}}
{{- with ($names | uniq) -}}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}
