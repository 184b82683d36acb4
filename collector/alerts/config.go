package alerts

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"time"

	"github.com/sightline-dev/sightline/internal/defaults"
)

// Config is the alerts section of collector.yaml.
type Config struct {
	// Rules say what fires; none: alerts are off.
	Rules []Rule `yaml:"rules"`
	// Destinations say where events go; a rule names some of them (none
	// named: all).
	Destinations []Destination `yaml:"destinations"`
	// Poll is how often the collector looks for a newly committed build
	// of the read index to evaluate, and for deliveries due (default 5s).
	Poll time.Duration `yaml:"poll"`
	// Retry bounds redelivery of a failed attempt.
	Retry Retry `yaml:"retry"`
}

// Retry is capped, jittered exponential backoff: attempt n waits between
// half and all of min(Cap, Base * 2^(n-1)).
type Retry struct {
	MaxAttempts int           `yaml:"max_attempts"` // default 8
	Base        time.Duration `yaml:"base"`         // default 2s
	Cap         time.Duration `yaml:"cap"`          // default 10m
	// Timeout bounds one attempt (default 10s).
	Timeout time.Duration `yaml:"timeout"`
}

// Rule kinds.
const (
	KindExposedPersonalData = "exposed_personal_data" // a public bucket or world-readable/public file holding personal data
	KindPrivilegedAccount   = "privileged_account"    // a privileged account
	KindCredentialFound     = "credential_found"      // a finding of category credential
	KindRiskScore           = "risk_score"            // an asset's risk score at or over threshold
	KindDSRDeadline         = "dsr_deadline"          // a request still open within `within` of its deadline
	KindOverdueRevocation   = "overdue_revocation"    // a revoked grant still present past its due date (Options.Revocations)
	KindReviewReminder      = "review_reminder"       // a reviewer's open items in a campaign older than older_than, every `every` (Options.Reminders)
	KindPIAReview           = "pia_review"            // a PIA whose facts changed since it was assessed (Options.PIAs)
)

// Kinds lists the rule kinds.
var Kinds = []string{KindExposedPersonalData, KindPrivilegedAccount, KindCredentialFound, KindRiskScore,
	KindDSRDeadline, KindOverdueRevocation, KindReviewReminder, KindPIAReview}

// Rule is one alert rule.
type Rule struct {
	// Name identifies the rule (its events' state is kept by name):
	// letters, digits, '-' and '_'.
	Name string `yaml:"name" json:"name"`
	Kind string `yaml:"kind" json:"kind"`
	// Severity: low, medium, high or critical (default: the kind's).
	Severity string `yaml:"severity" json:"severity"`
	// Threshold is the risk score (1–100) a risk_score rule fires at.
	Threshold int `yaml:"threshold" json:"threshold,omitempty"`
	// Within is how long before its deadline an open request fires a
	// dsr_deadline rule (default 72h); overdue requests fire too.
	Within time.Duration `yaml:"within" json:"-"`
	// OlderThan: a review_reminder rule reminds of items still undecided
	// in campaigns that started more than this long ago (default 168h).
	OlderThan time.Duration `yaml:"older_than" json:"-"`
	// Every is a review_reminder rule's reminder period: a reviewer with
	// open items in a campaign is reminded once per period (default 168h).
	Every time.Duration `yaml:"every" json:"-"`
	// Destinations names where its events go; empty: every destination.
	Destinations []string `yaml:"destinations" json:"destinations"`
	// DigestOver bounds the deliveries one evaluation of the rule makes
	// (default 100): past it, the rest of the events it fired are stored
	// and listed (GET /api/v1/alerts/events) but delivered as one digest
	// event that counts them, so a flood of findings — a compromised
	// agent's, or a first scan of a large estate — is not a flood of mail.
	DigestOver int `yaml:"digest_over" json:"digest_over"`
}

// defaultDigestOver is Rule.DigestOver's default.
const defaultDigestOver = 100

// Destination types.
const (
	DestWebhook     = "webhook"     // signed JSON POST of the event
	DestSMTP        = "smtp"        // e-mail
	DestOCSFHTTP    = "ocsf_http"   // OCSF Detection Finding JSON POST (a SIEM's HTTP collector)
	DestOCSFSyslog  = "ocsf_syslog" // OCSF JSON in RFC 5424 syslog over TCP (optionally TLS)
	defaultSeverity = "medium"
)

