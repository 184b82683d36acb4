package console

import (
	"net/http"
	"time"

	"github.com/sightline-dev/sightline/collector/config"
	"github.com/sightline-dev/sightline/collector/session"
)

// FromConfig builds the session store and, when the oidc section is set,
// the single sign-on client from collector.yaml's console and oidc
// sections (already validated by config.Load). key seals sessions and
// login state (keys.Keys.ConsoleKey: the same on every collector of the
// database) and rev records logouts where they all see them; nil for
// either keeps that to this process.
func FromConfig(c config.Console, o config.OIDC, key []byte, rev session.Revocations, now func() time.Time) (*session.Store, *session.OIDC, error) {
	st, err := session.NewStore(session.Options{TTL: c.SessionTTL, IdleTimeout: c.IdleTimeout, MaxSessions: c.MaxSessions,
		Key: key, Revocations: rev, Now: now})
	if err != nil {
		return nil, nil, err
	}
	if !o.Enabled() {
		return st, nil, nil
	}
	rules := make([]session.RoleRule, len(o.Roles))
	for i, r := range o.Roles {
		rules[i] = session.RoleRule{Claim: r.Claim, Value: r.Value, Role: r.Role}
	}
	p, err := session.NewOIDC(session.OIDCOptions{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		RedirectURL: o.RedirectURL, Scopes: o.Scopes, NameClaim: o.NameClaim, Roles: rules,
		TrustUnverifiedEmail: o.TrustUnverifiedEmail,
		HTTPClient:           &http.Client{Timeout: 15 * time.Second}, Key: key, Now: now})
	if err != nil {
		return nil, nil, err
	}
	return st, p, nil
}
