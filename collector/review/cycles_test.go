package review_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/keys"
	"github.com/sightline-dev/sightline/collector/review"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// clock is a settable time for Cycles.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// spawned lists the campaigns the template spawned, as stored (a
// campaign stored twice shows twice).
func spawned(t *testing.T, st *store.Store, templateID string) []store.Campaign {
	t.Helper()
	all, err := st.Campaigns(context.Background())
	require.NoError(t, err)
	var out []store.Campaign
	for _, c := range all {
		if c.CreatedBy == "template:"+templateID {
			out = append(out, c)
		}
	}
	return out
}

func TestCurrentPeriod(t *testing.T) {
	start := time.Date(2024, 1, 15, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		every      string
		count      uint32
		now        time.Time
		want, next time.Time
		ok         bool
	}{
		{review.EveryQuarter, 1, start.Add(-time.Second), time.Time{}, start, false},
		{review.EveryQuarter, 1, start, start, time.Date(2024, 4, 15, 9, 0, 0, 0, time.UTC), true},
		{review.EveryQuarter, 1, time.Date(2024, 4, 15, 8, 59, 59, 0, time.UTC), start, time.Date(2024, 4, 15, 9, 0, 0, 0, time.UTC), true},
		{review.EveryQuarter, 1, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 15, 9, 0, 0, 0, time.UTC), time.Date(2027, 1, 15, 9, 0, 0, 0, time.UTC), true},
		{review.EveryMonth, 2, time.Date(2024, 3, 15, 9, 0, 0, 0, time.UTC), time.Date(2024, 3, 15, 9, 0, 0, 0, time.UTC), time.Date(2024, 5, 15, 9, 0, 0, 0, time.UTC), true},
		{review.EveryWeek, 1, start.Add(8 * 24 * time.Hour), start.Add(7 * 24 * time.Hour), start.Add(14 * 24 * time.Hour), true},
		{review.EveryDay, 3, start.Add(100 * 24 * time.Hour), start.Add(99 * 24 * time.Hour), start.Add(102 * 24 * time.Hour), true},
		{review.EveryYear, 1, time.Date(2030, 1, 15, 8, 0, 0, 0, time.UTC), time.Date(2029, 1, 15, 9, 0, 0, 0, time.UTC), time.Date(2030, 1, 15, 9, 0, 0, 0, time.UTC), true},
	}
	for _, tc := range tests {
		t.Run(tc.every+" "+tc.now.Format(time.RFC3339), func(t *testing.T) {
			got, next, ok := review.CurrentPeriod(store.ReviewTemplate{Every: tc.every, EveryCount: tc.count, StartsAt: start}, tc.now)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.next, next)
		})
	}
}

func TestTemplateChecks(t *testing.T) {
	ok := review.TemplateRequest{Name: "q", Reviewer: "rev", Schedule: review.Schedule{Every: review.EveryQuarter}}
	require.NoError(t, ok.Check())
	for name, mod := range map[string]func(*review.TemplateRequest){
		"no name":      func(r *review.TemplateRequest) { r.Name = "" },
		"bad unit":     func(r *review.TemplateRequest) { r.Schedule.Every = "fortnight" },
		"bad count":    func(r *review.TemplateRequest) { r.Schedule.Count = -1 },
		"long run":     func(r *review.TemplateRequest) { r.DurationDays = 400 },
		"owner alone":  func(r *review.TemplateRequest) { r.Reviewer = review.ByOwner },
		"bad reviewer": func(r *review.TemplateRequest) { r.Reviewer = "@someone" },
		"long name":    func(r *review.TemplateRequest) { r.Name = strings.Repeat("n", review.MaxTemplateNameLen+1) },
	} {
		t.Run(name, func(t *testing.T) {
			r := ok
			mod(&r)
			require.ErrorIs(t, r.Check(), review.ErrInvalid)
		})
	}
}

