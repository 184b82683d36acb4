package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReviewCycleSettings(t *testing.T) {
	for _, tc := range []struct {
		name, yaml    string
		due, interval time.Duration
		wantErr       string
	}{
		{"defaults", "", 14 * 24 * time.Hour, time.Minute, ""},
		{"set", "reviews:\n  removal_due: 168h\n  check_interval: 5m\n", 7 * 24 * time.Hour, 5 * time.Minute, ""},
		{"due too short", "reviews:\n  removal_due: 10m\n", 0, 0, "reviews: removal_due"},
		{"interval too short", "reviews:\n  check_interval: 10ms\n", 0, 0, "check_interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(write(t, tc.yaml))
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.due, c.Reviews.RemovalDue)
			require.Equal(t, tc.interval, c.Reviews.CheckInterval)
		})
	}
}
