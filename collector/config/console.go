package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/internal/config"
)

// Console configures the web console served at / (collector/console).
// Zero values take the defaults named on each field.
type Console struct {
	// Disabled turns the console off: / answers 404 as before.
	Disabled bool `yaml:"disabled"`
	// SessionTTL bounds a console session from login (default 8h);
	// IdleTimeout ends it after this long without a request (default 1h).
	SessionTTL  time.Duration `yaml:"session_ttl"`
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxSessions bounds the ended and recently checked sessions one
	// collector caches in memory (default 10000); sessions themselves are
	// sealed in the browser (collector/session).
	MaxSessions int `yaml:"max_sessions"`
}

// OIDC configures single sign-on into the console (authorization code
// flow with PKCE). Leave the section out for token login only.
type OIDC struct {
	// Issuer is the provider's issuer URL (its discovery document is at
	// ISSUER/.well-known/openid-configuration).
	Issuer   string `yaml:"issuer"`
	ClientID string `yaml:"client_id"`
	// ClientSecretFile holds the client secret (or set
	// SIGHTLINE_OIDC_CLIENT_SECRET); empty for a public client.
	ClientSecretFile string `yaml:"client_secret_file"`
	ClientSecret     string `yaml:"-"`
	// RedirectURL is https://COLLECTOR/console/sso/callback, registered
	// at the provider for this client.
	RedirectURL string `yaml:"redirect_url"`
	// Scopes requested besides openid (default: email, profile); add the
	// one that releases the role claim (often groups).
	Scopes []string `yaml:"scopes"`
	// NameClaim names the person in the audit log and as a reviewer
	// (default email): access-review campaigns assign items to this name.
	NameClaim string `yaml:"name_claim"`
	// TrustUnverifiedEmail uses the email claim (for name_claim and
	// roles) although the provider does not send email_verified: true.
	// Default false: an address a person could type themselves is no
	// identity.
	TrustUnverifiedEmail bool `yaml:"trust_unverified_email"`
	// Roles map claims to Sightline roles; the first that matches wins,
	// and a person matching none cannot log in.
	Roles []OIDCRole `yaml:"roles"`
}

// OIDCRole gives Role to whoever's Claim is Value (or an array holding it).
type OIDCRole struct {
	Claim string `yaml:"claim"`
	Value string `yaml:"value"`
	Role  string `yaml:"role"`
}

// Enabled reports whether single sign-on is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// consoleRoles are the roles a console user may have.
var consoleRoles = []string{"admin", "security", "privacy", "reviewer"}

// loadConsole checks the console and oidc sections and reads the client
// secret.
func (c *Config) loadConsole() error {
	if err := c.Console.validate(); err != nil {
		return err
	}
	if err := c.OIDC.validate(c.Console); err != nil {
		return err
	}
	if !c.OIDC.Enabled() {
		return nil
	}
	s, err := config.Secret(c.OIDC.ClientSecretFile, "SIGHTLINE_OIDC_CLIENT_SECRET")
	if err != nil {
		return fmt.Errorf("oidc.client_secret_file: %w", err)
	}
	c.OIDC.ClientSecret = strings.TrimSpace(s)
	return nil
}

func (c Console) validate() error {
	switch {
	case c.SessionTTL < 0 || (c.SessionTTL > 0 && c.SessionTTL < 5*time.Minute) || c.SessionTTL > 7*24*time.Hour:
		return fmt.Errorf("console.session_ttl: must be between 5m and 168h (default 8h)")
	case c.IdleTimeout < 0 || (c.IdleTimeout > 0 && c.IdleTimeout < time.Minute):
		return fmt.Errorf("console.idle_timeout: must be at least 1m (default 1h)")
	case c.SessionTTL > 0 && c.IdleTimeout > c.SessionTTL:
		return fmt.Errorf("console.idle_timeout (%s) must not exceed console.session_ttl (%s)", c.IdleTimeout, c.SessionTTL)
	case c.MaxSessions < 0:
		return fmt.Errorf("console.max_sessions: must not be negative (default 10000)")
	}
	return nil
}

func (o OIDC) validate(c Console) error {
	if !o.Enabled() {
		if o.ClientID != "" || o.ClientSecretFile != "" || o.RedirectURL != "" || len(o.Roles) > 0 || len(o.Scopes) > 0 || o.NameClaim != "" || o.TrustUnverifiedEmail {
			return fmt.Errorf("oidc.issuer: required when any other oidc key is set (or remove the oidc section)")
		}
		return nil
	}
	if c.Disabled {
		return fmt.Errorf("oidc: single sign-on is for the console, which console.disabled turns off; remove one of them")
	}
	if err := secureURL("oidc.issuer", o.Issuer); err != nil {
		return err
	}
	if o.ClientID == "" {
		return fmt.Errorf("oidc.client_id: required (the client registered at the provider for Sightline)")
	}
	if err := secureURL("oidc.redirect_url", o.RedirectURL); err != nil {
		return err
	}
	if u, _ := url.Parse(o.RedirectURL); u.Path != "/console/sso/callback" {
		return fmt.Errorf("oidc.redirect_url: its path must be /console/sso/callback (the console's callback), not %q", u.Path)
	}
	for _, s := range o.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n") {
			return fmt.Errorf("oidc.scopes: %q is not a scope (one word per list entry)", s)
		}
	}
	if len(o.Roles) == 0 {
		return fmt.Errorf("oidc.roles: at least one rule {claim, value, role} is needed, or nobody could log in")
	}
	for i, r := range o.Roles {
		switch {
		case r.Claim == "" || r.Value == "":
			return fmt.Errorf("oidc.roles[%d]: claim and value are required (e.g. claim: groups, value: sightline-admins)", i)
		case !oneOf(r.Role, consoleRoles):
			return fmt.Errorf("oidc.roles[%d].role: %q is not one of %s", i, r.Role, strings.Join(consoleRoles, ", "))
		}
	}
	return nil
}

// secureURL accepts https URLs, and http only on a loopback host (a
// provider on the same machine, as in tests).
func secureURL(key, s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%s: %q is not an absolute URL without query or fragment", key, s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
			return nil
		}
	}
	return fmt.Errorf("%s: must be https (http only for a loopback address): %q", key, s)
}

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
