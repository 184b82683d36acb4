package incident

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRules(t *testing.T) {
	names := func(ts []Type) []string {
		var out []string
		for _, r := range rules(ts) {
			out = append(out, r.Name+": "+r.Because)
		}
		return out
	}
	require.Equal(t, []string{
		"GDPR Art. 33/34: bank accounts issued in DE, FR",
		"UK GDPR: bank accounts issued in GB",
		"US state breach-notification laws: US Social Security numbers",
		"credential exposure: aws access keys",
	}, names([]Type{
		{Type: "iban", IssuingCountries: countries([]string{"GB", "DE", "FR", "**", "US"})},
		{Type: "uk_nino"}, {Type: "us_ssn"}, {Type: "aws_access_key"}, {Type: "email"},
	}))
	require.Empty(t, names([]Type{{Type: "email"}, {Type: "iban", IssuingCountries: []string{"US"}}}),
		"an email alone or a non-EEA bank account names no rule")
}
