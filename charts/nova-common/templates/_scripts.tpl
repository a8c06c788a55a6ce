{{/*
The suite's one convention for scripts. A chart keeps its scripts (shell,
SQL) under files/, never inline in a template, and renders them with
nova-common.scripts.configMap into one ConfigMap, "<release>-<chart>-scripts",
that pods mount read-only at /scripts (nova-common.scripts.volume and
.volumeMount). Two exceptions, both for a reason:
- a pre-install or pre-upgrade hook Job's pod runs before that ConfigMap
  exists (or while it still holds the previous release's files), so it
  gets its script inline in its command (nova-common.scripts.command with
  inline);
- a program whose configuration names its hooks by path (Patroni's
  callbacks) gets the same files projected beside that configuration.
*/}}

{{/* nova-common.scripts.dir: where pods mount the scripts ConfigMap. */}}
{{- define "nova-common.scripts.dir" -}}
/scripts
{{- end -}}

{{/*
nova-common.scripts.configMap: the chart's scripts ConfigMap, one key per
file under files/, by its base name. A file named *.tpl is rendered with the
chart's values (tpl) and loses the suffix ("ensure.sql.tpl" is "ensure.sql");
every other file is copied as it is.
Arg: the chart context.
*/}}
{{- define "nova-common.scripts.configMap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  {{- include "nova-common.metadata" (dict "ctx" . "component" "scripts") | nindent 2 }}
data:
  {{- range $path, $_ := .Files.Glob "files/*" }}
  {{- if hasSuffix ".tpl" $path }}
  {{ base $path | trimSuffix ".tpl" }}: |
    {{- tpl ($.Files.Get $path) $ | nindent 4 }}
  {{- else }}
  {{ base $path }}: |
    {{- $.Files.Get $path | nindent 4 }}
  {{- end }}
  {{- end }}
{{- end -}}

{{/*
nova-common.scripts.checksum: sha256 of the files under files/ as the chart
ships them (before tpl), for a pod annotation: pods roll when a chart
upgrade changes a script, not when a value rendered into a *.tpl file does
(the ensure SQL takes new databases without restarting PostgreSQL).
Arg: the chart context.
*/}}
{{- define "nova-common.scripts.checksum" -}}
{{- $all := "" -}}
{{- range $path, $_ := .Files.Glob "files/*" -}}
{{- $all = printf "%s%s\n%s\n" $all $path ($.Files.Get $path) -}}
{{- end -}}
{{- $all | sha256sum -}}
{{- end -}}

{{/* nova-common.scripts.volume: the pod volume of the scripts ConfigMap (a list item). Arg: the chart context. */}}
{{- define "nova-common.scripts.volume" -}}
- name: scripts
  configMap:
    name: {{ include "nova-common.componentName" (dict "ctx" . "component" "scripts") }}
{{- end -}}

{{/* nova-common.scripts.volumeMount: a container's mount of that volume (a list item). */}}
{{- define "nova-common.scripts.volumeMount" -}}
- name: scripts
  mountPath: {{ include "nova-common.scripts.dir" . }}
  readOnly: true
{{- end -}}

{{/*
nova-common.scripts.command: the command that runs one of the chart's
scripts with sh, from the mount or (inline true) from the command itself
(files/<script>, else files/<script>.tpl rendered).
Args: dict "ctx" $ "script" "migrate.sh" ["inline" true]
*/}}
{{- define "nova-common.scripts.command" -}}
{{- if .inline -}}
{{- $text := .ctx.Files.Get (printf "files/%s" .script) -}}
{{- if not $text }}{{ $text = tpl (.ctx.Files.Get (printf "files/%s.tpl" .script)) .ctx }}{{ end -}}
["/bin/sh", "-c", {{ $text | quote }}, {{ .script | trimSuffix ".sh" | quote }}]
{{- else -}}
["/bin/sh", "{{ include "nova-common.scripts.dir" . }}/{{ .script }}"]
{{- end -}}
{{- end -}}
