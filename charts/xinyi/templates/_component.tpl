{{/*
The objects of one component, each a template taking (dict "root" $ "name" <name> "c" <merged values>),
included by components.yaml for every enabled entry of .Values.components (the OpenTelemetry demo
chart's pattern: one template, shared helpers, no file copied per service).
*/}}

{{/* Settings every platform service gets, as a name → value map (YAML); the ConfigMap holds them and
the migration Job, which runs before the ConfigMap exists, gets them inline. */}}
{{- define "xinyi.settings" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $s := $v.settings -}}
{{- $fullname := include "xinyi.fullname" $root -}}
{{- $env := dict
  "XINYI_ENVIRONMENT" $s.environment
  "XINYI_LOG_LEVEL" $s.logLevel
  "XINYI_HTTP_HOST" "0.0.0.0"
  "XINYI_HTTP_PORT" (toString .c.ports.http)
  "XINYI_GRPC_HOST" "0.0.0.0"
  "XINYI_GRPC_PORT" (toString .c.ports.grpc)
  "XINYI_DB_HOST" (include "xinyi.dbHost" $root)
  "XINYI_DB_PORT" (include "xinyi.dbPort" $root)
  "XINYI_KAFKA_BOOTSTRAP" (include "xinyi.kafkaBootstrap" $root)
  "XINYI_KAFKA_TOPIC_PARTITIONS" (toString $v.kafka.topics.partitions)
  "XINYI_KAFKA_TOPIC_REPLICATION" (toString $v.kafka.topics.replicas)
  "XINYI_KEYCLOAK_URL" (include "xinyi.keycloakUrl" $root)
  "XINYI_TOKEN_ISSUER" (include "xinyi.tokenIssuer" $root)
  "XINYI_BLOB_BACKEND" $s.blobs.backend
  "XINYI_STATE" "/tmp/xinyi"
  "HOME" "/tmp"
  "PYTHONDONTWRITEBYTECODE" "1"
-}}
{{- if eq $s.blobs.backend "s3" -}}
{{- $_ := set $env "XINYI_S3_ENDPOINT" $s.blobs.s3.endpoint -}}
{{- $_ := set $env "XINYI_S3_REGION" $s.blobs.s3.region -}}
{{- $_ := set $env "XINYI_S3_BUCKET" (printf "%s%s" $s.blobs.s3.bucketPrefix .name) -}}
{{- end -}}
{{- with $s.otlpEndpoint -}}{{- $_ := set $env "XINYI_OTLP_ENDPOINT" . -}}{{- end -}}
{{- range $callee := .c.grpcCalls -}}
{{- $target := index $v.components $callee | default dict -}}
{{- if not (and $target.enabled $target.service) -}}
{{- fail (printf "components.%s.grpcCalls names %s, which is no enabled service" $.name $callee) -}}
{{- end -}}
{{- /* The headless Service's name resolves to every ready pod: the caller balances its calls over them (round_robin). */ -}}
{{- $_ := set $env (printf "XINYI_%s_GRPC_TARGET" (upper $callee)) (printf "dns:///%s-%s-grpc:%v" $fullname $callee $target.ports.grpc) -}}
{{- end -}}
{{- range $key, $value := .c.env -}}{{- $_ := set $env $key (toString $value) -}}{{- end -}}
{{- toYaml $env -}}
{{- end -}}

{{/* The settings that are secrets: (dict … "role" "app"|"owner"). */}}
{{- define "xinyi.secretEnv" -}}
- name: XINYI_DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "xinyi.roleSecret" (dict "root" .root "name" .name "role" .role) }}
      key: password
- name: XINYI_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "xinyi.serviceSecret" . }}
      key: client-secret
{{- if eq .root.Values.settings.blobs.backend "s3" }}
- name: XINYI_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "xinyi.serviceSecret" . }}
      key: s3-access-key
- name: XINYI_S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "xinyi.serviceSecret" . }}
      key: s3-secret-key
{{- end }}
{{- end -}}

