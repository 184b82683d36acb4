package review_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/review"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
)

// A reviewer sees a campaign only if they have an item in it, and then
// only their own items in every list.
func TestReviewerSeesOnlyTheirItems(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	directory(t, st)
	c, n, err := review.Create(ctx, st, review.Request{Name: "q3", Reviewer: review.ByManager, Fallback: "secops"}, "admin", now)
	require.NoError(t, err)
	require.Equal(t, 7, n)
	all, err := review.Items(ctx, st, c.ID, review.Everyone)
	require.NoError(t, err)
	require.Len(t, all, 7)
	byKey := map[string]store.ReviewItem{}
	for _, it := range all {
		byKey[it.PrincipalName+" "+it.ResourceID] = it
	}
	// Both revoked grants are still in the latest scans.
	require.NoError(t, review.Decide(ctx, st, c.ID, byKey["alice f-payroll"].ItemID, "revoke", "left", "", "boss", false, now))
	require.NoError(t, review.Decide(ctx, st, c.ID, byKey["carol g-staff"].ItemID, "revoke", "moved", "", "secops", false, now))

	flagged := func(v review.Viewer) []string {
		s, err := review.ProgressFor(ctx, st, c.ID, v)
		require.NoError(t, err)
		require.Equal(t, 7, s.Items, "counts are the campaign's")
		require.Equal(t, 2, s.Decided["revoke"])
		var out []string
		for _, it := range s.StillThere {
			out = append(out, it.PrincipalName+" "+it.ResourceID)
		}
		return out
	}
	require.ElementsMatch(t, []string{"alice f-payroll", "carol g-staff"}, flagged(review.Everyone))
	require.Equal(t, []string{"alice f-payroll"}, flagged(review.Viewer{Name: "boss"}))
	require.Equal(t, []string{"carol g-staff"}, flagged(review.Viewer{Name: "secops"}))

	mine, err := review.Items(ctx, st, c.ID, review.Viewer{Name: "boss"})
	require.NoError(t, err)
	require.Equal(t, []string{"alice f-payroll → boss (manager)", "alice g-staff → boss (manager)", "bob g-staff → boss (manager)"},
		assignment(mine))

	// No item: the campaign is as unknown as one that does not exist.
	_, err = review.ProgressFor(ctx, st, c.ID, review.Viewer{Name: "rev9"})
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = review.ProgressFor(ctx, st, "nosuchcampaign00", review.Viewer{Name: "rev9"})
	require.ErrorIs(t, err, store.ErrNotFound)
	none, err := review.Items(ctx, st, c.ID, review.Viewer{Name: "rev9"})
	require.NoError(t, err)
	require.Empty(t, none)

	// A reassignment moves visibility with the item.
	require.NoError(t, review.Decide(ctx, st, c.ID, byKey["dave g-staff"].ItemID, "reassign", "", "rev9", "secops", false, now))
	_, err = review.ProgressFor(ctx, st, c.ID, review.Viewer{Name: "rev9"})
	require.NoError(t, err)
}
