package triage_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/triage"
)

// refusing is a store no refused input may reach.
type refusing struct{ t *testing.T }

func (r refusing) fail() { r.t.Helper(); r.t.Fatal("a refused input reached the store") }
func (r refusing) PutAllowRule(context.Context, store.AllowRule) error {
	r.fail()
	return nil
}
func (r refusing) AllowRules(context.Context) ([]store.AllowRule, error) { r.fail(); return nil, nil }
func (r refusing) PutTriage(context.Context, store.TriageChange) error   { r.fail(); return nil }
func (r refusing) TriageHistory(context.Context, string, string) ([]store.TriageChange, error) {
	r.fail()
	return nil, nil
}
func (r refusing) TriagedFindings(context.Context, string) ([]store.TriagedFinding, error) {
	r.fail()
	return nil, nil
}
func (r refusing) CurrentFinding(context.Context, string, string) (string, uint64, bool, error) {
	r.fail()
	return "", 0, false, nil
}

type noKeys struct{}

func (noKeys) SearchTokens([]byte) []string { return []string{"t"} }
func (noKeys) RekeyToken(string) string     { return "t" }
func (noKeys) Generation() uint32           { return 1 }

func TestAllowRefusesNamingTheField(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	past := now.Add(-time.Hour)
	svc := triage.New(refusing{t}, func() triage.Hasher { return noKeys{} }, func() time.Time { return now })
	for _, tc := range []struct {
		name  string
		in    triage.AllowInput
		field string
	}{
		{"no reason", triage.AllowInput{Type: "email", Value: "a@example.com"}, "reason"},
		{"long reason", triage.AllowInput{Type: "email", Value: "a@example.com", Reason: strings.Repeat("x", triage.MaxReason+1)}, "reason"},
		{"nothing to allow", triage.AllowInput{Reason: "r"}, "value"},
		{"two things", triage.AllowInput{Type: "email", Value: "a@example.com", AssetID: "a1", Reason: "r"}, "value"},
		{"value without type", triage.AllowInput{Value: "a@example.com", Reason: "r"}, "type"},
		{"bad type", triage.AllowInput{Type: "E Mail", AssetID: "a1", Reason: "r"}, "type"},
		{"invalid value", triage.AllowInput{Type: "phone_number", Value: "not a phone", Reason: "r"}, "value"},
		{"oversized value", triage.AllowInput{Type: "employee_id", Value: strings.Repeat("1", 5000), Reason: "r"}, "value"},
		{"raw value as token", triage.AllowInput{Token: "ann@example.com", Reason: "r"}, "token"},
		{"bad asset id", triage.AllowInput{AssetID: "a b", Reason: "r"}, "asset_id"},
		{"expiry in the past", triage.AllowInput{AssetID: "a1", Reason: "r", ExpiresAt: &past}, "expires_at"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Allow(context.Background(), tc.in, "admin")
			require.ErrorIs(t, err, triage.ErrInvalid)
			require.Contains(t, err.Error(), ": "+tc.field+": ")
			if tc.in.Value != "" {
				require.NotContains(t, err.Error(), tc.in.Value, "a value is never echoed")
			}
		})
	}
}

func TestSetStateRefuses(t *testing.T) {
	svc := triage.New(refusing{t}, func() triage.Hasher { return noKeys{} }, nil)
	_, err := svc.SetState(context.Background(), "a1", "email", triage.TriageInput{State: "ignored", Reason: "r"}, "admin")
	require.ErrorIs(t, err, triage.ErrInvalid)
	_, err = svc.SetState(context.Background(), "a1", "email", triage.TriageInput{State: triage.StateFalsePositive}, "admin")
	require.ErrorIs(t, err, triage.ErrInvalid, "a reason is required")
	_, err = svc.SetState(context.Background(), "a b", "email", triage.TriageInput{State: triage.StateOpen}, "admin")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = svc.Triaged(context.Background(), "nope")
	require.ErrorIs(t, err, triage.ErrInvalid)
}

func TestEffective(t *testing.T) {
	for _, tc := range []struct {
		stored     string
		count      uint64
		suppressed bool
		want       string
		reopened   bool
	}{
		{triage.StateFalsePositive, 3, true, triage.StateFalsePositive, false},
		{triage.StateFalsePositive, 5, false, triage.StateOpen, true},
		{triage.StateResolved, 0, true, triage.StateResolved, false},
		{triage.StateResolved, 2, false, triage.StateOpen, true},
		{triage.StateOpen, 2, false, triage.StateOpen, false},
	} {
		got, re := triage.Effective(store.TriagedFinding{TriageChange: store.TriageChange{State: tc.stored}, Count: tc.count, Suppressed: tc.suppressed})
		require.Equal(t, tc.want, got, "%+v", tc)
		require.Equal(t, tc.reopened, re, "%+v", tc)
	}
}
