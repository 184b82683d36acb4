package risk_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/risk"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

func ptr[T any](v T) *T { return &v }

// estate: two files with personal data (one owned, one world-readable),
// a stale domain admin, a flagged account and one with nothing to score.
func estate(t *testing.T, now time.Time) *store.Store {
	t.Helper()
	s := storetest.New(t)
	env := func(kind, source string) wire.Record {
		return wire.Record{Kind: kind, Source: source, ScanID: source + "1", ObservedAt: now.Add(-time.Hour), AgentID: "ag", Host: "h1"}
	}
	file := func(id, path, owner string, attrs map[string]string) []wire.Record {
		a := env(wire.KindAsset, wire.SourceFS)
		a.AssetID, a.AssetType, a.Location, a.Owner, a.Attributes = id, "file", "file://"+path, owner, attrs
		p := env(wire.KindPII, wire.SourceFS)
		p.AssetID, p.Location, p.Type, p.Category, p.Count, p.Distinct, p.Confidence = id, a.Location, "us_ssn", "government_id", 50, 50, wire.ConfidenceHigh
		return []wire.Record{a, p}
	}
	principal := func(id, name string, privileged bool, lastLogin *time.Time, hygiene string) wire.Record {
		r := env(wire.KindPrincipal, wire.SourceLDAP)
		r.PrincipalID, r.Name, r.PrincipalType, r.Enabled, r.LastLogin = id, name, "user", ptr(true), lastLogin
		r.Privileged = privileged
		if privileged {
			r.PrivilegedVia = []string{"member of Domain Admins"}
		}
		if hygiene != "" {
			r.Attributes = map[string]string{"hygiene": hygiene}
		}
		return r
	}
	grant := env(wire.KindEntitlement, wire.SourceFS)
	grant.PrincipalID, grant.ResourceID, grant.ResourceType, grant.Permission = "u-admin", "f-open", "file", "read"
	recs := append(file("f-hr", "/srv/hr.csv", "hr-lead", nil), file("f-open", "/srv/open.csv", "", map[string]string{"world_readable": "true"})...)
	recs = append(recs,
		principal("u-admin", "admin", true, ptr(now.Add(-200*24*time.Hour)), ""),
		principal("u-roast", "roast", false, ptr(now.Add(-24*time.Hour)), "kerberoastable"),
		principal("u-fine", "fine", false, ptr(now.Add(-24*time.Hour)), ""),
		grant)
	require.NoError(t, s.InsertRecords(context.Background(), recs))
	storetest.BuildIndex(t, s)
	return s
}

