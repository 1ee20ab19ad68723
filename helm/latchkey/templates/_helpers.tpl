{{/* Names and labels. */}}
{{- define "latchkey.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "latchkey.fullname" -}}
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

{{- define "latchkey.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "latchkey.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "latchkey.selectorLabels" -}}
app.kubernetes.io/name: {{ include "latchkey.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The serving pods; jobs carry another component so Service, PDB and policies skip them. */}}
{{- define "latchkey.serverSelectorLabels" -}}
{{ include "latchkey.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{- define "latchkey.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "latchkey.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "latchkey.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Settings held in the Secret, in the order they are passed to the containers. */}}
{{- define "latchkey.secretNames" -}}
DATABASE_URL REDIS_URL COOKIE_KEYS KEY_ENCRYPTION_KEY SMTP_URL TWILIO_AUTH_TOKEN
{{- end }}

{{/* "true" when the setting named by (list $ "NAME") is given: by a secretKeyRef, inline or by an existingSecret key. */}}
{{- define "latchkey.secretGiven" -}}
{{- $root := index . 0 }}
{{- $name := index . 1 }}
{{- if index $root.Values.secrets.secretKeyRefs $name }}true
{{- else if $root.Values.secrets.existingSecret }}
{{- if index $root.Values.secrets.existingSecretKeys $name }}true{{ end }}
{{- else if index $root.Values.secrets.values $name }}true{{ end }}
{{- end }}

{{/* "true" when both PostgreSQL and Redis are external, so pods share state. */}}
{{- define "latchkey.external" -}}
{{- if and (include "latchkey.secretGiven" (list . "DATABASE_URL")) (include "latchkey.secretGiven" (list . "REDIS_URL")) }}true{{ end }}
{{- end }}

{{/*
The ConfigMap's data as YAML: the non-empty `config` entries as strings, plus the settings the
chart owns. Helm reads YAML numbers as floats (1209600 would print as 1.2096e+06), hence int64.
*/}}
{{- define "latchkey.configData" -}}
{{- range $name, $value := .Values.config }}
{{- if kindIs "slice" $value }}
{{- if $value }}
{{ $name }}: {{ join "," $value | quote }}
{{- end }}
{{- else if or (kindIs "float64" $value) (kindIs "int64" $value) (kindIs "int" $value) }}
{{ $name }}: {{ $value | int64 | toString | quote }}
{{- else if and (not (kindIs "invalid" $value)) (ne (toString $value) "") }}
{{ $name }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}
PORT: {{ .Values.containerPort | int64 | toString | quote }}
DATA_DIR: "/data"
{{- end }}

{{/* Secret env entries; (list $ "secret-name") */}}
{{- define "latchkey.secretEnv" -}}
{{- $root := index . 0 }}
{{- $secretName := index . 1 }}
{{- range $name := splitList " " (include "latchkey.secretNames" $root) }}
{{- $ref := index $root.Values.secrets.secretKeyRefs $name }}
{{- if $ref }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.name }}
      key: {{ $ref.key }}
{{- else if include "latchkey.secretGiven" (list $root $name) }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: {{ ternary (index $root.Values.secrets.existingSecretKeys $name) $name (not (empty $root.Values.secrets.existingSecret)) }}
{{- end }}
{{- end }}
{{- end }}

{{/* The Secret's data as YAML (inline values only). */}}
{{- define "latchkey.secretData" -}}
{{- range $name := splitList " " (include "latchkey.secretNames" .) }}
{{- $value := index $.Values.secrets.values $name }}
{{- if $value }}
{{ $name }}: {{ $value | b64enc | quote }}
{{- end }}
{{- end }}
{{- end }}

{{- define "latchkey.secretName" -}}
{{- default (include "latchkey.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* Pod-level settings shared by the server, the migration and the inactivity job. */}}
{{- define "latchkey.podCommon" -}}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* A read-only root file system: the process writes only to /tmp and DATA_DIR. */}}
{{- define "latchkey.scratchVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /data
{{- end }}

{{- define "latchkey.scratchVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
- name: data
  emptyDir:
    sizeLimit: 256Mi
{{- end }}
