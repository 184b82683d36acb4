package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDSRDeadlines(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		reg        string
		days       int
		wantErr    string
	}{
		{"defaults", "", "gdpr", 30, ""},
		{"set", "dsr:\n  default_regulation: ccpa\n  default_days: 40\n", "ccpa", 40, ""},
		{"zero days", "dsr:\n  default_days: 0\n", "", 0, "dsr.default_days"},
		{"too many days", "dsr:\n  default_days: 400\n", "", 0, "dsr.default_days"},
		{"no regulation", "dsr:\n  default_regulation: \"\"\n", "", 0, "dsr.default_regulation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(write(t, tc.yaml))
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.reg, c.DSR.DefaultRegulation)
			require.Equal(t, tc.days, c.DSR.DefaultDays)
		})
	}
}
