package identity

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/wire"
)

// TestHostLocalLocation: only fs and host records may give a host's file
// or the host itself as a location, whatever the scheme's case and the
// spaces before it; other schemes, and short or empty locations, pass.
func TestHostLocalLocation(t *testing.T) {
	for _, tc := range []struct {
		source, location string
		refused          bool
	}{
		{wire.SourceSMB, "file:///srv/hr/payroll.csv", true},
		{wire.SourceSMB, " FILE:///srv/hr/payroll.csv", true},
		{wire.SourceDB, "\tHost:web-1", true},
		{wire.SourceGCS, "hOsT:", true},
		{wire.SourceSMB, "smb://files/hr/payroll.csv", false},
		{wire.SourceSMB, "fil", false},
		{wire.SourceSMB, "", false},
		{wire.SourceSMB, "files:///x", false},
		{wire.SourceFS, "FILE:///srv/hr/payroll.csv", false},
		{wire.SourceHost, "host:web-1", false},
	} {
		err := hostLocalLocation(3, &wire.Record{Source: tc.source, Location: tc.location})
		if !tc.refused {
			require.NoError(t, err, "%s %q", tc.source, tc.location)
			continue
		}
		var le *wire.LineError
		require.ErrorAs(t, err, &le, "%s %q", tc.source, tc.location)
		require.Equal(t, 3, le.Line)
		require.Equal(t, "location", le.Field)
	}
}
