package incident

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
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

func TestImpactOf(t *testing.T) {
	im := impactOf([]store.ImpactRow{
		{Category: "contact", Type: "email", Assets: 3, Hosts: 2, Occurrences: 40, DistinctSum: 30, TokensUnique: 12},
		{Category: "financial", Type: "iban", Assets: 1, Hosts: 1, Occurrences: 5, DistinctSum: 5, TokensUnique: 5,
			SamplePrefixes: []string{"NL", "DE", "d3", "DE"}},
		{Category: "government_id", Type: "us_ssn", Assets: 1, Hosts: 1, Occurrences: 2, DistinctSum: 2, TokensUnique: 1,
			SamplePrefixes: []string{"US"}},
	})
	require.Equal(t, []Type{
		{Category: "contact", Type: "email", Assets: 3, Hosts: 2, Records: 40, PeopleAtLeast: 12, PeopleAtMost: 30},
		{Category: "financial", Type: "iban", Assets: 1, Hosts: 1, Records: 5, PeopleAtLeast: 5, PeopleAtMost: 5,
			IssuingCountries: []string{"DE", "DE", "NL"}},
		{Category: "government_id", Type: "us_ssn", Assets: 1, Hosts: 1, Records: 2, PeopleAtLeast: 1, PeopleAtMost: 2},
	}, im.Types, "issuing countries only for IBANs, and only two capital letters")
	require.Equal(t, uint64(47), im.Records)
	var names []string
	for _, r := range im.Rules {
		names = append(names, r.Name)
	}
	require.Equal(t, []string{"GDPR Art. 33/34", "US state breach-notification laws"}, names)
	require.Contains(t, im.Rules[0].Because, "DE, DE, NL")

	none := impactOf(nil)
	require.Equal(t, Impact{Types: []Type{}, Rules: []Rule{}}, none, "nothing found is an empty answer, not a null one")
}

func TestRulesDeduplicated(t *testing.T) {
	rs := rules([]Type{{Type: "uk_nino"}, {Type: "iban", IssuingCountries: []string{"GB"}}, {Type: "credit_card"},
		{Type: "private_key"}})
	var names []string
	for _, r := range rs {
		names = append(names, r.Name+": "+r.Because)
	}
	require.Equal(t, []string{
		"UK GDPR: bank accounts issued in GB",
		"PCI DSS: payment card numbers",
		"credential exposure: private keys",
	}, names, "UK GDPR is reached twice and named once (the first reason kept); credential exposure per type")
	require.Len(t, rules([]Type{{Type: "aws_access_key"}, {Type: "private_key"}}), 1,
		"one rule per name: both key types are one credential exposure")
}

func TestEmpty(t *testing.T) {
	require.True(t, empty(store.ImpactScope{}))
	for _, sc := range []store.ImpactScope{{Hosts: []string{"h"}}, {AssetIDs: []string{"a"}}, {LocationPrefixes: []string{"s3://b/"}}, {Principals: []string{"u1"}}} {
		require.False(t, empty(sc), "%+v", sc)
	}
}

func TestRulesNextTypes(t *testing.T) {
	rs := rules([]Type{{Type: "fr_nir"}, {Type: "nl_bsn"}, {Type: "health_record"}, {Type: "github_token"}, {Type: "email"}})
	var names []string
	for _, r := range rs {
		names = append(names, r.Name+": "+r.Because)
	}
	require.Equal(t, []string{
		"GDPR Art. 33/34: national identifiers issued in the EU (fr_nir, nl_bsn)",
		"health data (GDPR Art. 9, HIPAA): diagnosis codes and medical record numbers",
		"credential exposure: github tokens",
	}, names)
	require.Empty(t, rules([]Type{{Type: "person_name"}, {Type: "in_aadhaar"}}), "no rule is invented for types without one")
}
