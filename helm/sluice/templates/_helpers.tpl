{{/* The chart name. */}}
{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The full name of the release's resources. */}}
{{- define "sluice.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sluice.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "sluice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "sluice.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "sluice.secretName" -}}
{{- default (include "sluice.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* The driver's headless Service: executors reach the driver's RPC and block manager through it. */}}
{{- define "sluice.driverService" -}}
{{- printf "%s-driver" (include "sluice.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Paths that executor pods must reach too: refuse a local path when executors are remote. */}}
{{- define "sluice.checkSharedStorage" -}}
{{- $local := and (hasPrefix "/" .Values.checkpoints.root) (not .Values.persistence.enabled) }}
{{- if and $local (not .Values.spark.kubernetesExecutors.enabled) }}
{{- fail (printf "checkpoints.root %s is a local path but persistence is disabled: enable persistence or use hdfs://" .Values.checkpoints.root) }}
{{- end }}
{{- if .Values.spark.kubernetesExecutors.enabled }}
{{- range $what, $path := dict "checkpoints.root" .Values.checkpoints.root "pipelines.carInfoToHdfs.path" .Values.pipelines.carInfoToHdfs.path }}
{{- if or (hasPrefix "/" $path) (hasPrefix "file:" $path) }}
{{- fail (printf "%s is %s: with Kubernetes executors it must be on storage every executor reaches (hdfs://, s3a://)" $what $path) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
