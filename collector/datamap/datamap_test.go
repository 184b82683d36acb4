package datamap

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHostJurisdiction(t *testing.T) {
	rules := []HostRule{{"*.eu.example.com", "EU"}, {"db-uk-*", "UK"}, {"*", "US"}}
	require.Equal(t, "EU", HostJurisdiction("web1.eu.example.com", rules))
	require.Equal(t, "UK", HostJurisdiction("db-uk-3", rules))
	require.Equal(t, "US", HostJurisdiction("anything", rules), "first match wins; * catches the rest")
	require.Equal(t, "", HostJurisdiction("x", nil))
}

func TestFilter(t *testing.T) {
	yes, no := true, false
	systems := []System{
		{System: "web-1", Source: "fs", Jurisdiction: "EU", Categories: []string{"contact"}, Types: []string{"email"}},
		{System: "open-eu", Source: "s3", Jurisdiction: "EU", Public: true, Categories: []string{"financial"}, Types: []string{"iban"}},
		{System: "db-1", Source: "fs", Jurisdiction: "US", Categories: []string{"contact", "financial"}, Types: []string{"email", "credit_card"}},
	}
	names := func(ss []System) []string {
		out := []string{}
		for _, s := range ss {
			out = append(out, s.System)
		}
		return out
	}
	for _, tc := range []struct {
		f    Filter
		want []string
	}{
		{Filter{}, []string{"web-1", "open-eu", "db-1"}},
		{Filter{Source: "fs"}, []string{"web-1", "db-1"}},
		{Filter{Jurisdiction: "eu"}, []string{"web-1", "open-eu"}},
		{Filter{Category: "financial"}, []string{"open-eu", "db-1"}},
		{Filter{Type: "email", Jurisdiction: "US"}, []string{"db-1"}},
		{Filter{Public: &yes}, []string{"open-eu"}},
		{Filter{Public: &no, Category: "financial"}, []string{"db-1"}},
		{Filter{Source: "ldap"}, []string{}},
	} {
		require.Equal(t, tc.want, names(tc.f.Apply(systems)), "%+v", tc.f)
	}
	require.Len(t, systems, 3, "Apply does not change its input")
}
