package subjects_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/subjects"
)

func TestBudget(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	b := subjects.NewBudget(subjects.BudgetOptions{PerHour: 100, Now: func() time.Time { return now }})
	steps := []struct {
		token   string
		n       int
		advance time.Duration
		ok      bool
		wait    time.Duration
	}{
		{"a", 60, 0, true, 0},
		{"a", 40, 0, true, 0},
		{"a", 1, 0, false, 36 * time.Second}, // 100 per hour: one every 36 s
		{"b", 100, 0, true, 0},               // budgets are per token
		{"a", 1, 36 * time.Second, true, 0},  // the refused call spent nothing
		{"a", 10, 0, false, 360 * time.Second},
		{"a", 101, 24 * time.Hour, false, time.Hour}, // never more than an hour's worth
		{"a", 100, 0, true, 0},                       // and the refusal spent nothing
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		ok, wait := b.Take(s.token, s.n)
		require.Equal(t, s.ok, ok, "step %d", i)
		require.Equal(t, s.wait, wait.Round(time.Second), "step %d", i)
	}
}
