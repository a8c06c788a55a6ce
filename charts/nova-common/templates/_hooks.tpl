{{/*
Helm hook Jobs and Helm's --timeout. Helm waits for each hook Job up to its
--timeout (5m unless set); a Job that outlives it fails the release with
"timed out waiting for the condition" and no reason. So every hook Job of
the suite gives up earlier, on its own, with a message: its deadline comes
from global.hookTimeoutSeconds, which must equal Helm's --timeout in
seconds (nova-installer sets it from its own --timeout; with plain helm,
pass both: --timeout 10m --set global.hookTimeoutSeconds=600).
*/}}

{{/* nova-common.hookTimeout: global.hookTimeoutSeconds, default 300 (Helm's 5m). Arg: the chart context. */}}
{{- define "nova-common.hookTimeout" -}}
{{- int ((.Values.global | default dict).hookTimeoutSeconds | default 300) -}}
{{- end -}}

{{/* nova-common.hookDeadline: a hook Job's activeDeadlineSeconds, 10 s short of the timeout. Arg: the chart context. */}}
{{- define "nova-common.hookDeadline" -}}
{{- sub (include "nova-common.hookTimeout" . | int) 10 -}}
{{- end -}}
