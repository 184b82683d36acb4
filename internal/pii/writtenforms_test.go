package pii

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Values as people and servers write them in free text: an IBAN in lower
// case (ISO 13616 letters are case-insensitive) and an IPv4 client as a
// dual-stack server logs it (::ffff:10.1.2.3), which is the same address.
func TestWrittenForms(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string // values found, in order
	}{
		{"lower-case IBAN, grouped", "refund to de89 3704 0044 0532 0130 00 please", []string{"DE89370400440532013000"}},
		{"lower-case IBAN, letters in the second group", "mijn rekening nl91 abna 0417 1643 00 graag", []string{"NL91ABNA0417164300"}},
		{"lower-case IBAN after the word IBAN", "IBAN fr14 2004 1010 0505 0001 3m02 606 merci", []string{"FR1420041010050500013M02606"}},
		{"ungrouped after IBAN", "Iban nl91abna0417164300.", []string{"NL91ABNA0417164300"}},
		{"after IBAN:", "IBAN: gb82west12345698765432", []string{"GB82WEST12345698765432"}},
		{"capitals as before", "DE89 3704 0044 0532 0130 00", []string{"DE89370400440532013000"}},
		// Decoys: a failing check digit, mixed case, lower-case hex ids.
		{"lower case, bad check digits", "refund to de88 3704 0044 0532 0130 00", nil},
		{"mixed case in one IBAN", "refund to de89 3704 0044 0532 0130 00 nl91 ABNA 0417 1643 00", []string{"DE89370400440532013000", "NL91ABNA0417164300"}},
		{"hex span id without the word", "span be12345678901234 ok", nil},
		{"ipv4-mapped IPv6 is the IPv4 address", "client ::ffff:10.20.30.40 port 443", []string{"10.20.30.40"}},
		{"plain IPv6 stays", "client 2001:db8::7 port 443", []string{"2001:db8::7"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			NewDefault().Detect([]byte(tc.text), func(m Match) { got = append(got, string(m.Value)) })
			require.Equal(t, tc.want, got)
		})
	}
	// A subject search states the address either way and finds the same token.
	for _, v := range []string{"::ffff:10.20.30.40", "10.20.30.40", "[::ffff:10.20.30.40]"} {
		n, ok := NormalizeAs(TypeIPAddress, v)
		require.True(t, ok, v)
		require.Equal(t, "10.20.30.40", n, v)
	}
}

// Secrets of machines under keys named for them count as passwords; HTTP
// Basic credentials give their password; names of secrets do not count.
func TestSecretKeysAndBasicAuth(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"aws secret", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Kd93LmN", []string{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Kd93LmN"}},
		{"client secret", `"client_secret": "9f8e7d6c5b4a3f2e1d0c"`, []string{"9f8e7d6c5b4a3f2e1d0c"}},
		{"API_SECRET env", "API_SECRET=Zx81-qWe7-Lp02", []string{"Zx81-qWe7-Lp02"}},
		{"a secret's name", "existingSecret: my-app-tls", nil},
		{"secretName", "secretName: my-app-tls", nil},
		{"placeholder secret", "client_secret: changeme", nil},
		{"basic header", "Authorization: Basic YWRtaW46QWRtMW5QYXNzdzByZA== from 10.0.0.1x", []string{"Adm1nPassw0rd"}},
		{"docker auth", `"auth": "ZGVwbG95OlN1cGVyU2VjcmV0UGFzczE="`, []string{"SuperSecretPass1"}},
		{"bearer is not basic", "Authorization: Bearer abcdefghijklmnop", nil},
		{"auth flag", "auth: true", nil},
		{"no user", `"auth": "OlN1cGVyU2VjcmV0UGFzczE="`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			NewDefault().Detect([]byte(tc.text), func(m Match) {
				if m.Type == TypePassword {
					got = append(got, string(m.Value))
				}
			})
			require.Equal(t, tc.want, got)
		})
	}
}

func FuzzBasicAuthPassword(f *testing.F) {
	f.Add([]byte("Basic YWRtaW46QWRtMW5QYXNzdzByZA=="))
	f.Add([]byte("ZGVwbG95Og=="))
	f.Add([]byte("basic    ////"))
	f.Fuzz(func(t *testing.T, v []byte) {
		p, n, ok := basicAuthPassword(v)
		if !ok {
			return
		}
		require.True(t, validPassword(p))
		require.LessOrEqual(t, n, len(v))
		require.Positive(t, n)
	})
}
