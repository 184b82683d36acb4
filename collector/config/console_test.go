package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/config"
)

func goodOIDC() OIDC {
	return OIDC{Issuer: "https://idp.example.com", ClientID: "sightline",
		RedirectURL: "https://sightline.example.com/console/sso/callback",
		Roles:       []OIDCRole{{Claim: "groups", Value: "sightline-admins", Role: "admin"}}}
}

func TestConsoleValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Console
		err  string
	}{
		{"zero is defaults", Console{}, ""},
		{"set", Console{SessionTTL: 4 * time.Hour, IdleTimeout: 30 * time.Minute, MaxSessions: 10}, ""},
		{"ttl too short", Console{SessionTTL: time.Minute}, "console.session_ttl"},
		{"ttl too long", Console{SessionTTL: 30 * 24 * time.Hour}, "console.session_ttl"},
		{"idle too short", Console{IdleTimeout: time.Second}, "console.idle_timeout"},
		{"idle beyond ttl", Console{SessionTTL: time.Hour, IdleTimeout: 2 * time.Hour}, "must not exceed"},
		{"negative max", Console{MaxSessions: -1}, "console.max_sessions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.validate()
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.err)
		})
	}
}

func TestOIDCValidate(t *testing.T) {
	mod := func(f func(*OIDC)) OIDC { o := goodOIDC(); f(&o); return o }
	for _, tc := range []struct {
		name string
		o    OIDC
		c    Console
		err  string
	}{
		{"absent", OIDC{}, Console{}, ""},
		{"good", goodOIDC(), Console{}, ""},
		{"loopback http", mod(func(o *OIDC) {
			o.Issuer = "http://127.0.0.1:5556"
			o.RedirectURL = "http://localhost:8080/console/sso/callback"
		}), Console{}, ""},
		{"keys without issuer", OIDC{ClientID: "x"}, Console{}, "oidc.issuer: required"},
		{"plain http elsewhere", mod(func(o *OIDC) { o.Issuer = "http://idp.example.com" }), Console{}, "must be https"},
		{"relative", mod(func(o *OIDC) { o.Issuer = "idp.example.com" }), Console{}, "oidc.issuer"},
		{"no client", mod(func(o *OIDC) { o.ClientID = "" }), Console{}, "oidc.client_id"},
		{"wrong callback path", mod(func(o *OIDC) { o.RedirectURL = "https://s.example.com/callback" }), Console{}, "/console/sso/callback"},
		{"no roles", mod(func(o *OIDC) { o.Roles = nil }), Console{}, "oidc.roles"},
		{"agent role", mod(func(o *OIDC) { o.Roles[0].Role = "agent" }), Console{}, "oidc.roles[0].role"},
		{"empty value", mod(func(o *OIDC) { o.Roles[0].Value = "" }), Console{}, "oidc.roles[0]"},
		{"bad scope", mod(func(o *OIDC) { o.Scopes = []string{"email profile"} }), Console{}, "oidc.scopes"},
		{"console off", goodOIDC(), Console{Disabled: true}, "console.disabled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.validate(tc.c)
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.err)
		})
	}
}

func TestConsoleYAMLAndSecret(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "oidc.secret")
	require.NoError(t, os.WriteFile(secret, []byte("s3cret\n"), 0o600))
	y := `
console:
  session_ttl: 4h
  idle_timeout: 20m
oidc:
  issuer: https://idp.example.com
  client_id: sightline
  client_secret_file: ` + secret + `
  redirect_url: https://sightline.example.com/console/sso/callback
  scopes: [email, groups]
  roles:
    - {claim: groups, value: dpo, role: privacy}
`
	var c Config
	require.NoError(t, config.DecodeYAML("test.yaml", []byte(y), &c))
	require.NoError(t, c.loadConsole())
	require.Equal(t, 4*time.Hour, c.Console.SessionTTL)
	require.Equal(t, "s3cret", c.OIDC.ClientSecret, "read from the file, trailing newline dropped")
	require.Equal(t, []OIDCRole{{Claim: "groups", Value: "dpo", Role: "privacy"}}, c.OIDC.Roles)

	// Unknown keys are refused, as everywhere in the config.
	require.Error(t, config.DecodeYAML("test.yaml", []byte("console:\n  sesion_ttl: 1h\n"), &c))
	require.Error(t, config.DecodeYAML("test.yaml", []byte("oidc:\n  client_secret: x\n"), &c), "the secret itself never goes in the YAML")
}