// TestTemplateSpawnsOnce: a quarterly template spawns nothing before its
// start, its first campaign once the clock passes the start, nothing more
// within the quarter, and the next one when the clock passes the next
// quarter; two spawners (one with no lease, then two racing for the
// lease) never store a period's campaign twice.
func TestTemplateSpawnsOnce(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	directory(t, st)
	clk := &clock{t: time.Date(2024, 6, 15, 0, 0, 0, 0, time.UTC)}
	start := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	a := review.NewCycles(review.CyclesOptions{Store: st, Now: clk.Now, Logger: quiet, ID: "a"})
	tmpl, err := a.CreateTemplate(ctx, review.TemplateRequest{Name: "Quarterly staff", Reviewer: "rev",
		Scope: review.Scope{Source: wire.SourceLDAP}, Schedule: review.Schedule{Every: review.EveryQuarter, Starts: start}}, "admin")
	require.NoError(t, err)
	_, err = a.CreateTemplate(ctx, review.TemplateRequest{Name: "Quarterly staff", Reviewer: "rev",
		Schedule: review.Schedule{Every: review.EveryQuarter}}, "admin")
	require.ErrorIs(t, err, review.ErrInvalid, "template names are unique")

	runs, err := a.Tick(ctx)
	require.NoError(t, err)
	require.Empty(t, runs, "before the start")
	require.Empty(t, spawned(t, st, tmpl.ID))

	clk.Set(start.Add(time.Second))
	runs, err = a.Tick(ctx)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	camps := spawned(t, st, tmpl.ID)
	require.Len(t, camps, 1)
	require.Equal(t, runs[0].CampaignID, camps[0].ID)
	require.Equal(t, "Quarterly staff 2024-07-01", camps[0].Name)
	require.Equal(t, start.AddDate(0, 0, 14), camps[0].Due, "due duration_days (default 14) after the period starts")
	items, err := st.ReviewItems(ctx, camps[0].ID)
	require.NoError(t, err)
	require.Len(t, items, 7, "the directory's grants, scope source ldap")

	// A second spawner without the lease, and the first again, later in
	// the quarter: the period's campaign is there.
	b := review.NewCycles(review.CyclesOptions{Store: st, Now: clk.Now, Logger: quiet, ID: "b"})
	clk.Set(start.AddDate(0, 2, 0))
	for _, c := range []*review.Cycles{b, a} {
		runs, err = c.Tick(ctx)
		require.NoError(t, err)
		require.Empty(t, runs)
	}
	require.Len(t, spawned(t, st, tmpl.ID), 1)

	// The next quarter, two collectors racing for the lease: one spawns.
	clk.Set(start.AddDate(0, 3, 0).Add(time.Minute))
	var spawners []*review.Cycles
	for _, id := range []string{"c1", "c2"} {
		lease := keys.NewExclusive("review_cycles", keys.LeaseOptions{Store: st, ID: id, Logger: quiet})
		t.Cleanup(func() { _ = lease.Release(context.Background()) })
		spawners = append(spawners, review.NewCycles(review.CyclesOptions{Store: st, Lease: lease, Settle: 300 * time.Millisecond,
			Now: clk.Now, Logger: quiet, ID: id}))
	}
	var wg sync.WaitGroup
	got := make([][]store.TemplateRun, len(spawners))
	errs := make([]error, len(spawners))
	for i, c := range spawners {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], errs[i] = c.Tick(ctx) }()
	}
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.Len(t, append(got[0], got[1]...), 1, "exactly one spawner spawned")
	camps = spawned(t, st, tmpl.ID)
	require.Len(t, camps, 2)
	require.Equal(t, "Quarterly staff 2024-10-01", camps[0].Name, "newest first")

	ts, err := a.Templates(ctx)
	require.NoError(t, err)
	require.Len(t, ts, 1)
	require.Equal(t, start.AddDate(0, 6, 0), ts[0].NextRun)
	require.Len(t, ts[0].Runs, 2)
	require.Equal(t, start.AddDate(0, 3, 0), ts[0].Runs[0].PeriodStart)
}

// revocationScan stores a completed LDAP scan of agent a1: alice and bob,
// and the grants listed (principal → group, with alice's via ops).
func revocationScan(t *testing.T, st *store.Store, scan string, at time.Time, grants ...string) {
	t.Helper()
	env := func(kind string) wire.Record {
		return wire.Record{Kind: kind, Source: wire.SourceLDAP, ScanID: scan, ObservedAt: at, AgentID: "a1", Host: "ldap.test"}
	}
	var recs []wire.Record
	for _, n := range []string{"alice", "bob"} {
		r := env(wire.KindPrincipal)
		r.PrincipalID, r.Name, r.PrincipalType = "p-"+n, n, "user"
		recs = append(recs, r)
	}
	for _, who := range grants {
		r := env(wire.KindEntitlement)
		r.PrincipalID, r.ResourceID, r.ResourceType, r.Permission = "p-"+who, "g-admins", "group", "member"
		if who == "alice" {
			r.Via = []string{"ops"}
		}
		recs = append(recs, r)
	}
	fin := at.Add(time.Minute)
	recs = append(recs, wire.Record{Kind: wire.KindScan, Source: wire.SourceLDAP, ScanID: scan, ObservedAt: fin, AgentID: "a1",
		Scanner: wire.SourceLDAP, StartedAt: &at, FinishedAt: &fin, Status: wire.StatusOK})
	for i := range recs {
		require.NoError(t, recs[i].Validate())
	}
	require.NoError(t, st.InsertRecords(context.Background(), recs))
}

