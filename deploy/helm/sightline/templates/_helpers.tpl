{{- define "sightline.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "sightline.fullname" -}}
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

{{- define "sightline.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "sightline.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: include with (list $ "collector"). */}}
{{- define "sightline.selector" -}}
{{- $ := index . 0 -}}
app.kubernetes.io/name: {{ include "sightline.name" $ }}
app.kubernetes.io/instance: {{ $.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* Image of one program: include with (list $ "collector"). */}}
{{- define "sightline.image" -}}
{{- $ := index . 0 -}}
{{- printf "%s/sightline-%s:%s" $.Values.image.registry (index . 1) (default $.Chart.AppVersion $.Values.image.tag) -}}
{{- end -}}

{{- define "sightline.keySecret" -}}
{{- default (printf "%s-keys" (include "sightline.fullname" .)) .Values.collector.keyFile.existingSecret -}}
{{- end -}}

{{- define "sightline.collectorURL" -}}
{{- default (printf "https://%s-collector.%s.svc:%v" (include "sightline.fullname" .) .Release.Namespace .Values.collector.service.port) .Values.agent.collectorURL -}}
{{- end -}}

{{/* collector.yaml: what the chart sets, with collector.config merged over it. */}}
{{- define "sightline.collectorConfig" -}}
{{- $ch := dict "addr" .Values.clickhouse.addr "database" .Values.clickhouse.database "username" .Values.clickhouse.username "password_file" "/etc/sightline/clickhouse/password" "tls" .Values.clickhouse.tls -}}
{{- if .Values.clickhouse.caSecret.name }}{{ $_ := set $ch "ca_file" "/etc/sightline/clickhouse-ca/ca.crt" }}{{ end -}}
{{- if .Values.clickhouse.serverName }}{{ $_ := set $ch "server_name" .Values.clickhouse.serverName }}{{ end -}}
{{- $tls := dict "cert_file" "/etc/sightline/tls/tls.crt" "key_file" "/etc/sightline/tls/tls.key" -}}
{{- if .Values.collector.tls.clientCASecretName }}{{ $_ := set $tls "client_ca_file" "/etc/sightline/client-ca/ca.crt" }}{{ end -}}
{{- $base := dict "listen" (printf "0.0.0.0:%v" .Values.collector.port) "tls" $tls "clickhouse" $ch "key_file" "/var/lib/sightline-collector/keys.json" "log_level" .Values.collector.logLevel -}}
{{- toYaml (mergeOverwrite $base (deepCopy .Values.collector.config)) -}}
{{- end -}}

{{/* Pod security context shared by the collector and the migration. */}}
{{- define "sightline.collectorPodSecurity" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
# The kubelet makes mounted Secrets group-readable for fsGroup; the key
# file is copied out of its Secret into a 0600 file (the collector refuses
# any other mode).
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "sightline.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/*
The collector's volumes and mounts, shared by the Deployment and the
migration Job: config, TLS, ClickHouse password (and CA), the key file's
Secret and the memory-backed directory its 0600 copy lives in.
*/}}
{{- define "sightline.collectorVolumes" -}}
{{- $ := .root -}}
- name: config
  configMap:
    name: {{ .configMap }}
- name: tls
  secret:
    secretName: {{ $.Values.collector.tls.secretName }}
    defaultMode: 0440
{{- if $.Values.collector.tls.clientCASecretName }}
- name: client-ca
  secret:
    secretName: {{ $.Values.collector.tls.clientCASecretName }}
    defaultMode: 0440
    items:
      - key: ca.crt
        path: ca.crt
{{- end }}
- name: clickhouse-password
  secret:
    secretName: {{ $.Values.clickhouse.passwordSecret.name }}
    defaultMode: 0440
    items:
      - key: {{ $.Values.clickhouse.passwordSecret.key }}
        path: password
{{- if $.Values.clickhouse.caSecret.name }}
- name: clickhouse-ca
  secret:
    secretName: {{ $.Values.clickhouse.caSecret.name }}
    defaultMode: 0440
    items:
      - key: {{ $.Values.clickhouse.caSecret.key }}
        path: ca.crt
{{- end }}
- name: key-secret
  secret:
    secretName: {{ include "sightline.keySecret" $ }}
    defaultMode: 0440
    items:
      - key: {{ $.Values.collector.keyFile.key }}
        path: keys.json
- name: keys
  emptyDir:
    medium: Memory
    sizeLimit: 1Mi
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "sightline.collectorMounts" -}}
- name: config
  mountPath: /etc/sightline/collector.yaml
  subPath: collector.yaml
  readOnly: true
- name: tls
  mountPath: /etc/sightline/tls
  readOnly: true
{{- if .Values.collector.tls.clientCASecretName }}
- name: client-ca
  mountPath: /etc/sightline/client-ca
  readOnly: true
{{- end }}
- name: clickhouse-password
  mountPath: /etc/sightline/clickhouse
  readOnly: true
{{- if .Values.clickhouse.caSecret.name }}
- name: clickhouse-ca
  mountPath: /etc/sightline/clickhouse-ca
  readOnly: true
{{- end }}
- name: keys
  mountPath: /var/lib/sightline-collector
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* The init container that copies the key file out of its Secret, mode 0600. */}}
{{- define "sightline.keyInit" -}}
- name: key-file
  image: {{ include "sightline.image" (list . "collector") }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["/usr/local/bin/sightline-init", "copy-secret", "--from", "/etc/sightline/keys-secret/keys.json", "--to", "/var/lib/sightline-collector/keys.json"]
  securityContext:
    {{- include "sightline.containerSecurity" . | nindent 4 }}
  volumeMounts:
    - name: key-secret
      mountPath: /etc/sightline/keys-secret
      readOnly: true
    - name: keys
      mountPath: /var/lib/sightline-collector
  resources:
    requests: {cpu: 10m, memory: 16Mi}
    limits: {memory: 32Mi}
{{- end -}}
