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

{{/*
nova-common.hookMetadata: metadata of a hook object (hook Job, its RBAC, a
helm test pod), with the suite's one delete policy: the previous object is
replaced when the hook runs again; a Job that succeeded is deleted, one that
failed stays for its logs; helm test pods always stay, so `helm test --logs`
and kubectl logs can read them.
Args: dict "ctx" $ "component" "migrate" "hook" "pre-install,pre-upgrade" ["weight" -10] ["name" "explicit-name"]
*/}}
{{- define "nova-common.hookMetadata" -}}
{{- $policy := eq .hook "test" | ternary "before-hook-creation" "before-hook-creation,hook-succeeded" -}}
{{- $annotations := dict "helm.sh/hook" .hook "helm.sh/hook-delete-policy" $policy -}}
{{- if hasKey . "weight" -}}
{{- $_ := set $annotations "helm.sh/hook-weight" (toString .weight) -}}
{{- end -}}
{{- include "nova-common.metadata" (merge (dict "annotations" $annotations) (omit . "hook" "weight")) -}}
{{- end -}}
