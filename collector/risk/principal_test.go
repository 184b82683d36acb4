package risk

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/wire"
)

var now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func daysAgo(n int) *time.Time {
	t := now.Add(-time.Duration(n) * 24 * time.Hour)
	return &t
}

func TestAssessPrincipal(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name string
		e    store.PrincipalExposure
		want []Factor
	}{
		{"nothing to score", store.PrincipalExposure{Enabled: &yes}, nil},
		{"host privilege is root-equivalent", store.PrincipalExposure{Source: wire.SourceHost, Privileged: true,
			PrivilegedVia: []string{"member of wheel: sudo /etc/sudoers:3"}},
			[]Factor{{"full administrator: member of wheel: sudo /etc/sudoers:3", 30}}},
		{"domain admin, the weightiest path named", store.PrincipalExposure{Source: wire.SourceLDAP, Privileged: true,
			PrivilegedVia: []string{"member of Backup Operators", "member of Domain Admins via tier0"}},
			[]Factor{{"full administrator: member of Domain Admins via tier0 (and 1 more paths)", 30}}},
		{"IAM *:*", store.PrincipalExposure{Source: wire.SourceIAM, Privileged: true, PrivilegedVia: []string{"inline policy p allows *:*"}},
			[]Factor{{"full administrator: inline policy p allows *:*", 30}}},
		{"IAM escalation", store.PrincipalExposure{Source: wire.SourceIAM, Privileged: true,
			PrivilegedVia: []string{"privilege escalation: iam:CreatePolicyVersion (policy x)"}},
			[]Factor{{"can escalate to administrator: privilege escalation: iam:CreatePolicyVersion (policy x)", 25}}},
		{"other privileged group", store.PrincipalExposure{Source: wire.SourceLDAP, Privileged: true,
			PrivilegedVia: []string{"well-known privileged group DnsAdmins"}},
			[]Factor{{"privileged: well-known privileged group DnsAdmins", 20}}},
		{"disabled but privileged; the scanner's flag is not counted twice", store.PrincipalExposure{Source: wire.SourceLDAP,
			Enabled: &no, Privileged: true, PrivilegedVia: []string{"well-known privileged group DnsAdmins"},
			Hygiene: []string{"disabled_but_privileged"}},
			[]Factor{{"privileged: well-known privileged group DnsAdmins", 20},
				{"disabled but still privileged (enabling it again restores the privilege)", 15}}},
		{"stale and privileged", store.PrincipalExposure{Source: wire.SourceLDAP, Enabled: &yes, Privileged: true,
			PrivilegedVia: []string{"member of Domain Admins"}, Stale: true, LastLogin: daysAgo(200),
			Hygiene: []string{"stale_and_privileged"}},
			[]Factor{{"full administrator: member of Domain Admins", 30}, {"stale and privileged: no login for 200 days", 20}}},
		{"the scanner's stale flag alone does not make it stale", store.PrincipalExposure{Source: wire.SourceLDAP, Enabled: &yes,
			Privileged: true, PrivilegedVia: []string{"member of Domain Admins"}, LastLogin: daysAgo(60),
			Hygiene: []string{"stale_and_privileged"}},
			[]Factor{{"full administrator: member of Domain Admins", 30}}},
		{"stale, never logged in", store.PrincipalExposure{Enabled: &yes, Stale: true, Created: daysAgo(400)},
			[]Factor{{"stale: never logged in, created 400 days ago", 5}}},
		{"each hygiene flag its weight", store.PrincipalExposure{Hygiene: []string{"kerberoastable", "asrep_roastable",
			"password_never_expires", "password_not_required", "orphaned_admin_count"}},
			[]Factor{{"hygiene: kerberoastable", 10}, {"hygiene: asrep_roastable", 15}, {"hygiene: password_never_expires", 5},
				{"hygiene: password_not_required", 15}, {"hygiene: orphaned_admin_count", 5}}},
		{"IAM flags, numbers in them", store.PrincipalExposure{Hygiene: []string{"console_without_mfa",
			"access_key_1_older_than_90_days", "access_key_2_unused_180_days", "inactive_user_with_active_keys"}},
			[]Factor{{"hygiene: console_without_mfa", 15}, {"hygiene: access_key_1_older_than_90_days", 5},
				{"hygiene: access_key_2_unused_180_days", 5}, {"hygiene: inactive_user_with_active_keys", 10}}},
		{"a second root", store.PrincipalExposure{Hygiene: []string{"uid 0 account other than root"}},
			[]Factor{{"hygiene: uid 0 account other than root", 25}}},
		{"a flag the model does not know still counts", store.PrincipalExposure{Hygiene: []string{"something_new"}},
			[]Factor{{"hygiene: something_new", 5}}},
		{"personal data within reach", store.PrincipalExposure{ReadableAssets: 1},
			[]Factor{{"can read 1 assets holding personal data", 5}}},
		{"reach doubles", store.PrincipalExposure{ReadableAssets: 7},
			[]Factor{{"can read 7 assets holding personal data", 15}}},
		{"reach capped", store.PrincipalExposure{ReadableAssets: 100000},
			[]Factor{{"can read 100000 assets holding personal data", 30}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := AssessPrincipal(tc.e, now)
			require.Equal(t, tc.want, s.Factors)
			sum := 0
			for _, f := range s.Factors {
				sum += f.Points
			}
			require.Equal(t, sum, s.Score, "a score is the sum of its factors")
		})
	}
}

func TestAssessPrincipalCapped(t *testing.T) {
	no := false
	s := AssessPrincipal(store.PrincipalExposure{Source: wire.SourceHost, Enabled: &no, Privileged: true, PrivilegedVia: []string{"uid 0"},
		Hygiene: []string{"uid 0 account other than root", "password_not_required", "something"}, ReadableAssets: 1000}, now)
	require.Equal(t, 100, s.Score, "30+15+25+15+5+30 is capped")
	require.Len(t, s.Factors, 6)
}

func TestReadablePoints(t *testing.T) {
	for n, want := range map[uint64]int{1: 5, 2: 10, 3: 10, 4: 15, 7: 15, 8: 20, 15: 20, 16: 25, 31: 25, 32: 30, 1 << 40: 30} {
		require.Equal(t, want, readablePoints(n), "n=%d", n)
	}
}

func TestDigitsToN(t *testing.T) {
	require.Equal(t, "access_key_N_older_than_N_days", digitsToN("access_key_1_older_than_180_days"))
	require.Equal(t, "uid N account other than root", digitsToN("uid 0 account other than root"))
	require.Equal(t, "kerberoastable", digitsToN("kerberoastable"))
}