// TestRevocationStates: alice's and bob's grants are revoked; a rescan
// without alice's grant confirms its removal, naming the scan; a later
// scan with it again shows it regressed; bob's, still there, is pending
// until its due time, then overdue.
func TestRevocationStates(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	t0 := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	revocationScan(t, st, "s1", t0, "alice", "bob")
	camp, n, err := review.Create(ctx, st, review.Request{Name: "admins", Reviewer: "rev"}, "admin", t0.Add(2*time.Minute))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	items, err := st.ReviewItems(ctx, camp.ID)
	require.NoError(t, err)
	byName := map[string]string{}
	for _, it := range items {
		byName[it.PrincipalName] = it.ItemID
		at := map[string]time.Time{"alice": t0.Add(3 * time.Minute), "bob": t0.Add(140 * time.Second)}[it.PrincipalName]
		require.NoError(t, review.Decide(ctx, st, camp.ID, it.ItemID, "revoke", "not needed", "", "rev", false, at))
	}
	clk := &clock{t: t0.Add(4 * time.Minute)}
	cy := review.NewCycles(review.CyclesOptions{Store: st, Now: clk.Now, Logger: quiet})
	states := func() map[string]review.Removal {
		t.Helper()
		rs, err := cy.Revocations(ctx, review.RevocationFilter{})
		require.NoError(t, err)
		out := map[string]review.Removal{}
		for _, r := range rs {
			out[r.Item.PrincipalName] = r.Removal
		}
		return out
	}

	s := states()
	require.Equal(t, review.RemovalPending, s["alice"].State)
	require.Equal(t, review.RemovalPending, s["bob"].State)
	require.Equal(t, review.Edit{Kind: "group", Target: "ops", Chain: []string{"ops"}}, s["alice"].Edit,
		"alice holds it through ops: remove her from ops")
	require.Equal(t, review.Edit{Kind: "group", Target: "g-admins", Chain: []string{}}, s["bob"].Edit)
	require.Equal(t, t0.Add(140*time.Second).Add(review.DefaultRemovalDue), s["bob"].DueAt)

	// s1b started after bob's revocation but before alice's (and finished
	// after both): it does not confirm alice's removal, though it no
	// longer shows her grant.
	revocationScan(t, st, "s1b", t0.Add(150*time.Second), "bob")
	require.Equal(t, review.RemovalPending, states()["alice"].State)

	// s2, after the revocations: alice's grant is gone.
	s2 := t0.Add(10 * time.Minute)
	revocationScan(t, st, "s2", s2, "bob")
	s = states()
	require.Equal(t, review.RemovalConfirmed, s["alice"].State)
	require.Equal(t, "s2", s["alice"].ConfirmedBy)
	require.Equal(t, s2.Add(time.Minute), *s["alice"].ConfirmedAt)
	require.Equal(t, "a1", s["alice"].Agent)
	require.Equal(t, review.RemovalPending, s["bob"].State)
	require.Equal(t, s, states(), "reading again changes nothing")

	only, err := cy.Revocations(ctx, review.RevocationFilter{States: []string{review.RemovalConfirmed}, Campaign: camp.ID})
	require.NoError(t, err)
	require.Len(t, only, 1)
	require.Equal(t, byName["alice"], only[0].Item.ItemID)
	_, err = cy.Revocations(ctx, review.RevocationFilter{States: []string{"gone"}})
	require.ErrorIs(t, err, review.ErrInvalid)

	// Past the due time: bob's is overdue; alice's stays confirmed.
	clk.Set(t0.Add(15 * 24 * time.Hour))
	s = states()
	require.Equal(t, review.RemovalOverdue, s["bob"].State)
	require.Equal(t, review.RemovalConfirmed, s["alice"].State)

	// s3 shows alice's grant again.
	s3 := t0.Add(20 * time.Minute)
	revocationScan(t, st, "s3", s3, "alice", "bob")
	s = states()
	require.Equal(t, review.RemovalRegressed, s["alice"].State)
	require.Equal(t, "s3", s["alice"].RegressedBy)
	require.Equal(t, "s2", s["alice"].ConfirmedBy, "the confirmation stays on record")
	require.Equal(t, review.RemovalRegressed, states()["alice"].State)

	// s4 removes it again: confirmed by s4.
	revocationScan(t, st, "s4", t0.Add(30*time.Minute), "bob")
	s = states()
	require.Equal(t, review.RemovalConfirmed, s["alice"].State)
	require.Equal(t, "s4", s["alice"].ConfirmedBy)
}