{{/* The front door's nginx: the variables of files/nginx-xinyi.conf.template. */}}
{{- define "xinyi.webSettings" -}}
{{- $root := .root -}}
{{- $fullname := include "xinyi.fullname" $root -}}
{{- $env := dict
  "NGINX_ENVSUBST_FILTER" "XINYI_"
  "XINYI_LISTEN" (toString .c.ports.http)
  "XINYI_WEB_ROOT" .c.webRoot
  "XINYI_KEYCLOAK_URL" (include "xinyi.keycloakPublicUrl" $root)
  "XINYI_ACCESS_LOG" "/dev/stdout"
-}}
{{- range $name, $svc := $root.Values.components -}}
{{- if and $svc.enabled $svc.service -}}
{{- $_ := set $env (printf "XINYI_%s_UPSTREAM" (upper $name)) (printf "%s-%s:%v" $fullname $name $svc.ports.http) -}}
{{- end -}}
{{- end -}}
{{- range $key, $value := .c.env -}}{{- $_ := set $env $key (toString $value) -}}{{- end -}}
{{- toYaml $env -}}
{{- end -}}

{{- define "xinyi.podLabels" -}}
{{ include "xinyi.labels" .root }}
{{ include "xinyi.selectorLabels" . }}
app.kubernetes.io/component: {{ if .c.service }}service{{ else }}front-door{{ end }}
{{- if .c.service }}
xinyi.io/platform-service: "true"
{{- end }}
{{- with .c.podLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "xinyi.component.serviceAccount" -}}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "xinyi.fullname" .root }}-{{ .name }}
  labels:
    {{- include "xinyi.labels" .root | nindent 4 }}
    {{- include "xinyi.selectorLabels" . | nindent 4 }}
# The services never call the Kubernetes API.
automountServiceAccountToken: false
{{ end -}}

{{- define "xinyi.component.configMap" -}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "xinyi.fullname" .root }}-{{ .name }}
  labels:
    {{- include "xinyi.labels" .root | nindent 4 }}
    {{- include "xinyi.selectorLabels" . | nindent 4 }}
data:
  {{- if .c.service }}
  {{- include "xinyi.settings" . | nindent 2 }}
  {{- else }}
  {{- include "xinyi.webSettings" . | nindent 2 }}
  {{- end }}
{{- if not .c.service }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "xinyi.fullname" .root }}-{{ .name }}-nginx
  labels:
    {{- include "xinyi.labels" .root | nindent 4 }}
    {{- include "xinyi.selectorLabels" . | nindent 4 }}
data:
  # deploy/nginx/xinyi.conf, kept the same by tests/charts: the official image's envsubst fills it.
  default.conf.template: |-
    {{- .root.Files.Get "files/nginx-xinyi.conf.template" | nindent 4 }}
{{- end }}
{{ end -}}

{{- define "xinyi.component.deployment" -}}
{{- $probes := deepCopy (.c.probes | default dict) -}}
{{- /* A gRPC probe takes a port number only: a port named here is the component's port of that name. */ -}}
{{- range $kind, $probe := $probes -}}
{{- if and $probe $probe.grpc (kindIs "string" $probe.grpc.port) -}}
{{- $_ := set $probe.grpc "port" (required (printf "components.%s.probes.%s.grpc.port names no port of the component" $.name $kind) (index $.c.ports $probe.grpc.port)) -}}
{{- end -}}
{{- end -}}
{{- $liveness := required (printf "components.%s.probes.liveness is required: every container is probed" .name) $probes.liveness -}}
{{- $readiness := required (printf "components.%s.probes.readiness is required: every container is probed" .name) $probes.readiness -}}
{{- $settings := "" -}}
{{- if .c.service -}}{{- $settings = include "xinyi.settings" . -}}{{- else -}}{{- $settings = include "xinyi.webSettings" . -}}{{- end -}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "xinyi.fullname" .root }}-{{ .name }}
  labels:
    {{- include "xinyi.labels" .root | nindent 4 }}
    {{- include "xinyi.selectorLabels" . | nindent 4 }}
