package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const alertsYAML = `alerts:
  poll: 10s
  retry: {max_attempts: 5, base: 1s, cap: 1m}
  rules:
    - {name: exposed, kind: exposed_personal_data, destinations: [secops]}
    - {name: risky, kind: risk_score, threshold: 80, severity: critical}
    - {name: dsr-due, kind: dsr_deadline, within: 72h, destinations: [dpo]}
    - {name: remind, kind: review_reminder, older_than: 168h, every: 72h, destinations: [dpo]}
    - {name: pia, kind: pia_review}
  destinations:
    - {name: secops, type: webhook, url: "https://hooks.acme.test/sightline", secret_file: /etc/sightline/hook.secret}
    - {name: dpo, type: smtp, addr: "mail.acme.test:587", from: sightline@acme.test, to: [dpo@acme.test],
       username: sightline, password_file: /etc/sightline/smtp.pw}
    - {name: siem, type: ocsf_syslog, addr: "siem.acme.test:6514", tls: true}
    - {name: siem-http, type: ocsf_http, url: "https://siem.acme.test/services/collector", authorization_file: /etc/sightline/hec}
`

func TestAlertsSection(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, wantErr string
	}{
		{"none", "", ""},
		{"full", alertsYAML, ""},
		{"unknown key", "alerts:\n  rulez: []\n", "unknown keys are errors"},
		{"unknown rule key", "alerts:\n  rules:\n    - {name: a, kind: credential_found, treshold: 3}\n", "unknown keys are errors"},
		{"unknown kind", "alerts:\n  rules:\n    - {name: a, kind: nope}\n  destinations:\n    - {name: h, type: webhook, url: 'https://h.test', secret_file: /s}\n", "kind \"nope\""},
		{"no threshold", "alerts:\n  rules:\n    - {name: a, kind: risk_score}\n  destinations:\n    - {name: h, type: webhook, url: 'https://h.test', secret_file: /s}\n", "threshold between 1 and 100"},
		{"unsigned webhook", "alerts:\n  rules:\n    - {name: a, kind: credential_found}\n  destinations:\n    - {name: h, type: webhook, url: 'https://h.test'}\n", "secret_file"},
		{"plain http off loopback", "alerts:\n  rules:\n    - {name: a, kind: credential_found}\n  destinations:\n    - {name: h, type: webhook, url: 'http://h.test', secret_file: /s}\n", "must be https"},
		{"unknown destination", "alerts:\n  rules:\n    - {name: a, kind: credential_found, destinations: [x]}\n  destinations:\n    - {name: h, type: webhook, url: 'https://h.test', secret_file: /s}\n", "destination \"x\""},
		{"no destinations", "alerts:\n  rules:\n    - {name: a, kind: credential_found}\n", "at least one destination"},
		{"duplicate rule", "alerts:\n  rules:\n    - {name: a, kind: credential_found}\n    - {name: a, kind: privileged_account}\n  destinations:\n    - {name: h, type: webhook, url: 'https://h.test', secret_file: /s}\n", "must be unique"},
		{"older_than elsewhere", "alerts:\n  rules:\n    - {name: a, kind: credential_found, older_than: 1h}\n  destinations:\n    - {name: h, type: webhook, url: 'https://h.test', secret_file: /s}\n", "older_than and every are for review_reminder"},
		{"reminder every too short", "alerts:\n  rules:\n    - {name: a, kind: review_reminder, every: 10ms}\n  destinations:\n    - {name: h, type: webhook, url: 'https://h.test', secret_file: /s}\n", "every must be at least 1s"},
		{"reminder negative age", "alerts:\n  rules:\n    - {name: a, kind: review_reminder, older_than: -1h}\n  destinations:\n    - {name: h, type: webhook, url: 'https://h.test', secret_file: /s}\n", "older_than must not be negative"},
		{"smtp without recipients", "alerts:\n  rules:\n    - {name: a, kind: credential_found}\n  destinations:\n    - {name: m, type: smtp, addr: 'm.test:25', from: a@b.test}\n", "recipient"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(write(t, tc.yaml))
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			if tc.yaml == alertsYAML {
				require.Len(t, c.Alerts.Rules, 5)
				require.Equal(t, 168*time.Hour, c.Alerts.Rules[3].OlderThan)
				require.Equal(t, 72*time.Hour, c.Alerts.Rules[3].Every)
				require.Equal(t, "pia_review", c.Alerts.Rules[4].Kind)
				require.Equal(t, 80, c.Alerts.Rules[1].Threshold)
				require.Equal(t, 72*time.Hour, c.Alerts.Rules[2].Within)
				require.Len(t, c.Alerts.Destinations, 4)
				require.Equal(t, 10*time.Second, c.Alerts.Poll)
			}
		})
	}
}
