{{/* PostgreSQL endpoint and credentials (values, else the postgres-ha contract). Arg: the chart context. */}}
{{- define "nova-services.db.host" -}}
{{- .Values.database.host | default (include "nova-common.postgres.primaryHost" (dict "ctx" .)) -}}
{{- end -}}
{{- define "nova-services.db.port" -}}
{{- .Values.database.port | default (include "nova-common.postgres.port" .) -}}
{{- end -}}
{{- define "nova-services.db.user" -}}
{{- .Values.database.user | default (include "nova-common.postgres.appRole" .) -}}
{{- end -}}
{{- define "nova-services.db.secretName" -}}
{{- include "nova-common.postgres.secretName" (dict "ctx" .) -}}
{{- end -}}
{{- define "nova-services.db.secretKey" -}}
{{- include "nova-common.postgres.appPasswordKey" . -}}
{{- end -}}

{{/* Redis endpoint and credentials (values, else the redis-sentinel contract). Arg: the chart context. */}}
{{- define "nova-services.redis.host" -}}
{{- .Values.redis.host | default (include "nova-common.redis.masterHost" (dict "ctx" .)) -}}
{{- end -}}
{{- define "nova-services.redis.port" -}}
{{- .Values.redis.port | default (include "nova-common.redis.port" .) -}}
{{- end -}}
{{- define "nova-services.redis.secretName" -}}
{{- include "nova-common.redis.secretName" (dict "ctx" .) -}}
{{- end -}}
{{- define "nova-services.redis.secretKey" -}}
{{- include "nova-common.redis.passwordKey" . -}}
{{- end -}}
