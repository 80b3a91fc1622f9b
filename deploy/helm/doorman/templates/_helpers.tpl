{{/* The name of every object of this release. */}}
{{- define "doorman.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "doorman.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "doorman.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "doorman.secretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{- .Values.secrets.existingSecret -}}
{{- else -}}
{{- include "doorman.fullname" . -}}
{{- end -}}
{{- end -}}

{{/* doorman.toml: the values' config with what the chart owns set over it. */}}
{{- define "doorman.config" -}}
{{- $config := deepCopy .Values.config -}}
{{- $server := deepCopy (default (dict) $config.server) -}}
{{- $_ := set $server "listen" (printf "0.0.0.0:%d" (int .Values.service.port)) -}}
{{- $_ := set $server "public_metrics" (.Values.metrics.scrape | default false) -}}
{{- $_ := set $config "server" $server -}}
{{- $_ := set $config "storage" (dict "path" "/var/lib/doorman") -}}
{{- if .Values.policy -}}
{{- $_ := set $config "policy" (dict "file" "/etc/doorman/policy.toml") -}}
{{- end -}}
{{- $catalog := deepCopy (default (dict) $config.catalog) -}}
{{- if .Values.catalog -}}
{{- $_ := set $catalog "file" "/etc/doorman/catalog.toml" -}}
{{- end -}}
{{- $_ := set $config "catalog" $catalog -}}
{{- toToml $config -}}
{{- end -}}
