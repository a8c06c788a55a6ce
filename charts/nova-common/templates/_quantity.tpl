{{/*
nova-common.quantity.bytes: the bytes of a Kubernetes quantity ("512Mi",
"1.5Gi", "500M", "1048576"), for settings derived from a resource limit or a
volume size. A quantity it cannot read fails the render, naming the field.
Args: dict "value" "512Mi" "field" "resources.limits.memory"
*/}}
{{- define "nova-common.quantity.bytes" -}}
{{- $q := toString .value -}}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" $q -}}
{{- $unit := trimPrefix $number $q -}}
{{- $factors := dict "" 1 "k" 1000 "K" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 -}}
{{- if or (not $number) (not (hasKey $factors $unit)) -}}
{{- fail (printf "%s: cannot read %q as a quantity (use a number with Ki, Mi, Gi, Ti, k, M, G or T)" .field $q) -}}
{{- end -}}
{{- printf "%d" (int64 (mulf (float64 $number) (get $factors $unit))) -}}
{{- end -}}
