{{/* Name of the cloud-identity ServiceAccount (services with cloudIdentity run as it). */}}
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

{{/* The workload kind: a StatefulSet for per-replica storage, else a Deployment. */}}
{{- define "gpu-dev-server.kind" -}}
{{- if and .svc.storage (not .svc.storageShared) -}}StatefulSet{{- else -}}Deployment{{- end -}}
{{- end -}}

{{/* Number of public services (each gets its own host, or path without a domain). */}}
{{- define "gpu-dev-server.publicCount" -}}
{{- $n := 0 -}}
{{- range $name, $svc := .Values.services -}}
{{- if and $svc.public $svc.ports -}}{{- $n = add1 $n -}}{{- end -}}
{{- end -}}
{{- $n -}}
{{- end -}}

{{/* A probe action from {path, port} (HTTP) or {tcp} (TCP). */}}
{{- define "gpu-dev-server.probeAction" -}}
{{- if .path }}
httpGet:
  path: {{ .path | quote }}
  port: {{ .port }}
{{- else }}
tcpSocket:
  port: {{ .tcp }}
{{- end }}
{{- end -}}