spec:
  {{- if not .c.autoscaling.enabled }}
  replicas: {{ .c.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "xinyi.selectorLabels" . | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate: { maxUnavailable: 0, maxSurge: 1 }
  template:
    metadata:
      labels:
        {{- include "xinyi.podLabels" . | nindent 8 }}
      annotations:
        checksum/settings: {{ $settings | sha256sum }}
        {{- if and .c.service .root.Values.metrics.annotations }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ .c.ports.http | quote }}
        prometheus.io/path: /metrics
        {{- end }}
        {{- with .c.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "xinyi.fullname" .root }}-{{ .name }}
      automountServiceAccountToken: false
      # No <SERVICE>_PORT variables: they would sit among the XINYI_* settings.
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ .c.terminationGracePeriodSeconds }}
      securityContext:
        {{- toYaml .c.podSecurityContext | nindent 8 }}
      {{- with .c.image.pullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .c.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .c.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .c.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .c.topologySpreadConstraints }}
      # A constraint without a labelSelector spreads this component's own pods.
      topologySpreadConstraints:
        {{- range . }}
        {{- $constraint := deepCopy . }}
        {{- if not $constraint.labelSelector }}
        {{- $_ := set $constraint "labelSelector" (dict "matchLabels" (include "xinyi.selectorLabels" $ | fromYaml)) }}
        {{- end }}
        - {{- toYaml $constraint | nindent 10 }}
        {{- end }}
      {{- end }}
      containers:
        - name: {{ .name }}
          image: {{ include "xinyi.image" . | quote }}
          imagePullPolicy: {{ .c.image.pullPolicy }}
          {{- if .c.service }}
          args: [serve]
          {{- end }}
          ports:
            - { name: http, containerPort: {{ .c.ports.http }}, protocol: TCP }
            {{- if .c.ports.grpc }}
            - { name: grpc, containerPort: {{ .c.ports.grpc }}, protocol: TCP }
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ include "xinyi.fullname" .root }}-{{ .name }}
          {{- if .c.service }}
          env:
            {{- include "xinyi.secretEnv" (dict "root" .root "name" .name "role" "app") | nindent 12 }}
          {{- end }}
          {{- with $probes.startup }}
          startupProbe:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          livenessProbe:
            {{- toYaml $liveness | nindent 12 }}
          readinessProbe:
            {{- toYaml $readiness | nindent 12 }}
          resources:
            {{- toYaml .c.resources | nindent 12 }}
          securityContext:
            {{- toYaml .c.securityContext | nindent 12 }}
          volumeMounts:
            - { name: tmp, mountPath: /tmp }
            {{- if not .c.service }}
            - { name: nginx-conf, mountPath: /etc/nginx/conf.d }
            - { name: nginx-templates, mountPath: /etc/nginx/templates, readOnly: true }
            {{- end }}
      volumes:
        - name: tmp
          emptyDir: { sizeLimit: {{ .c.tmpSizeLimit }} }
        {{- if not .c.service }}
        - name: nginx-conf
          emptyDir: { sizeLimit: 1Mi }
        - name: nginx-templates
          configMap:
            name: {{ include "xinyi.fullname" .root }}-{{ .name }}-nginx
        {{- end }}
{{ end -}}

{{- define "xinyi.component.service" -}}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "xinyi.fullname" .root }}-{{ .name }}
  labels:
    {{- include "xinyi.labels" .root | nindent 4 }}
    {{- include "xinyi.selectorLabels" . | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "xinyi.selectorLabels" . | nindent 4 }}
  ports:
    - { name: http, port: {{ .c.ports.http }}, targetPort: http, protocol: TCP, appProtocol: http }
    {{- if .c.ports.grpc }}
    - { name: grpc, port: {{ .c.ports.grpc }}, targetPort: grpc, protocol: TCP, appProtocol: kubernetes.io/h2c }
    {{- end }}
{{- if .c.ports.grpc }}
---
# Headless: its DNS name answers every ready pod's address, so a gRPC caller (one long-lived HTTP/2
# connection per address) spreads its calls over the replicas instead of pinning one pod.
apiVersion: v1
kind: Service
metadata:
  name: {{ include "xinyi.fullname" .root }}-{{ .name }}-grpc
  labels:
    {{- include "xinyi.labels" .root | nindent 4 }}
    {{- include "xinyi.selectorLabels" . | nindent 4 }}
