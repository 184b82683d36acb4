package datamap

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHostJurisdiction(t *testing.T) {
	rules := []HostRule{{"*.eu.example.com", "EU"}, {"db-uk-*", "UK"}, {"*", "US"}}
	require.Equal(t, "EU", hostJurisdiction("web1.eu.example.com", rules))
	require.Equal(t, "UK", hostJurisdiction("db-uk-3", rules))
	require.Equal(t, "US", hostJurisdiction("anything", rules), "first match wins; * catches the rest")
	require.Equal(t, "", hostJurisdiction("x", nil))
}
