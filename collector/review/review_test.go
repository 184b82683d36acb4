package review_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/review"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

var now = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

// directory stores a directory scan: boss manages alice and bob; carol's
// manager was outside the scan (an id, no name); dave has no manager; sam
// is named as their own manager. Each is in one group, and alice also
// reads a file owned by "fileowner". Names are made up.
func directory(t *testing.T, st *store.Store) {
	t.Helper()
	env := func(kind string) wire.Record {
		return wire.Record{Kind: kind, Source: wire.SourceLDAP, ScanID: "s1", ObservedAt: now, AgentID: "a1", Host: "ldap.test"}
	}
	var recs []wire.Record
	principal := func(name string, attrs map[string]string) {
		r := env(wire.KindPrincipal)
		r.PrincipalID, r.Name, r.PrincipalType, r.Attributes = "p-"+name, name, "user", attrs
		recs = append(recs, r)
	}
	grant := func(who, resource, typ string) {
		r := env(wire.KindEntitlement)
		r.PrincipalID, r.ResourceID, r.ResourceType, r.Permission = "p-"+who, resource, typ, "member"
		recs = append(recs, r)
	}
	principal("boss", nil)
	principal("alice", map[string]string{"manager": "p-boss", "manager_name": "boss"})
	principal("bob", map[string]string{"manager": "p-boss", "manager_name": "boss"})
	principal("carol", map[string]string{"manager": "p-elsewhere"})
	principal("dave", nil)
	principal("sam", map[string]string{"manager": "p-sam", "manager_name": "sam"})
	for _, n := range []string{"boss", "alice", "bob", "carol", "dave", "sam"} {
		grant(n, "g-staff", "group")
	}
	grant("alice", "f-payroll", "file")
	file := wire.Record{Kind: wire.KindAsset, Source: wire.SourceFS, ScanID: "s2", ObservedAt: now, AgentID: "a2", Host: "files.test",
		AssetID: "f-payroll", AssetType: "file", Location: "file:///srv/payroll.csv", Owner: "fileowner"}
	recs = append(recs, file)
	fin := now.Add(time.Minute)
	for _, s := range []struct{ scan, agent, source string }{{"s1", "a1", wire.SourceLDAP}, {"s2", "a2", wire.SourceFS}} {
		recs = append(recs, wire.Record{Kind: wire.KindScan, Source: s.source, ScanID: s.scan, ObservedAt: now, AgentID: s.agent,
			Scanner: s.source, StartedAt: &now, FinishedAt: &fin, Status: wire.StatusOK})
	}
	for i := range recs {
		require.NoError(t, recs[i].Validate(), "fixture record %d", i)
	}
	require.NoError(t, st.InsertRecords(context.Background(), recs))
	storetest.BuildIndex(t, st) // campaigns read asset owners from the read index
}

// assignment renders items as "principal resource → reviewer (source)".
func assignment(items []store.ReviewItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.PrincipalName + " " + it.ResourceID + " → " + it.Reviewer + " (" + it.ReviewerSource + ")"
	}
	sort.Strings(out)
	return out
}

func TestReviewerModes(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	directory(t, st)
	tests := []struct {
		name     string
		reviewer string
		want     []string
	}{
		{"manager with fallback", review.ByManager, []string{
			"alice f-payroll → boss (manager)",
			"alice g-staff → boss (manager)",
			"bob g-staff → boss (manager)",
			"boss g-staff → secops (fallback)",  // no manager of their own
			"carol g-staff → secops (fallback)", // manager known by id only
			"dave g-staff → secops (fallback)",
			"sam g-staff → secops (fallback)", // never their own reviewer
		}},
		{"owner with fallback", review.ByOwner, []string{
			"alice f-payroll → fileowner (owner)",
			"alice g-staff → secops (fallback)", // a group has no asset owner
			"bob g-staff → secops (fallback)",
			"boss g-staff → secops (fallback)",
			"carol g-staff → secops (fallback)",
			"dave g-staff → secops (fallback)",
			"sam g-staff → secops (fallback)",
		}},
		{"named", "rev1", []string{
			"alice f-payroll → rev1 (named)",
			"alice g-staff → rev1 (named)",
			"bob g-staff → rev1 (named)",
			"boss g-staff → rev1 (named)",
			"carol g-staff → rev1 (named)",
			"dave g-staff → rev1 (named)",
			"sam g-staff → rev1 (named)",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, n, err := review.Create(ctx, st, review.Request{Name: tc.name, Reviewer: tc.reviewer, Fallback: "secops"}, "admin", now)
			require.NoError(t, err)
			require.Equal(t, 7, n)
			items, err := st.ReviewItems(ctx, c.ID)
			require.NoError(t, err)
			require.Equal(t, tc.want, assignment(items))
		})
	}
}