// Destination is one place events are delivered to. Secrets are read
// from files when the collector starts, never from this file.
type Destination struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"`
	// URL: webhook and ocsf_http.
	URL string `yaml:"url"`
	// SecretFile holds the HMAC-SHA256 key that signs a webhook's body
	// (required for webhook, optional for ocsf_http).
	SecretFile string `yaml:"secret_file"`
	// AuthorizationFile holds an Authorization header value (ocsf_http:
	// "Splunk <token>", "Bearer <token>").
	AuthorizationFile string `yaml:"authorization_file"`
	// Addr is host:port: smtp and ocsf_syslog.
	Addr string `yaml:"addr"`
	// TLS: ocsf_syslog over TLS, required unless addr is loopback. SMTP
	// always uses STARTTLS when the server offers it, and requires it
	// unless addr is loopback.
	TLS bool `yaml:"tls"`
	// CAFile holds the CA certificates (PEM) the server's certificate must
	// chain to (https, STARTTLS, syslog TLS); empty: the system's roots.
	CAFile string `yaml:"ca_file"`
	// SMTP: sender, recipients, and PLAIN auth (password from a file).
	From         string   `yaml:"from"`
	To           []string `yaml:"to"`
	Username     string   `yaml:"username"`
	PasswordFile string   `yaml:"password_file"`
	// Facility is the syslog facility number (default 10, authpriv).
	Facility int `yaml:"facility"`
}

var ruleName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Enabled reports whether any rule is configured.
func (c Config) Enabled() bool { return len(c.Rules) > 0 }

// WithDefaults fills what the section leaves out.
func (c Config) WithDefaults() Config {
	c.Poll = defaults.Positive(c.Poll, 5*time.Second)
	c.Retry.MaxAttempts = defaults.Positive(c.Retry.MaxAttempts, 8)
	c.Retry.Base = defaults.Positive(c.Retry.Base, 2*time.Second)
	c.Retry.Cap = defaults.Positive(c.Retry.Cap, 10*time.Minute)
	c.Retry.Timeout = defaults.Positive(c.Retry.Timeout, 10*time.Second)
	rules := make([]Rule, len(c.Rules))
	for i, r := range c.Rules {
		r.DigestOver = defaults.Positive(r.DigestOver, defaultDigestOver)
		if r.Severity == "" {
			r.Severity = kindSeverity[r.Kind]
		}
		if r.Kind == KindDSRDeadline && r.Within <= 0 {
			r.Within = 72 * time.Hour
		}
		if r.Kind == KindReviewReminder && r.OlderThan <= 0 {
			r.OlderThan = 7 * 24 * time.Hour
		}
		if r.Kind == KindReviewReminder && r.Every <= 0 {
			r.Every = 7 * 24 * time.Hour
		}
		rules[i] = r
	}
	c.Rules = rules
	return c
}

var kindSeverity = map[string]string{
	KindExposedPersonalData: "high", KindPrivilegedAccount: "medium", KindCredentialFound: "high",
	KindRiskScore: "high", KindDSRDeadline: "medium", KindOverdueRevocation: "high",
	KindReviewReminder: "low", KindPIAReview: "medium",
}

var severities = map[string]bool{"low": true, "medium": true, "high": true, "critical": true}

