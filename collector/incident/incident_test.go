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

func TestRequestCaps(t *testing.T) {
	many := make([]string, MaxItems+1)
	for i := range many {
		many[i] = "h"
	}
	long := []string{string(make([]byte, MaxItemLen+1))}
	for _, tc := range []struct {
		name string
		req  Request
		want string
	}{
		{"hosts", Request{Hosts: many}, "hosts has 1001 entries; at most 1000"},
		{"assets", Request{Assets: many}, "assets has 1001 entries; at most 1000"},
		{"locations", Request{Locations: many}, "locations has 1001 entries; at most 1000"},
		{"principals", Request{Principals: many}, "principals has 1001 entries; at most 1000"},
		{"long location", Request{Locations: long}, "locations[0] is longer than 4096 bytes"},
		{"at the cap", Request{Hosts: many[:MaxItems], Principals: many[:MaxItems]}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req.Check()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrTooMany)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
