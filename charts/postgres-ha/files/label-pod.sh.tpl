{{ include "nova-common.podLabel.script" . }}
