package api

import (
	"time"

	"github.com/sightline-dev/sightline/collector/store"
)

// Answers the console's overview and campaign list read (console.go).

// ScanChange is one scanner on one agent: its latest scan, the one
// before (null for a first scan) and the difference of their counters.
type ScanChange struct {
	Host     string     `json:"host"`
	AgentID  string     `json:"agent_id"`
	Source   string     `json:"source"`
	Scanner  string     `json:"scanner"`
	Latest   ScanPoint  `json:"latest"`
	Previous *ScanPoint `json:"previous"`
	// Change is latest minus previous, per counter either reports
	// (empty for a first scan).
	Change map[string]int64 `json:"change"`
}

// ScanPoint is one scan's outcome and counters, with the number of its
// errors.
type ScanPoint struct {
	store.ScanOutcome
	Errors uint64 `json:"errors"`
}

func scanPointOf(s store.ScanSummary) ScanPoint {
	return ScanPoint{ScanOutcome: s.ScanOutcome, Errors: s.ErrorCount}
}

func scanChangeOf(c store.ScanChange) ScanChange {
	out := ScanChange{Host: c.Host, AgentID: c.AgentID, Source: c.Source, Scanner: c.Scanner, Latest: scanPointOf(c.Latest),
		Change: map[string]int64{}}
	if c.Previous != nil {
		p := scanPointOf(*c.Previous)
		out.Previous = &p
		for k, v := range c.Latest.Stats {
			out.Change[k] = v - c.Previous.Stats[k]
		}
		for k, v := range c.Previous.Stats {
			if _, ok := c.Latest.Stats[k]; !ok {
				out.Change[k] = -v
			}
		}
	}
	return out
}

// CampaignSummary is a campaign in the list: for a reviewer, Items and
// Pending count only the items assigned to them.
type CampaignSummary struct {
	CampaignID string    `json:"campaign_id"`
	Name       string    `json:"name"`
	Due        time.Time `json:"due"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	Items      int       `json:"items"`
	Pending    int       `json:"pending"`
}
