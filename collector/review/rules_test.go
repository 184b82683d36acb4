package review

// The review rules as plain functions: who reviews an item, which
// decisions are valid and whose they are, how a campaign is counted and
// which revoked grants are still there. No ClickHouse needed; the whole
// flow against a real store is in review_test.go and scope_test.go.

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
)

var at = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

func TestRequestCheckAccepts(t *testing.T) {
	for _, r := range []Request{
		{Name: "q3", Reviewer: "secops"},
		{Name: "q3", Reviewer: ByOwner, Fallback: "secops"},
		{Name: "q3", Reviewer: ByManager, Fallback: "secops", Scope: Scope{Source: "ldap", ResourceType: "group"}},
	} {
		require.NoError(t, r.Check(), "%+v", r)
	}
}

func TestCampaign(t *testing.T) {
	r := Request{Name: "q3", Reviewer: "secops", Scope: Scope{PrivilegedOnly: true, Source: "ldap"}}
	c := r.campaign("admin", at.In(time.FixedZone("X", 3600)))
	require.Len(t, c.ID, 16)
	require.Equal(t, c.ID, r.campaign("other", at).ID, "the id is the name's and the time's")
	require.NotEqual(t, c.ID, r.campaign("admin", at.Add(time.Nanosecond)).ID)
	require.Equal(t, at.Add(14*24*time.Hour), c.Due, "two weeks by default")
	require.Equal(t, time.UTC, c.CreatedAt.Location())
	require.JSONEq(t, `{"privileged_only":true,"source":"ldap","resource_type":"","personal_data_only":false}`, c.Scope)
	r.Due = at.Add(time.Hour)
	require.Equal(t, at.Add(time.Hour), r.campaign("admin", at).Due, "a given due date is kept")
}

func TestAssign(t *testing.T) {
	ents := []store.Entitlement{
		{PrincipalID: "p-alice", ResourceID: "f-payroll", Permission: "read"},
		{PrincipalID: "p-bob", ResourceID: "g-staff", Permission: "member"},
		{PrincipalID: "p-sam", ResourceID: "f-payroll", Permission: "write"},
		{PrincipalID: "p-ghost", ResourceID: "g-staff", Permission: "member"},
	}
	people := []store.Principal{
		{ID: "p-alice", Name: "alice", Attributes: map[string]string{"manager_name": "boss"}},
		{ID: "p-bob", Name: "bob", Attributes: map[string]string{"manager": "p-elsewhere"}},
		{ID: "p-sam", Name: "sam", Attributes: map[string]string{"manager_name": "sam"}},
	}
	owners := map[string]string{"f-payroll": "fileowner"}
	render := func(items []store.ReviewItem) []string {
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = it.PrincipalName + " " + it.ResourceID + " → " + it.Reviewer + " (" + it.ReviewerSource + ")"
		}
		return out
	}
	for _, tc := range []struct {
		reviewer string
		want     []string
	}{
		{"secops", []string{"alice f-payroll → secops (named)", "bob g-staff → secops (named)",
			"sam f-payroll → secops (named)", " g-staff → secops (named)"}},
		{ByOwner, []string{"alice f-payroll → fileowner (owner)", "bob g-staff → fallback (fallback)",
			"sam f-payroll → fileowner (owner)", " g-staff → fallback (fallback)"}},
		// sam names themselves as manager: nobody reviews their own access.
		{ByManager, []string{"alice f-payroll → boss (manager)", "bob g-staff → fallback (fallback)",
			"sam f-payroll → fallback (fallback)", " g-staff → fallback (fallback)"}},
	} {
		t.Run(tc.reviewer, func(t *testing.T) {
			c := store.Campaign{ID: "c1"}
			items := assign(c, Request{Reviewer: tc.reviewer, Fallback: "fallback"}, ents, people, owners)
			require.Equal(t, tc.want, render(items))
			require.Len(t, items[0].ItemID, 16)
			require.NotEqual(t, items[0].ItemID, items[2].ItemID, "an item is a (principal, resource, permission)")
			again := assign(store.Campaign{ID: "c1"}, Request{Reviewer: "x"}, ents[:1], nil, nil)
			require.Equal(t, items[0].ItemID, again[0].ItemID, "item ids are stable within a campaign")
		})
	}
}

