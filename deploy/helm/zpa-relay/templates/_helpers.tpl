{{/* Names and labels, in the shape `helm create` gives them. */}}
{{- define "zpa-relay.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "zpa-relay.fullname" -}}
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

{{- define "zpa-relay.selectorLabels" -}}
app.kubernetes.io/name: {{ include "zpa-relay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "zpa-relay.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "zpa-relay.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: zpa-relay
{{- end }}

{{- define "zpa-relay.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "zpa-relay.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "zpa-relay.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The admin port: config.admin.port, else the relay's default. */}}
{{- define "zpa-relay.adminPort" -}}
{{- (.Values.config.admin | default dict).port | default 9100 }}
{{- end }}

{{/* The Secret that holds the Panther secret, or nothing. */}}
{{- define "zpa-relay.pantherSecretName" -}}
{{- if .Values.pantherSecret.existingSecret }}
{{- .Values.pantherSecret.existingSecret }}
{{- else if .Values.pantherSecret.value }}
{{- printf "%s-panther" (include "zpa-relay.fullname" .) }}
{{- end }}
{{- end }}

{{/*
The relay's data volumes: name, mount path and size, for the paths the config writes to. Refuses a
relative path, which would point into the read-only root filesystem.
*/}}
{{- define "zpa-relay.dataVolumes" -}}
{{- $c := .Values.config }}
{{- $p := .Values.persistence }}
{{- $vols := list }}
{{- with ($c.spool | default dict).path }}
{{- $vols = append $vols (dict "name" "spool" "path" . "size" $p.spool.size) }}
{{- end }}
{{- $dl := ($c.deadLetter | default dict).path | required "config.deadLetter.path is required: the dead-letter store needs a volume (for example /var/lib/zpa-relay/dead-letter)" }}
{{- $vols = append $vols (dict "name" "dead-letter" "path" $dl "size" $p.deadLetter.size) }}
{{- if eq (($c.output | default dict).type | default "directory") "directory" }}
{{- $out := (($c.output | default dict).directory | default dict).path | required "config.output.directory.path is required with the directory output (for example /var/lib/zpa-relay/out)" }}
{{- $vols = append $vols (dict "name" "output" "path" $out "size" $p.output.size) }}
{{- end }}
{{- range $vols }}
{{- if not (isAbs .path) }}
{{- fail (printf "the %s path %q must be absolute: the root filesystem is read-only, only the chart's volumes are writable" .name .path) }}
{{- end }}
{{- end }}
{{- toJson $vols }}
{{- end }}

{{/* The environment variable that output.http.auth reads, if any (secretEnv, tokenEnv or passwordEnv). */}}
{{- define "zpa-relay.authEnv" -}}
{{- $auth := ((.Values.config.output | default dict).http | default dict).auth | default dict }}
{{- coalesce $auth.secretEnv $auth.tokenEnv $auth.passwordEnv | default "" }}
{{- end }}
