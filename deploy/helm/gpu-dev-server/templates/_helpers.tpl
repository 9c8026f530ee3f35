{{/* Name of the ServiceAccount every pod runs as. */}}
{{- define "gpu-dev-server.serviceAccountName" -}}
{{- default .Values.project .Values.serviceAccount.name -}}
{{- end -}}

{{/* Labels that select one service's pods. */}}
{{- define "gpu-dev-server.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* Every label of one service's objects: the chart's, then the config's. */}}
{{- define "gpu-dev-server.labels" -}}
{{ include "gpu-dev-server.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ .root.Chart.Name }}-{{ .root.Chart.Version }}
{{- range $k, $v := .svc.labels }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end -}}
