package dsr

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDue(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}
	s := New(Options{DefaultDays: 20})
	for _, tc := range []struct {
		reg, received, want string
	}{
		{GDPR, "2026-03-10T09:30:00Z", "2026-04-10T09:30:00Z"},
		{GDPR, "2026-01-31T12:00:00Z", "2026-02-28T12:00:00Z"}, // no 31 February: the month's last day
		{GDPR, "2028-01-30T12:00:00Z", "2028-02-29T12:00:00Z"}, // leap year
		{GDPR, "2026-12-15T00:00:00Z", "2027-01-15T00:00:00Z"},
		{CCPA, "2026-03-10T09:30:00Z", "2026-04-24T09:30:00Z"},
		{"lgpd", "2026-03-10T09:30:00Z", "2026-03-30T09:30:00Z"}, // the configured default
	} {
		require.Equal(t, at(tc.want), s.Due(tc.reg, at(tc.received)), "%s received %s", tc.reg, tc.received)
	}
	require.Equal(t, at("2026-04-09T00:00:00Z"), New(Options{}).Due("other", at("2026-03-10T00:00:00Z")), "default 30 days")
}
