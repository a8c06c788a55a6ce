{{ include "nova-common.credentials.script" . }}
