{{/* Names, labels and addresses shared by every template. */}}

{{- define "xinyi.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "xinyi.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: xinyi
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* The pods of one component: (dict "root" $ "name" "ledger"). */}}
{{- define "xinyi.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "xinyi.secretPrefix" -}}
{{- default (include "xinyi.fullname" .) .Values.secrets.prefix -}}
{{- end -}}

{{/* The service's own Secret: client-secret, s3-access-key, s3-secret-key. (dict "root" $ "name" …) */}}
{{- define "xinyi.serviceSecret" -}}
{{- $c := index .root.Values.components .name | default dict -}}
{{- default (printf "%s-%s" (include "xinyi.secretPrefix" .root) .name) $c.existingSecret -}}
{{- end -}}

{{/* A database role's basic-auth Secret. (dict "root" $ "name" "ledger" "role" "app") */}}
{{- define "xinyi.roleSecret" -}}
{{- printf "%s-%s-db-%s" (include "xinyi.secretPrefix" .root) .name .role -}}
{{- end -}}

{{- define "xinyi.keycloakDbSecret" -}}
{{- default (printf "%s-keycloak-db" (include "xinyi.secretPrefix" .)) .Values.keycloak.database.existingSecret -}}
{{- end -}}

{{- define "xinyi.postgresCluster" -}}{{ include "xinyi.fullname" . }}-pg{{- end -}}
{{- define "xinyi.kafkaCluster" -}}{{ include "xinyi.fullname" . }}-kafka{{- end -}}
{{- define "xinyi.keycloakName" -}}{{ include "xinyi.fullname" . }}-keycloak{{- end -}}

{{/* Where the services' database connections go: the pooler, the primary, or the external host. */}}
{{- define "xinyi.dbHost" -}}
{{- if not .Values.postgres.enabled -}}{{ .Values.postgres.external.host }}
{{- else if .Values.postgres.pooler.enabled -}}{{ include "xinyi.postgresCluster" . }}-pooler
{{- else -}}{{ include "xinyi.postgresCluster" . }}-rw
{{- end -}}
{{- end -}}

{{/* Migrations and Keycloak: the primary itself. */}}
{{- define "xinyi.dbPrimaryHost" -}}
{{- if .Values.postgres.enabled -}}{{ include "xinyi.postgresCluster" . }}-rw{{- else -}}{{ .Values.postgres.external.host }}{{- end -}}
{{- end -}}

{{- define "xinyi.dbPort" -}}
{{- if .Values.postgres.enabled -}}5432{{- else -}}{{ .Values.postgres.external.port }}{{- end -}}
{{- end -}}

{{- define "xinyi.kafkaBootstrap" -}}
{{- if .Values.kafka.enabled -}}{{ include "xinyi.kafkaCluster" . }}-kafka-bootstrap:9092{{- else -}}{{ .Values.kafka.external.bootstrap }}{{- end -}}
{{- end -}}

{{/* Keycloak as the services reach it (admin API, keys), and as browsers and tokens name it. */}}
{{- define "xinyi.keycloakUrl" -}}
{{- if .Values.keycloak.enabled -}}http://{{ include "xinyi.keycloakName" . }}-service:8080{{- else -}}{{ .Values.keycloak.external.url }}{{- end -}}
{{- end -}}

{{- define "xinyi.keycloakPublicUrl" -}}
{{- if .Values.keycloak.enabled -}}https://{{ .Values.keycloak.hostname }}{{- else -}}{{ .Values.keycloak.external.url }}{{- end -}}
{{- end -}}

{{- define "xinyi.tokenIssuer" -}}
{{- if .Values.keycloak.enabled -}}https://{{ .Values.keycloak.hostname }}/realms/xinyi{{- else -}}{{ .Values.keycloak.external.issuer }}{{- end -}}
{{- end -}}

{{- define "xinyi.frontDoorUrl" -}}
{{ if .Values.ingress.tls.enabled }}https{{ else }}http{{ end }}://{{ .Values.ingress.host }}
{{- end -}}

{{/* The four platform services' names, in a stable order. */}}
{{- define "xinyi.serviceNames" -}}
{{- $names := list -}}
{{- range $name, $c := .Values.components -}}
{{- if and $c.enabled $c.service -}}{{- $names = append $names $name -}}{{- end -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{/* One component's values over the defaults: (dict "root" $ "name" …) → YAML of the merged map. */}}
{{- define "xinyi.component" -}}
{{- $c := index .root.Values.components .name -}}
{{- $merged := mergeOverwrite (deepCopy .root.Values.default) (deepCopy $c) -}}
{{- toYaml $merged -}}
{{- end -}}

{{/* The image of a component: (dict "root" $ "name" … "c" merged). */}}
{{- define "xinyi.image" -}}
{{- $img := .c.image -}}
{{- $repo := default (printf "%s%s" $img.repositoryPrefix .name) $img.repository -}}
{{- $tag := default .root.Chart.AppVersion $img.tag -}}
{{- if $img.registry -}}{{ $img.registry }}/{{- end -}}{{ $repo }}:{{ $tag }}
{{- end -}}
