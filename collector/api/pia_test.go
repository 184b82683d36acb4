package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type piaAnswer struct {
	ID          string    `json:"id"`
	Systems     []string  `json:"systems"`
	Rating      string    `json:"rating"`
	Score       int       `json:"score"`
	Status      string    `json:"status"`
	NeedsReview bool      `json:"needs_review"`
	Reasons     []string  `json:"review_reasons"`
	FactsAsOf   time.Time `json:"facts_as_of"`
	Facts       []struct {
		System              string   `json:"system"`
		Categories          []string `json:"categories"`
		Occurrences         uint64   `json:"occurrences"`
		WorldReadableAssets uint64   `json:"world_readable_assets"`
		Jurisdiction        string   `json:"jurisdiction"`
	} `json:"facts"`
}

type registerList struct {
	Items []struct {
		Kind    string `json:"kind"`
		ID      string `json:"id"`
		Title   string `json:"title"`
		Score   int    `json:"score"`
		Status  string `json:"status"`
		Link    string `json:"link"`
		Factors []struct {
			Factor string `json:"factor"`
			Points int    `json:"points"`
		} `json:"factors"`
	} `json:"items"`
}

// TestPIAReviewAndRegister: a PIA over web-1's files is prefilled from a
// scan ingested through the API; the DPO answers and rates it (possible
// × severe: high), and it enters the risk register with its score and a
// link. A rescan that finds health data in a new world-readable file
// flags it needs_review with the reasons, in the PIA and the register;
// confirming the facts clears the flag.
func TestPIAReviewAndRegister(t *testing.T) {
	h := newHarness(t, 1<<20)
	code, body := h.ingest("s1", piaLine("s1", "crm", "email", "contact", 10)+"\n"+piaScan("s1", 10)+"\n")
	require.Equal(t, http.StatusOK, code, body)
	call := h.jsonCall

	call("POST", "/api/v1/pias", `{"title":"CRM","systems":["fs:db-9"]}`, 400, nil)
	call("POST", "/api/v1/pias", `{"title":"","systems":["fs:web-1"]}`, 400, nil)
	var p piaAnswer
	call("POST", "/api/v1/pias", `{"title":"CRM export","systems":["fs:web-1"]}`, 201, &p)
	require.Len(t, p.ID, 16)
	require.Equal(t, "draft", p.Status)
	require.Len(t, p.Facts, 1)
	require.Equal(t, "fs:web-1", p.Facts[0].System)
	require.Equal(t, []string{"contact"}, p.Facts[0].Categories)
	require.EqualValues(t, 5, p.Facts[0].Occurrences)
	require.False(t, p.FactsAsOf.IsZero())
	require.False(t, p.NeedsReview)
	one := "/api/v1/pias/" + p.ID

	// Not rated yet: not in the register.
	var reg registerList
	call("GET", "/api/v1/risk/register?kind=pia", "", 200, &reg)
	require.Empty(t, reg.Items)

	call("PUT", one, `{"likelihood":"likely"}`, 400, nil)
	call("PUT", one, `{}`, 400, nil)
	call("PUT", one, `{"purpose":"customer support","necessity":"only the e-mail column is needed","retention":"90 days",
		"safeguards":"mode 0600, encrypted disk","likelihood":"possible","severity":"severe"}`, 200, &p)
	require.Equal(t, "rated", p.Status)
	require.Equal(t, "high", p.Rating)
	require.Equal(t, 67, p.Score)

	call("GET", "/api/v1/risk/register", "", 200, &reg)
	idx := -1
	for i, it := range reg.Items {
		if it.Kind == "pia" {
			idx = i
		}
	}
	require.GreaterOrEqual(t, idx, 0, "the rated PIA is in the register: %+v", reg.Items)
	item := reg.Items[idx]
	require.Equal(t, p.ID, item.ID)
	require.Equal(t, "CRM export", item.Title)
	require.Equal(t, 67, item.Score)
	require.Equal(t, "open", item.Status)
	require.Equal(t, one, item.Link)
	require.Len(t, item.Factors, 1, "no review reason yet")
	for i := 1; i < len(reg.Items); i++ {
		require.GreaterOrEqual(t, reg.Items[i-1].Score, reg.Items[i].Score, "the register stays ranked by score")
	}

	// The rescan: the CRM file again, and health data in a new file that
	// every account of web-1 can read.
	rescan := piaLine("s2", "crm", "email", "contact", 12) + "\n" +
		piaLine("s2", "clinic", "icd10_code", "health", 12) + "\n" +
		`{"kind":"asset","source":"fs","scan_id":"s2","observed_at":"2026-11-01T12:00:00Z","asset_id":"clinic","asset_type":"file","location":"file:///srv/clinic.csv","attributes":{"world_readable":"true","mode":"0644"}}` + "\n" +
		piaScan("s2", 12) + "\n"
	code, body = h.ingest("s2", rescan)
	require.Equal(t, http.StatusOK, code, body)

	call("GET", one, "", 200, &p)
	require.True(t, p.NeedsReview)
	require.Contains(t, p.Reasons, "fs:web-1: new category health")
	require.Contains(t, p.Reasons, "fs:web-1: 1 world-readable assets (was 0)")
	require.Equal(t, "high", p.Rating, "the rating stands until the DPO changes it")
	var all struct {
		Items []piaAnswer `json:"items"`
		Total int         `json:"total"`
	}
	call("GET", "/api/v1/pias", "", 200, &all)
	require.Equal(t, 1, all.Total)
	require.True(t, all.Items[0].NeedsReview)

	call("GET", "/api/v1/risk/register?kind=pia", "", 200, &reg)
	require.Len(t, reg.Items, 1)
	var factors []string
	for _, f := range reg.Items[0].Factors {
		factors = append(factors, f.Factor)
	}
	require.Contains(t, factors, "needs review: fs:web-1: new category health")
	call("GET", "/api/v1/risk/register?kind=asset", "", 200, &reg)
	for _, it := range reg.Items {
		require.NotEqual(t, "pia", it.Kind)
	}
	call("GET", "/api/v1/risk/register?kind=pia&status=resolved", "", 200, &reg)
	require.Empty(t, reg.Items)

	// The DPO reviews: the current facts become those the PIA rests on.
	call("PUT", one, `{"confirm_facts":true,"severity":"significant"}`, 200, &p)
	require.False(t, p.NeedsReview)
	require.Empty(t, p.Reasons)
	require.Equal(t, []string{"contact", "health"}, p.Facts[0].Categories)
	require.Equal(t, "medium", p.Rating)
	require.Equal(t, 44, p.Score)
	call("GET", "/api/v1/pias/0000000000000000", "", 404, nil)

	audit := call("GET", "/api/v1/audit?limit=100", "", 200, nil)
	require.Contains(t, audit, "pia="+p.ID+" confirm_facts=true likelihood=possible severity=significant rating=medium")
	require.NotContains(t, audit, "customer support")
}