func TestRegister(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	s := estate(t, now)
	ctx := context.Background()
	stale := risk.Staleness{Now: now, After: 90 * 24 * time.Hour}
	items, err := risk.Register(ctx, s, risk.RegisterQuery{Stale: stale})
	require.NoError(t, err)
	type row struct {
		Kind, ID, Owner, Status string
		Score                   int
	}
	got := make([]row, len(items))
	for i, it := range items {
		got[i] = row{it.Kind, it.ID, it.Owner, it.Status, it.Score}
	}
	open, _, err := risk.Of(ctx, s, "f-open")
	require.NoError(t, err)
	hr, _, err := risk.Of(ctx, s, "f-hr")
	require.NoError(t, err)
	require.Greater(t, open.Score, hr.Score, "world-readable weighs more")
	// admin: 30 (domain admin) + 20 (stale) + 5 (one file in reach) = 55.
	// roast: 10. fine: nothing to score, not in the register.
	want := []row{
		{"asset", "f-open", "", "open", open.Score},
		{"principal", "u-admin", "", "open", 55},
		{"asset", "f-hr", "hr-lead", "open", hr.Score},
		{"principal", "u-roast", "", "open", 10},
	}
	require.True(t, open.Score > 55 && 55 > hr.Score && hr.Score > 10, "the fixture's order depends on it: %d %d", open.Score, hr.Score)
	require.Equal(t, want, got, "highest first, assets defaulting to their file owner")

	// Changes: validation first.
	for _, tc := range []struct {
		name string
		c    risk.Change
		err  error
	}{
		{"bad kind", risk.Change{Kind: "host", ID: "x", Status: ptr("open")}, risk.ErrInvalid},
		{"nothing to change", risk.Change{Kind: "asset", ID: "f-hr"}, risk.ErrInvalid},
		{"bad status", risk.Change{Kind: "asset", ID: "f-hr", Status: ptr("done")}, risk.ErrInvalid},
		{"accepting needs a comment", risk.Change{Kind: "asset", ID: "f-hr", Status: ptr("accepted")}, risk.ErrInvalid},
		{"resolving needs a comment", risk.Change{Kind: "principal", ID: "u-admin", Status: ptr("resolved")}, risk.ErrInvalid},
		{"unknown asset", risk.Change{Kind: "asset", ID: "nope", Status: ptr("mitigating")}, store.ErrNotFound},
		{"unknown principal", risk.Change{Kind: "principal", ID: "nope", Status: ptr("mitigating")}, store.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := risk.Update(ctx, s, tc.c)
			require.ErrorIs(t, err, tc.err)
		})
	}
	_, err = risk.Update(ctx, s, risk.Change{Kind: "principal", ID: "u-admin", Owner: ptr("iam-team"), By: "sec", At: now})
	require.NoError(t, err)
	e, err := risk.Update(ctx, s, risk.Change{Kind: "principal", ID: "u-admin", Status: ptr("accepted"), Comment: "break-glass account",
		By: "sec", At: now.Add(time.Minute)})
	require.NoError(t, err)
	require.Equal(t, "iam-team", e.Owner, "a status change keeps the owner")
	_, err = risk.Update(ctx, s, risk.Change{Kind: "asset", ID: "f-hr", Owner: ptr("dpo"), Status: ptr("mitigating"), By: "sec", At: now})
	require.NoError(t, err)

	openOnly, err := risk.Register(ctx, s, risk.RegisterQuery{Stale: stale, Status: "open"})
	require.NoError(t, err)
	require.Len(t, openOnly, 2)
	require.Equal(t, "f-open", openOnly[0].ID)
	require.Empty(t, openOnly[0].ChangedBy, "never changed")
	require.Equal(t, "u-roast", openOnly[1].ID)
	accepted, err := risk.Register(ctx, s, risk.RegisterQuery{Stale: stale, Status: "accepted"})
	require.NoError(t, err)
	require.Len(t, accepted, 1)
	require.Equal(t, "iam-team", accepted[0].Owner)
	require.Equal(t, "break-glass account", accepted[0].Comment)
	mitigating, err := risk.Register(ctx, s, risk.RegisterQuery{Stale: stale, Status: "mitigating", Kind: "asset"})
	require.NoError(t, err)
	require.Len(t, mitigating, 1)
	require.Equal(t, "dpo", mitigating[0].Owner, "a set owner replaces the file owner")
	limited, err := risk.Register(ctx, s, risk.RegisterQuery{Stale: stale, Limit: 1, Kind: "principal"})
	require.NoError(t, err)
	require.Len(t, limited, 1)
	require.Equal(t, "u-admin", limited[0].ID)
	_, err = risk.Register(ctx, s, risk.RegisterQuery{Status: "closed"})
	require.ErrorIs(t, err, risk.ErrInvalid)

	hist, err := risk.History(ctx, s, "principal", "u-admin")
	require.NoError(t, err)
	require.Len(t, hist, 2)
	require.Equal(t, []string{"open", "accepted"}, []string{hist[0].Status, hist[1].Status})
	hist, err = risk.History(ctx, s, "asset", "f-open")
	require.NoError(t, err)
	require.Empty(t, hist)
	_, err = risk.History(ctx, s, "asset", "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestTopPrincipals(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	s := estate(t, now)
	top, err := risk.TopPrincipals(context.Background(), s, risk.Staleness{Now: now, After: 90 * 24 * time.Hour}, 0)
	require.NoError(t, err)
	require.Len(t, top, 2, "a principal scoring 0 is left out")
	require.Equal(t, "admin", top[0].Name)
	require.Equal(t, []risk.Factor{{Name: "full administrator: member of Domain Admins", Points: 30},
		{Name: "stale and privileged: no login for 200 days", Points: 20},
		{Name: "can read 1 assets holding personal data", Points: 5}}, top[0].Factors)
	// With a longer stale_after the admin is not stale.
	top, err = risk.TopPrincipals(context.Background(), s, risk.Staleness{Now: now, After: 365 * 24 * time.Hour}, 1)
	require.NoError(t, err)
	require.Len(t, top, 1)
	require.Equal(t, 35, top[0].Score)
}