// Validate checks the section (files are read when the collector starts).
func (c Config) Validate() error {
	if c.Poll < 0 || c.Retry.MaxAttempts < 0 || c.Retry.Base < 0 || c.Retry.Cap < 0 || c.Retry.Timeout < 0 {
		return fmt.Errorf("alerts: poll and the retry settings must not be negative")
	}
	if c.Retry.Cap > 0 && c.Retry.Base > c.Retry.Cap {
		return fmt.Errorf("alerts.retry: base (%s) must not exceed cap (%s)", c.Retry.Base, c.Retry.Cap)
	}
	dests := map[string]bool{}
	for i, d := range c.Destinations {
		if !ruleName.MatchString(d.Name) || dests[d.Name] {
			return fmt.Errorf("alerts.destinations[%d]: name %q must be unique, of letters, digits, '-' and '_'", i, d.Name)
		}
		dests[d.Name] = true
		if err := d.validate(); err != nil {
			return fmt.Errorf("alerts.destinations[%d] (%s): %w", i, d.Name, err)
		}
	}
	names := map[string]bool{}
	for i, r := range c.Rules {
		if !ruleName.MatchString(r.Name) || names[r.Name] {
			return fmt.Errorf("alerts.rules[%d]: name %q must be unique, of letters, digits, '-' and '_' (its events' state is kept by name)", i, r.Name)
		}
		names[r.Name] = true
		if _, ok := kindSeverity[r.Kind]; !ok {
			return fmt.Errorf("alerts.rules[%d] (%s): kind %q is not one of %v", i, r.Name, r.Kind, Kinds)
		}
		if r.Severity != "" && !severities[r.Severity] {
			return fmt.Errorf("alerts.rules[%d] (%s): severity %q is not one of low, medium, high, critical", i, r.Name, r.Severity)
		}
		switch {
		case r.DigestOver < 0:
			return fmt.Errorf("alerts.rules[%d] (%s): digest_over must not be negative (0: the default, %d)", i, r.Name, defaultDigestOver)
		case r.Kind == KindRiskScore && (r.Threshold < 1 || r.Threshold > 100):
			return fmt.Errorf("alerts.rules[%d] (%s): a risk_score rule needs threshold between 1 and 100, such as 80", i, r.Name)
		case r.Kind != KindRiskScore && r.Threshold != 0:
			return fmt.Errorf("alerts.rules[%d] (%s): threshold is for risk_score rules only", i, r.Name)
		case r.Kind != KindDSRDeadline && r.Within != 0:
			return fmt.Errorf("alerts.rules[%d] (%s): within is for dsr_deadline rules only", i, r.Name)
		case r.Within < 0:
			return fmt.Errorf("alerts.rules[%d] (%s): within must not be negative", i, r.Name)
		case r.Kind != KindReviewReminder && (r.OlderThan != 0 || r.Every != 0):
			return fmt.Errorf("alerts.rules[%d] (%s): older_than and every are for review_reminder rules only", i, r.Name)
		case r.OlderThan < 0:
			return fmt.Errorf("alerts.rules[%d] (%s): older_than must not be negative (default 168h)", i, r.Name)
		case r.Every != 0 && r.Every < time.Second:
			return fmt.Errorf("alerts.rules[%d] (%s): every must be at least 1s (default 168h: one reminder a week)", i, r.Name)
		}
		for _, d := range r.Destinations {
			if !dests[d] {
				return fmt.Errorf("alerts.rules[%d] (%s): destination %q is not in alerts.destinations", i, r.Name, d)
			}
		}
	}
	if len(c.Rules) > 0 && len(c.Destinations) == 0 {
		return fmt.Errorf("alerts: rules need at least one destination (alerts.destinations)")
	}
	return nil
}

func (d Destination) validate() error {
	httpURL := func() error {
		u, err := url.Parse(d.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("url: must be an http(s) URL")
		}
		if u.Scheme == "http" && !loopback(u.Hostname()) {
			return fmt.Errorf("url: must be https (plain http only to loopback)")
		}
		return nil
	}
	hostPort := func() error {
		if _, _, err := net.SplitHostPort(d.Addr); err != nil {
			return fmt.Errorf("addr: must be host:port")
		}
		return nil
	}
	switch d.Type {
	case DestWebhook:
		if d.SecretFile == "" {
			return fmt.Errorf("secret_file: a webhook is signed; name the file holding its secret")
		}
		return httpURL()
	case DestOCSFHTTP:
		return httpURL()
	case DestSMTP:
		if err := hostPort(); err != nil {
			return err
		}
		if d.From == "" || len(d.To) == 0 {
			return fmt.Errorf("from and to: an e-mail destination needs a sender and at least one recipient")
		}
		if (d.Username == "") != (d.PasswordFile == "") {
			return fmt.Errorf("username and password_file go together")
		}
		return nil
	case DestOCSFSyslog:
		if d.Facility < 0 || d.Facility > 23 {
			return fmt.Errorf("facility: must be 0–23")
		}
		if err := hostPort(); err != nil {
			return err
		}
		// Events name where personal data lies: in the clear only to
		// loopback, as http and SMTP.
		if host, _, _ := net.SplitHostPort(d.Addr); !d.TLS && !loopback(host) {
			return fmt.Errorf("tls: must be true (syslog in the clear only to loopback)")
		}
		return nil
	}
	return fmt.Errorf("type %q is not one of webhook, smtp, ocsf_http, ocsf_syslog", d.Type)
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
