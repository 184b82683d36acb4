package pia

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRate(t *testing.T) {
	tests := []struct {
		likelihood, severity, rating string
		score                        int
	}{
		{"remote", "minimal", RatingLow, 11},
		{"possible", "minimal", RatingLow, 22},
		{"remote", "severe", RatingMedium, 33},
		{"possible", "significant", RatingMedium, 44},
		{"probable", "significant", RatingHigh, 67},
		{"probable", "severe", RatingHigh, 100},
		{"", "severe", "", 0},
		{"likely", "severe", "", 0},
	}
	for _, tc := range tests {
		rating, score := Rate(tc.likelihood, tc.severity)
		require.Equal(t, tc.rating, rating, "%s × %s", tc.likelihood, tc.severity)
		require.Equal(t, tc.score, score, "%s × %s", tc.likelihood, tc.severity)
	}
}

func TestChanges(t *testing.T) {
	base := Facts{System: "s3:hr", Categories: []string{"contact"}, Jurisdiction: "EU", MaxReaders: 3}
	with := func(f func(*Facts)) Facts { c := base; f(&c); return c }
	tests := []struct {
		name string
		cur  map[string]Facts
		want []string
	}{
		{"unchanged", map[string]Facts{"s3:hr": base}, []string{}},
		{"fewer readers and more occurrences are no reason", map[string]Facts{"s3:hr": with(func(f *Facts) { f.MaxReaders, f.Occurrences = 1, 99 })}, []string{}},
		{"new category", map[string]Facts{"s3:hr": with(func(f *Facts) { f.Categories = []string{"contact", "health"} })},
			[]string{"s3:hr: new category health"}},
		{"public bucket", map[string]Facts{"s3:hr": with(func(f *Facts) { f.Public, f.PublicAssets = true, 2 })},
			[]string{"s3:hr: the bucket is now public", "s3:hr: 2 public assets (was 0)"}},
		{"more readers", map[string]Facts{"s3:hr": with(func(f *Facts) { f.MaxReaders = 40 })},
			[]string{"s3:hr: up to 40 principals can read one asset (was 3)"}},
		{"jurisdiction", map[string]Facts{"s3:hr": with(func(f *Facts) { f.Jurisdiction = "US" })},
			[]string{"s3:hr: jurisdiction is now US (was EU)"}},
		{"gone", map[string]Facts{}, []string{"s3:hr: the scans no longer show personal data here (removed, or no longer scanned)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Changes([]Facts{base}, []string{"s3:hr"}, tc.cur))
		})
	}
}