func TestResourcesAndOnResources(t *testing.T) {
	ents := []store.Entitlement{{PrincipalID: "a", ResourceID: "r2"}, {PrincipalID: "b", ResourceID: "r1"},
		{PrincipalID: "c", ResourceID: "r2"}}
	require.Equal(t, []string{"r2", "r1"}, resources(ents), "distinct, first seen first")
	kept := onResources(ents, map[string]bool{"r2": true})
	require.Equal(t, []store.Entitlement{{PrincipalID: "a", ResourceID: "r2"}, {PrincipalID: "c", ResourceID: "r2"}}, kept)
	require.Empty(t, onResources([]store.Entitlement{{ResourceID: "r1"}}, nil))
}

func TestCheckDecision(t *testing.T) {
	for _, tc := range []struct {
		decision, comment, to string
		want                  string // "" for valid
	}{
		{"certify", "", "", ""},
		{"revoke", "left the company", "", ""},
		{"revoke", "", "", "a revoke needs a comment"},
		{"reassign", "", "bob", ""},
		{"reassign", "", "", "reassign needs reassign_to"},
		{"approve", "", "", "decision must be certify, revoke or reassign"},
		{"", "", "", "decision must be"},
	} {
		t.Run(tc.decision+"/"+tc.want, func(t *testing.T) {
			err := checkDecision(tc.decision, tc.comment, tc.to)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalid)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestMayDecide(t *testing.T) {
	items := []store.ReviewItem{{ItemID: "i1", Reviewer: "alice"}, {ItemID: "i2", Reviewer: "bob"}}
	require.NoError(t, mayDecide(items, "i1", Viewer{Name: "alice"}))
	require.ErrorIs(t, mayDecide(items, "i2", Viewer{Name: "alice"}), ErrNotYours)
	require.NoError(t, mayDecide(items, "i2", Everyone), "admins decide any item")
	require.ErrorIs(t, mayDecide(items, "i9", Everyone), store.ErrNotFound)
	require.ErrorIs(t, mayDecide(items, "i9", Viewer{Name: "alice"}), store.ErrNotFound)
}

func TestVisible(t *testing.T) {
	items := func() []store.ReviewItem {
		return []store.ReviewItem{{ItemID: "i1", Reviewer: "alice"}, {ItemID: "i2", Reviewer: "bob"}, {ItemID: "i3", Reviewer: "alice"}}
	}
	require.Equal(t, []store.ReviewItem{{ItemID: "i1", Reviewer: "alice"}, {ItemID: "i3", Reviewer: "alice"}},
		Viewer{Name: "alice"}.visible(items()))
	require.Len(t, Everyone.visible(items()), 3)
	require.Empty(t, Viewer{Name: "carol"}.visible(items()))
}

func TestTallyAndStillThere(t *testing.T) {
	c := store.Campaign{ID: "c1"}
	items := []store.ReviewItem{
		{ItemID: "i1", Reviewer: "alice", Decision: "revoke", PrincipalID: "p1", ResourceID: "r1", Permission: "read"},
		{ItemID: "i2", Reviewer: "bob", Decision: "revoke", PrincipalID: "p2", ResourceID: "r1", Permission: "read"},
		{ItemID: "i3", Reviewer: "alice", Decision: "certify"},
		{ItemID: "i4", Reviewer: "alice"},
		{ItemID: "i5", Reviewer: "bob", Decision: "revoke", PrincipalID: "p1", ResourceID: "r2", Permission: "write"},
	}
	s, revoked := tally(c, items, Everyone)
	require.Equal(t, Status{Campaign: c, Items: 5, Pending: 1, Decided: map[string]int{"revoke": 3, "certify": 1}}, s)
	require.Len(t, revoked, 3)
	require.Equal(t, []string{"r1", "r1", "r2"}, revokedResources(revoked))

	mine, myRevoked := tally(c, items, Viewer{Name: "alice"})
	require.Equal(t, s, mine, "a reviewer sees the campaign's counts")
	require.Equal(t, []store.ReviewItem{items[0]}, myRevoked, "but only their own revoked items")

	current := []store.Entitlement{
		{PrincipalID: "p1", ResourceID: "r1", Permission: "read"},  // i1 still there
		{PrincipalID: "p2", ResourceID: "r1", Permission: "write"}, // i2's grant was read: gone
		{PrincipalID: "p1", ResourceID: "r2", Permission: "write"}, // i5 still there
	}
	require.Equal(t, []store.ReviewItem{items[0], items[4]}, stillThere(revoked, current))
	require.Empty(t, stillThere(revoked, nil))
}