func TestManagerReviews(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	directory(t, st)
	c, _, err := review.Create(ctx, st, review.Request{Name: "q3 staff", Scope: review.Scope{ResourceType: "group"},
		Reviewer: review.ByManager, Fallback: "secops"}, "admin", now)
	require.NoError(t, err)
	items, err := st.ReviewItems(ctx, c.ID)
	require.NoError(t, err)
	byName := map[string]store.ReviewItem{}
	for _, it := range items {
		byName[it.PrincipalName] = it
	}
	require.Len(t, byName, 6)

	// The manager decides their reports' items, not the fallback's, and
	// the other way round; a reassignment moves the item and keeps the
	// rule that first chose its reviewer.
	decide := func(who, by, decision, reassign string) error {
		return review.Decide(ctx, st, c.ID, byName[who].ItemID, decision, "", reassign, by, false, now)
	}
	require.NoError(t, decide("alice", "boss", "certify", ""))
	require.ErrorIs(t, decide("bob", "secops", "certify", ""), review.ErrNotYours)
	require.ErrorIs(t, decide("dave", "boss", "certify", ""), review.ErrNotYours)
	require.NoError(t, decide("dave", "secops", "reassign", "boss"))
	require.NoError(t, decide("dave", "boss", "certify", ""))
	items, err = st.ReviewItems(ctx, c.ID)
	require.NoError(t, err)
	for _, it := range items {
		byName[it.PrincipalName] = it
	}
	require.Equal(t, "certify", byName["alice"].Decision)
	require.Equal(t, "boss", byName["dave"].Reviewer)
	require.Equal(t, review.SourceFallback, byName["dave"].ReviewerSource)
	require.Equal(t, "certify", byName["dave"].Decision)
	require.Empty(t, byName["bob"].Decision)
}

// Requests are checked before the store is touched: these need none.
func TestReviewerValidation(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		req  review.Request
		want string
	}{
		{"manager needs a fallback", review.Request{Name: "x", Reviewer: review.ByManager}, "@manager needs a fallback_reviewer"},
		{"owner needs a fallback", review.Request{Name: "x", Reviewer: review.ByOwner}, "@owner needs a fallback_reviewer"},
		{"fallback is a token", review.Request{Name: "x", Reviewer: review.ByManager, Fallback: review.ByOwner}, "naming a reviewer token"},
		{"unknown mode", review.Request{Name: "x", Reviewer: "@boss", Fallback: "secops"}, "@owner or @manager"},
		{"no reviewer", review.Request{Name: "x"}, "name and reviewer are required"},
		{"long name", review.Request{Name: strings.Repeat("n", 201), Reviewer: "rev1"}, "name is longer than 200 bytes"},
		{"long source", review.Request{Name: "x", Reviewer: "rev1", Scope: review.Scope{Source: strings.Repeat("s", 257)}},
			"scope.source is longer than 256 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.req.Check()
			require.ErrorIs(t, err, review.ErrInvalid)
			require.ErrorContains(t, err, tc.want)
			_, _, err = review.Create(ctx, nil, tc.req, "admin", now)
			require.ErrorIs(t, err, review.ErrInvalid, "Create checks first")
		})
	}
}
