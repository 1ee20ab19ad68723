{{/*
Refusals that values.schema.json cannot express. Each stops rendering with a message that says
what is wrong and what to set. Included by the Deployment, so every render runs them.
*/}}
{{- define "latchkey.validate" -}}
{{- $v := .Values }}
{{- $given := dict }}
{{- range $name := splitList " " (include "latchkey.secretNames" .) }}
{{- $_ := set $given $name (include "latchkey.secretGiven" (list $ $name)) }}
{{- end }}

{{- if $v.secrets.existingSecret }}
{{- range $name, $value := $v.secrets.values }}
{{- if $value }}
{{- fail (printf "latchkey: secrets.values.%s is set together with secrets.existingSecret; put every secret setting in the existing Secret (mapped by secrets.existingSecretKeys) or give them all as secrets.values, not both" $name) }}
{{- end }}
{{- end }}
{{- end }}

{{- range $name, $ref := $v.secrets.secretKeyRefs }}
{{- if index $v.secrets.values $name }}
{{- fail (printf "latchkey: %s is given twice, in secrets.values and in secrets.secretKeyRefs; keep one" $name) }}
{{- end }}
{{- end }}

{{- $scaled := or (gt (int $v.replicaCount) 1) $v.autoscaling.enabled }}
{{- if and $scaled (not (include "latchkey.external" .)) }}
{{- $missing := list }}
{{- if not $given.DATABASE_URL }}{{ $missing = append $missing "DATABASE_URL" }}{{ end }}
{{- if not $given.REDIS_URL }}{{ $missing = append $missing "REDIS_URL" }}{{ end }}
{{- fail (printf "latchkey: refusing to run the embedded default with more than one replica (replicaCount=%d, autoscaling.enabled=%t): without %s each pod keeps its own SQLite file and in-process session store, so users would be signed out and see different data from pod to pod. Set DATABASE_URL and REDIS_URL (secrets.values, or secrets.existingSecret with secrets.existingSecretKeys), or run one replica (replicaCount: 1, autoscaling.enabled: false)" (int $v.replicaCount) $v.autoscaling.enabled (join " and " $missing)) }}
{{- end }}

{{- if and $v.persistence.enabled $given.DATABASE_URL }}
{{- fail "latchkey: persistence.enabled keeps the embedded SQLite file, but DATABASE_URL is set (PostgreSQL holds the data); turn persistence off" }}
{{- end }}

{{- if eq (toString $v.config.NODE_ENV) "production" }}
{{- $missing := list }}
{{- range $name := list "COOKIE_KEYS" "KEY_ENCRYPTION_KEY" "SMTP_URL" }}
{{- if not (index $given $name) }}{{ $missing = append $missing $name }}{{ end }}
{{- end }}
{{- if $missing }}
{{- fail (printf "latchkey: %s required with config.NODE_ENV=production (Latchkey refuses to start without them); give them in secrets.values or map them with secrets.existingSecretKeys. COOKIE_KEYS and KEY_ENCRYPTION_KEY: openssl rand -base64 32" (join ", " $missing)) }}
{{- end }}
{{- end }}

{{- if not $v.config.ISSUER }}
{{- fail "latchkey: config.ISSUER is required: the public URL users and applications reach Latchkey at, such as https://login.example.com (it is the OpenID issuer identifier; a change signs every user out and breaks existing tokens)" }}
{{- end }}
{{- $issuer := urlParse $v.config.ISSUER }}
{{- $trustProxy := $v.config.TRUST_PROXY | default "" }}
{{- if and (eq $issuer.scheme "https") (not $trustProxy) }}
{{- fail "latchkey: config.TRUST_PROXY is required with an https config.ISSUER: Latchkey serves plain HTTP and learns that a request came over https only from X-Forwarded-Proto sent by a proxy it trusts. List the addresses or CIDR ranges of the ingress controller or load balancer pods (for example the cluster's pod CIDR)" }}
{{- end }}
{{- if and $v.ingress.enabled $v.ingress.host (ne $v.ingress.host $issuer.hostname) }}
{{- fail (printf "latchkey: ingress.host %q differs from the host of config.ISSUER (%q); the issuer must be served at its own URL, so leave ingress.host empty or make them equal" $v.ingress.host $issuer.hostname) }}
{{- end }}

{{- $twilio := list (toString (default "" $v.config.TWILIO_ACCOUNT_SID)) (toString (default "" $v.config.TWILIO_FROM)) $given.TWILIO_AUTH_TOKEN }}
{{- if and (has "" $twilio) (not (eq (len (without $twilio "")) 0)) }}
{{- fail "latchkey: Twilio needs config.TWILIO_ACCOUNT_SID, config.TWILIO_FROM and the TWILIO_AUTH_TOKEN secret together; set all three or none" }}
{{- end }}

{{- $drain := add (int $v.preStopSleepSeconds) 35 }}
{{- if lt (int $v.terminationGracePeriodSeconds) (int $drain) }}
{{- fail (printf "latchkey: terminationGracePeriodSeconds (%d) must be at least preStopSleepSeconds + 35 = %d: after SIGTERM Latchkey drains in-flight requests for up to 30 s and then closes its connections, and Kubernetes kills it when the grace period ends" (int $v.terminationGracePeriodSeconds) (int $drain)) }}
{{- end }}
{{- end }}