// TestRecommendations: disabled, stale (last login too old), never used
// (no login, created long ago) and gone (no longer scanned).
func TestRecommendations(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	t0 := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	off, on := false, true
	old, recent := t0.AddDate(0, 0, -200), t0.AddDate(0, 0, -2)
	env := func(kind string) wire.Record {
		return wire.Record{Kind: kind, Source: wire.SourceLDAP, ScanID: "s1", ObservedAt: t0, AgentID: "a1", Host: "dc.test"}
	}
	var recs []wire.Record
	for _, p := range []struct {
		name    string
		enabled *bool
		login   *time.Time
		attrs   map[string]string
	}{
		{"off", &off, &recent, nil},
		{"old", &on, &old, nil},
		{"never", &on, nil, map[string]string{"when_created": old.Format(time.RFC3339)}},
		{"fresh", &on, &recent, nil},
	} {
		r := env(wire.KindPrincipal)
		r.PrincipalID, r.Name, r.PrincipalType, r.Enabled, r.LastLogin, r.Attributes = "p-"+p.name, p.name, "user", p.enabled, p.login, p.attrs
		recs = append(recs, r)
	}
	fin := t0.Add(time.Minute)
	recs = append(recs, wire.Record{Kind: wire.KindScan, Source: wire.SourceLDAP, ScanID: "s1", ObservedAt: fin, AgentID: "a1",
		Scanner: wire.SourceLDAP, StartedAt: &t0, FinishedAt: &fin, Status: wire.StatusOK})
	require.NoError(t, st.InsertRecords(ctx, recs))
	cy := review.NewCycles(review.CyclesOptions{Store: st, Now: func() time.Time { return t0.Add(time.Hour) }, Logger: quiet})
	var items []store.ReviewItem
	for _, n := range []string{"off", "old", "never", "fresh", "ghost"} {
		items = append(items, store.ReviewItem{PrincipalID: "p-" + n})
	}
	u, err := cy.ItemUsage(ctx, items)
	require.NoError(t, err)
	kinds := func(id string) []string {
		var out []string
		for _, r := range u[id].Recommendations {
			out = append(out, r.Kind)
		}
		return out
	}
	require.Equal(t, []string{review.RecommendDisabled}, kinds("p-off"))
	require.Equal(t, []string{review.RecommendStale}, kinds("p-old"))
	require.Contains(t, u["p-old"].Recommendations[0].Text, "no login for 200 days")
	require.Equal(t, []string{review.RecommendNeverUsed}, kinds("p-never"))
	require.Empty(t, kinds("p-fresh"))
	require.Equal(t, recent, *u["p-fresh"].LastLogin)
	require.Equal(t, []string{review.RecommendGone}, kinds("p-ghost"))
}

// TestReminders: reviewers with items undecided in campaigns older than
// the threshold; a decided item and a young campaign do not count, a
// reassigned item counts for its new reviewer.
func TestReminders(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	directory(t, st)
	old, _, err := review.Create(ctx, st, review.Request{Name: "old", Reviewer: review.ByManager, Fallback: "security"}, "admin", now)
	require.NoError(t, err)
	_, _, err = review.Create(ctx, st, review.Request{Name: "young", Reviewer: "rev"}, "admin", now.AddDate(0, 0, 9))
	require.NoError(t, err)
	items, err := st.ReviewItems(ctx, old.ID)
	require.NoError(t, err)
	for _, it := range items {
		switch {
		case it.Reviewer == "boss" && it.PrincipalName == "alice":
			require.NoError(t, review.Decide(ctx, st, old.ID, it.ItemID, "certify", "", "", "boss", false, now.Add(time.Hour)))
		case it.PrincipalName == "dave":
			require.NoError(t, review.Decide(ctx, st, old.ID, it.ItemID, "reassign", "", "kim", "security", false, now.Add(time.Hour)))
		}
	}
	cy := review.NewCycles(review.CyclesOptions{Store: st, Now: func() time.Time { return now.AddDate(0, 0, 10) }, Logger: quiet})
	r, err := cy.Reminders(ctx, 7*24*time.Hour)
	require.NoError(t, err)
	got := map[string]uint64{}
	for _, x := range r {
		got[x.Reviewer] = x.Open
		require.Equal(t, []string{old.ID}, x.Campaigns)
		require.Equal(t, now, x.OldestCampaign)
	}
	require.Equal(t, map[string]uint64{"boss": 1, "kim": 1, "security": 3}, got,
		"boss: bob's grant (alice's two decided); dave's, reassigned, is kim's")
}