spec:
  clusterIP: None
  selector:
    {{- include "xinyi.selectorLabels" . | nindent 4 }}
  ports:
    - { name: grpc, port: {{ .c.ports.grpc }}, targetPort: grpc, protocol: TCP, appProtocol: kubernetes.io/h2c }
{{- end }}
{{ end -}}

{{- define "xinyi.component.podDisruptionBudget" -}}
{{- if .c.podDisruptionBudget.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "xinyi.fullname" .root }}-{{ .name }}
  labels:
    {{- include "xinyi.labels" .root | nindent 4 }}
    {{- include "xinyi.selectorLabels" . | nindent 4 }}
spec:
  maxUnavailable: {{ .c.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "xinyi.selectorLabels" . | nindent 6 }}
{{- end }}
{{ end -}}

{{- define "xinyi.component.autoscaler" -}}
{{- if .c.autoscaling.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "xinyi.fullname" .root }}-{{ .name }}
  labels:
    {{- include "xinyi.labels" .root | nindent 4 }}
    {{- include "xinyi.selectorLabels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "xinyi.fullname" .root }}-{{ .name }}
  minReplicas: {{ .c.autoscaling.minReplicas }}
  maxReplicas: {{ .c.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .c.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{ end -}}

{{/* Who may reach a component: the front door (and the ingress controller) its HTTP, Prometheus its
/metrics, and on its gRPC port only the services that name it in grpcCalls. */}}
{{- define "xinyi.component.networkPolicy" -}}
{{- $v := .root.Values -}}
{{- $np := $v.networkPolicy -}}
{{- if $np.enabled }}
{{- $callers := list -}}
{{- range $name, $other := $v.components -}}
{{- if and $other.enabled (has $.name ($other.grpcCalls | default list)) -}}{{- $callers = append $callers $name -}}{{- end -}}
{{- end -}}
{{- $web := $v.components.web | default dict }}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "xinyi.fullname" .root }}-{{ .name }}
  labels:
    {{- include "xinyi.labels" .root | nindent 4 }}
    {{- include "xinyi.selectorLabels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "xinyi.selectorLabels" . | nindent 6 }}
  policyTypes: [Ingress]
  ingress:
    {{- if .c.service }}
    {{- if $web.enabled }}
    - from:
        - podSelector:
            matchLabels:
              {{- include "xinyi.selectorLabels" (dict "root" .root "name" "web") | nindent 14 }}
      ports:
        - { port: http, protocol: TCP }
    {{- end }}
    {{- if and (eq $v.ingress.api "direct") $np.ingressController }}
    - from:
        - {{- toYaml $np.ingressController | nindent 10 }}
      ports:
        - { port: http, protocol: TCP }
    {{- end }}
    {{- with $np.prometheus }}
    - from:
        - {{- toYaml . | nindent 10 }}
      ports:
        - { port: http, protocol: TCP }
    {{- end }}
    {{- if $callers }}
    - from:
        {{- range $callers }}
        - podSelector:
            matchLabels:
              {{- include "xinyi.selectorLabels" (dict "root" $.root "name" .) | nindent 14 }}
        {{- end }}
      ports:
        - { port: grpc, protocol: TCP }
    {{- end }}
    {{- else if $np.ingressController }}
    - from:
        - {{- toYaml $np.ingressController | nindent 10 }}
      ports:
        - { port: http, protocol: TCP }
    {{- end }}
{{- end }}
{{ end -}}

{{- define "xinyi.component.serviceMonitor" -}}
{{- if and .c.service .root.Values.metrics.serviceMonitor.enabled }}
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "xinyi.fullname" .root }}-{{ .name }}
  labels:
    {{- include "xinyi.labels" .root | nindent 4 }}
    {{- include "xinyi.selectorLabels" . | nindent 4 }}
    {{- with .root.Values.metrics.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "xinyi.selectorLabels" . | nindent 6 }}
  endpoints:
    - port: http
      path: /metrics
      interval: {{ .root.Values.metrics.serviceMonitor.interval }}
{{- end }}
{{ end -}}

{{/* The migration Job of a platform service: a Helm hook, so it runs before the new pods (or, with
the chart's own database cluster, right after the first install). Everything it needs is inline:
before an install, the ConfigMaps do not exist yet. */}}
{{- define "xinyi.component.migration" -}}
{{- $m := .root.Values.migrations -}}
{{- if and .c.service $m.enabled }}
{{- $settings := include "xinyi.settings" . | fromYaml -}}
{{- $_ := set $settings "XINYI_DB_HOST" (include "xinyi.dbPrimaryHost" .root) -}}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "xinyi.fullname" .root }}-{{ .name }}-migrate
  labels:
    {{- include "xinyi.labels" .root | nindent 4 }}
    app.kubernetes.io/name: {{ .name }}-migrate
    app.kubernetes.io/component: migration
  annotations:
    helm.sh/hook: {{ include "xinyi.migrationHook" .root }}
    helm.sh/hook-weight: "0"
    # The last run stays to be read (kubectl logs job/…) until the next one replaces it.
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  backoffLimit: {{ $m.backoffLimit }}
  activeDeadlineSeconds: {{ $m.activeDeadlineSeconds }}
  template:
    metadata:
      labels:
        {{- include "xinyi.labels" .root | nindent 8 }}
        app.kubernetes.io/name: {{ .name }}-migrate
        app.kubernetes.io/component: migration
    spec:
      restartPolicy: Never
      serviceAccountName: {{ include "xinyi.fullname" .root }}-migrate
      automountServiceAccountToken: false
      enableServiceLinks: false
      securityContext:
        {{- toYaml .c.podSecurityContext | nindent 8 }}
      {{- with .c.image.pullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- $env := list -}}
      {{- range $key, $value := $settings -}}{{- $env = append $env (dict "name" $key "value" $value) -}}{{- end }}
      {{- if $m.grants }}
      initContainers:
        - name: grants
          image: {{ include "xinyi.image" . | quote }}
          imagePullPolicy: {{ .c.image.pullPolicy }}
          command: [python, -c]
          args:
            - |-
              {{- .root.Files.Get "files/grants.py" | nindent 14 }}
          env:
            {{- toYaml $env | nindent 12 }}
            {{- include "xinyi.secretEnv" (dict "root" .root "name" .name "role" "owner") | nindent 12 }}
          resources:
            {{- toYaml $m.resources | nindent 12 }}
          securityContext:
            {{- toYaml .c.securityContext | nindent 12 }}
          volumeMounts:
            - { name: tmp, mountPath: /tmp }
      {{- end }}
      containers:
        - name: migrate
          image: {{ include "xinyi.image" . | quote }}
          imagePullPolicy: {{ .c.image.pullPolicy }}
          args: [migrate]
          env:
            {{- toYaml $env | nindent 12 }}
            {{- include "xinyi.secretEnv" (dict "root" .root "name" .name "role" "owner") | nindent 12 }}
          resources:
            {{- toYaml $m.resources | nindent 12 }}
          securityContext:
            {{- toYaml .c.securityContext | nindent 12 }}
          volumeMounts:
            - { name: tmp, mountPath: /tmp }
      volumes:
        - name: tmp
          emptyDir: { sizeLimit: {{ .c.tmpSizeLimit }} }
{{- end }}
{{ end -}}

{{/* pre-install needs the database before the release: true of an external one, not of the chart's
own cluster, created by the install itself. */}}
{{- define "xinyi.migrationHook" -}}
{{- if .Values.postgres.enabled -}}post-install,pre-upgrade{{- else -}}pre-install,pre-upgrade{{- end -}}
{{- end -}}
