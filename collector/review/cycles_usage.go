package review

import (
	"context"
	"fmt"
	"time"

	"github.com/sightline-dev/sightline/collector/store"
)

// Recommendation kinds, from how the item's principal is used.
const (
	// RecommendDisabled: the account is disabled.
	RecommendDisabled = "disabled"
	// RecommendStale: no login for longer than the stale age.
	RecommendStale = "stale"
	// RecommendNeverUsed: never logged in, created longer ago than the
	// stale age (AD's when_created).
	RecommendNeverUsed = "never_used"
	// RecommendGone: the latest scans no longer show the principal.
	RecommendGone = "gone"
)

// Recommendation is a reason to revoke, shown beside an item.
type Recommendation struct {
	Kind string
	Text string
}

// Usage is what the scans say of an item's principal: its last login
// (nil when its source reports none: only AD's lastLogonTimestamp and
// IAM's password_last_used do), and the recommendations that follow.
type Usage struct {
	LastLogin       *time.Time
	Recommendations []Recommendation
}

// Recommend is the usage of principal p (nil: not among the current
// principals) at now, an account with no login for staleAfter being
// stale. p.Stale must have been computed with the same age
// (store.PrincipalFilter.StaleBefore).
func Recommend(p *store.Principal, now time.Time, staleAfter time.Duration) Usage {
	u := Usage{Recommendations: []Recommendation{}}
	if p == nil {
		u.Recommendations = append(u.Recommendations, Recommendation{Kind: RecommendGone,
			Text: "the latest scans no longer show this principal"})
		return u
	}
	u.LastLogin = p.LastLogin
	days := int(staleAfter / (24 * time.Hour))
	if p.Enabled != nil && !*p.Enabled {
		u.Recommendations = append(u.Recommendations, Recommendation{Kind: RecommendDisabled, Text: "the account is disabled"})
	}
	if p.Stale {
		if p.LastLogin != nil {
			u.Recommendations = append(u.Recommendations, Recommendation{Kind: RecommendStale,
				Text: fmt.Sprintf("no login for %d days (more than %d)", int(now.Sub(*p.LastLogin)/(24*time.Hour)), days)})
		} else {
			u.Recommendations = append(u.Recommendations, Recommendation{Kind: RecommendNeverUsed,
				Text: fmt.Sprintf("never logged in, created more than %d days ago", days)})
		}
	}
	return u
}

// ItemUsage returns the usage of the items' principals, by principal id.
func (c *Cycles) ItemUsage(ctx context.Context, items []store.ReviewItem) (map[string]Usage, error) {
	ids := distinct(items, func(it store.ReviewItem) string { return it.PrincipalID })
	now := c.o.Now()
	ps, err := principalsOf(ctx, c.o.Store, ids, now.Add(-c.o.StaleAfter))
	if err != nil {
		return nil, err
	}
	byID := map[string]*store.Principal{}
	for j := range ps {
		byID[ps[j].ID] = &ps[j]
	}
	out := make(map[string]Usage, len(ids))
	for _, id := range ids {
		out[id] = Recommend(byID[id], now, c.o.StaleAfter)
	}
	return out, nil
}
