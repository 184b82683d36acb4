package pii

import (
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRound4Rules holds the rules the fourth held-out round added, each
// with a counter-case: aligned keys, long registry tokens and AWS's
// documentation secret under password keys, IPv6 prefixes, the German
// "Rückfragen", PGP private key blocks and PEM keys encoded in base64.
func TestRound4Rules(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	long := "pypi-AgEIcHlwaS5vcmcCJGQ3ZjE4YzJhLTRiN2QtNGUyMS05YzNhLThkNWYwYjJlN2ExNAACKlszLCJhYmMiXQAABiD7x9Lm2Kq7Zr3Vb8Tc4Np5Hd6Jw1Fs0Ge2Ra8Ub3Qt"
	tests := []struct {
		name, text string
		want       []string
	}{
		{"aligned HCL key", `db_password         = "Tf!Pr0d-Bill#2026"`, []string{TypePassword}},
		{"PHP array arrow", `'password' => 'L4ravel#Db26',`, []string{TypePassword}},
		{"arrow to code", `x.then(pwd => pwd.trimStart())`, nil},
		{"arrow to a call", `'password' => env('DB_PASSWORD', 'forge'),`, nil},
		{"array element", `$cfg['Servers'][$i]['password'] = 'PmA!2026pw';`, []string{TypePassword}},
		{"env list pair", "- name: DB_PASSWORD\n  value: \"K8sEnv!Db-2026\"\n- name: LOG_LEVEL\n  value: debug-verbose\n", []string{TypePassword}},
		{"one-line pair", `{"name": "smtp_password", "value": "Sm7p!Pair-26"}`, []string{TypePassword}},
		{"value under nothing", "value: Xk9#mP2vL!q7\nname: x\n", nil},
		{"aligned key naming nothing", `db_username         = "billing-app"`, nil},
		{"registry token under password", "password = " + long, []string{TypePassword}},
		{"AWS documentation secret", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", nil},
		{"IPv6 prefix", `<Data Name="IpAddress">fe80::</Data> route 2001:db8:4a2f::`, nil},
		{"IPv6 address", "from 2001:db8:4a2f:11::7 port 22", []string{TypeIPAddress}},
		{"Rückfragen unter", "Rückfragen unter 089 21847 3390 oder per Mail.", []string{TypePhoneNumber}},
		{"PGP private key", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlFgEZ2fK8xYJKwYBBAHaRw8BAQdA\n-----END PGP PRIVATE KEY BLOCK-----\n", []string{TypePrivateKey}},
		{"PGP public key", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ2fK8xYJKwYBBAHaRw8BAQdA\n-----END PGP PUBLIC KEY BLOCK-----\n", nil},
		{"base64 PEM key", "client-key-data: " + b64("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END RSA PRIVATE KEY-----\n"), []string{TypePrivateKey}},
		{"base64 PEM certificate", "certificate-authority-data: " + b64("-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0B\n-----END CERTIFICATE-----\n"), nil},
	}
	d := NewDefault()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			d.Detect([]byte(tc.text), func(m Match) { got = append(got, m.Type) })
			require.Equal(t, tc.want, got)
		})
	}
}

// TestNameObjectParts: a name object's parts are names (FHIR HumanName,
// {"name": {"first": …}}), a host's or user's are not.
func TestNameObjectParts(t *testing.T) {
	fd := NewDefault().(FieldDetector)
	for _, tc := range []struct {
		field string
		want  bool
	}{{"name.family", true}, {"name.given", true}, {"patientName.last", true}, {"name.first", true},
		{"hostname.first", false}, {"username.last", false}, {"range.first", false}} {
		found := false
		fd.DetectField([]byte(tc.field), []byte("Okonkwo"), func(m Match) { found = found || m.Type == TypePersonName })
		require.Equal(t, tc.want, found, tc.field)
	}
}
