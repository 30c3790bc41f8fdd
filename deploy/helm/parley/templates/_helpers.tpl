{{/*
Names, labels and the table of Parley's processes, shared by every template.
*/}}

{{- define "parley.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* <release>-parley, or the release name when it already contains the chart's name (parley-blue, parley-router). */}}
{{- define "parley.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "parley.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "parley.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion -}}
{{- end -}}

{{- define "parley.image" -}}
{{- printf "%s:%s" .Values.image.repository (include "parley.imageTag" .) -}}
{{- end -}}

{{/* Labels of every object; with a track, `parley.dev/track` too. */}}
{{- define "parley.labels" -}}
helm.sh/chart: {{ include "parley.chart" . }}
app.kubernetes.io/name: {{ include "parley.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ include "parley.imageTag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ .Values.partOf }}
{{- if .Values.track }}
parley.dev/track: {{ .Values.track }}
{{- end }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* What selects one process's pods of this release: immutable, so never the version or the track. */}}
{{- define "parley.selectorLabels" -}}
app.kubernetes.io/name: {{ include "parley.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "parley.componentLabels" -}}
{{ include "parley.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/*
The processes, in order: values key, component name (the compose service, the Prometheus job `parley-<name>`,
OTEL_SERVICE_NAME), port and entry point. A JSON list, read with fromJsonArray.
*/}}
{{- define "parley.components" -}}
[
  {"key": "gateway", "name": "gateway", "port": 4000, "entry": "gateway/src/index.ts", "subgraph": false},
  {"key": "users", "name": "users", "port": 4001, "entry": "subgraphs/users/src/index.ts", "subgraph": true},
  {"key": "chat", "name": "chat", "port": 4002, "entry": "subgraphs/chat/src/index.ts", "subgraph": true},
  {"key": "models", "name": "models", "port": 4003, "entry": "subgraphs/models/src/index.ts", "subgraph": true},
  {"key": "translation", "name": "translation", "port": 4004, "entry": "subgraphs/translation/src/index.ts", "subgraph": true},
  {"key": "worker", "name": "chat-worker", "port": 4012, "entry": "subgraphs/chat/src/worker.ts", "subgraph": false}
]
{{- end -}}

{{/* The components this release runs (the worker may be off). */}}
{{- define "parley.enabledComponents" -}}
{{- $out := list -}}
{{- range (include "parley.components" . | fromJsonArray) -}}
{{- if or (ne .key "worker") $.Values.worker.enabled -}}
{{- $out = append $out . -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{- define "parley.componentByKey" -}}
{{- $key := .key -}}
{{- range (include "parley.components" .root | fromJsonArray) -}}
{{- if eq .key $key }}{{ toJson . }}{{ end -}}
{{- end -}}
{{- end -}}

{{/* http://<fullname>-<name>:<port> of a component, by values key. */}}
{{- define "parley.url" -}}
{{- $c := include "parley.componentByKey" (dict "root" .root "key" .key) | fromJson -}}
{{- printf "http://%s-%s:%d" (include "parley.fullname" .root) $c.name (int $c.port) -}}
{{- end -}}

{{- define "parley.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "parley.fullname" .)) -}}
{{- end -}}

{{- define "parley.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "parley.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* Where DATABASE_URL comes from: {name, secret, key, optional}. */}}
{{- define "parley.databaseUrlRef" -}}
{{- toJson (dict "name" "DATABASE_URL" "secret" (.Values.postgresql.urlSecret.name | default (include "parley.secretName" .)) "key" .Values.postgresql.urlSecret.key "optional" false) -}}
{{- end -}}

{{/* Every `apiKeyEnv` the models file names, as a JSON list. */}}
{{- define "parley.providerKeys" -}}
{{- $keys := list -}}
{{- range (.Values.models.config.deployments | default list) -}}
{{- if .apiKeyEnv -}}
{{- $keys = append $keys .apiKeyEnv -}}
{{- end -}}
{{- end -}}
{{- toJson ($keys | uniq) -}}
{{- end -}}

{{/*
A component's environment from its ConfigMap: the variables of services mode (README.md, "Environment") that are not
secrets. MIGRATE_ON_START is set in the container itself, where no ConfigMap can override it.
*/}}
{{- define "parley.envData" -}}
{{- $root := .root -}}
{{- $c := .c -}}
{{- $v := index $root.Values $c.key -}}
{{- $env := dict
  "HOST" "0.0.0.0"
  "PORT" (toString $c.port)
  "LOG_LEVEL" $root.Values.config.logLevel
  "NODE_ENV" $root.Values.config.nodeEnv
  "OTEL_SERVICE_NAME" $c.name
  "SHUTDOWN_TIMEOUT_MS" (toString $root.Values.lifecycle.shutdownTimeoutMs)
  "AUTH_ISSUER" $root.Values.config.authIssuer
  "AUTH_AUDIENCE" $root.Values.config.authAudience
  "USERS_URL" (include "parley.url" (dict "root" $root "key" "users"))
-}}
{{- if not $root.Values.redis.urlFromSecret -}}
{{- $_ := set $env "REDIS_URL" $root.Values.redis.url -}}
{{- end -}}
{{- with $root.Values.config.namespace -}}
{{- $_ := set $env "PARLEY_NAMESPACE" . -}}
{{- end -}}
{{- with $root.Values.config.otlpEndpoint -}}
{{- $_ := set $env "OTEL_EXPORTER_OTLP_ENDPOINT" . -}}
{{- end -}}
{{- if ne $c.key "gateway" -}}
{{- $_ := set $env "KAFKA_BROKERS" (join "," $root.Values.kafka.brokers) -}}
{{- $_ := set $env "DATABASE_POOL_MAX" (toString $root.Values.postgresql.poolMax) -}}
{{- end -}}
{{- if has $c.key (list "gateway" "chat" "worker" "translation") -}}
{{- $_ := set $env "MODELS_URL" (include "parley.url" (dict "root" $root "key" "models")) -}}
{{- end -}}
{{- if eq $c.key "gateway" -}}
{{- $_ := set $env "SUPERGRAPH_PATH" "supergraph.graphql" -}}
{{- $urls := list -}}
{{- range (list "users" "chat" "models" "translation") -}}
{{- $urls = append $urls (printf "%s=%s/graphql" . (include "parley.url" (dict "root" $root "key" .))) -}}
{{- end -}}
{{- $_ := set $env "SUBGRAPH_URLS" (join "," $urls) -}}
{{- /* Where browsers reach the gateway (its pages' connect-src): the Ingress's first host, https when ingress.tls lists it. gateway.env.PUBLIC_URL wins. */ -}}
{{- if and $root.Values.ingress.enabled $root.Values.ingress.hosts -}}
{{- with (first $root.Values.ingress.hosts).host -}}
{{- $host := . -}}
{{- $scheme := "http" -}}
{{- range $root.Values.ingress.tls -}}
{{- if has $host (.hosts | default list) -}}
{{- $scheme = "https" -}}
{{- end -}}
{{- end -}}
{{- $_ := set $env "PUBLIC_URL" (printf "%s://%s" $scheme $host) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if eq $c.key "gateway" -}}
{{- with $v.trustedProxies -}}
{{- $_ := set $env "TRUSTED_PROXIES" . -}}
{{- end -}}
{{- end -}}
{{- if eq $c.key "models" -}}
{{- $_ := set $env "MODELS_CONFIG" "/etc/parley/models.yaml" -}}
{{- end -}}
{{- range $name, $value := $root.Values.config.extraEnv -}}
{{- $_ := set $env $name (toString $value) -}}
{{- end -}}
{{- range $name, $value := $v.env -}}
{{- $_ := set $env $name (toString $value) -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}

{{/*
A component's variables from the Secret: {name, optional} each. Required keys make a pod wait (CreateContainerConfigError
naming the key) rather than start without them.
*/}}
{{- define "parley.secretEnv" -}}
{{- $root := .root -}}
{{- $c := .c -}}
{{- $v := index $root.Values $c.key -}}
{{- $out := list -}}
{{- if ne $c.key "gateway" -}}
{{- $out = append $out (include "parley.databaseUrlRef" $root | fromJson) -}}
{{- if $root.Values.postgresql.replicas -}}
{{- $out = append $out (dict "name" "DATABASE_REPLICA_URLS" "optional" true) -}}
{{- end -}}
{{- end -}}
{{- if $root.Values.redis.urlFromSecret -}}
{{- $out = append $out (dict "name" "REDIS_URL" "optional" false) -}}
{{- end -}}
{{- if $root.Values.metrics.tokenFromSecret -}}
{{- $out = append $out (dict "name" "METRICS_TOKEN" "optional" false) -}}
{{- end -}}
{{- if eq $c.key "users" -}}
{{- $out = append $out (dict "name" "USERS_KEY_ENCRYPTION_KEY" "optional" false) -}}
{{- $out = append $out (dict "name" "OIDC_PROVIDERS" "optional" true) -}}
{{- end -}}
{{- $out = append $out (dict "name" "INTERNAL_SERVICE_TOKEN" "optional" false) -}}
{{- if eq $c.key "translation" -}}
{{- $out = append $out (dict "name" "LIBRETRANSLATE_API_KEY" "optional" true) -}}
{{- end -}}
{{- if eq $c.key "models" -}}
{{- range (include "parley.providerKeys" $root | fromJsonArray) -}}
{{- $out = append $out (dict "name" . "optional" false) -}}
{{- end -}}
{{- end -}}
{{- range $v.secretEnv -}}
{{- $out = append $out (dict "name" . "optional" false) -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* Whether a variable's name says it holds a secret: such a name is refused in any ConfigMap. */}}
{{- define "parley.secretLooking" -}}
{{- if regexMatch "(?i)(SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|_KEY$|^KEY$|_TOKEN$|^TOKEN$|^DATABASE_URL$|^DATABASE_REPLICA_URLS$|^OIDC_PROVIDERS$|^REDIS_URL$)" . -}}
true
{{- end -}}
{{- end -}}

{{/* Pods of this release carrying a component, as a NetworkPolicy peer. */}}
{{- define "parley.peer" -}}
- podSelector:
    matchLabels:
      {{- include "parley.selectorLabels" . | nindent 6 }}
{{- end -}}

{{/* Ports of a NetworkPolicy rule from a list of numbers, TCP. */}}
{{- define "parley.tcpPorts" -}}
{{- $out := list -}}
{{- range . -}}
{{- $out = append $out (dict "protocol" "TCP" "port" .) -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}
