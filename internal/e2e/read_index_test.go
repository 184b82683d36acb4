package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/wire"
)

// TestReadIndexFollowsScans ingests two scans of a file share through
// POST /api/v1/ingest and reads the index-backed endpoints after each: the
// answers follow the latest completed scan at once (the harness runs the
// collector with index.max_lag 0s), say so in their headers, and the asset
// list sorts, pages and filters; the data map filters.
func TestReadIndexFollowsScans(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	a := s.newAgent([]string{t.TempDir()}, "") // enrolled, never run
	tok := readCreds(t, a).Token
	now := time.Now().UTC().Truncate(time.Second)
	// A file's host is the one its agent enrolled as (this machine's name),
	// whatever a record says.
	host, err := os.Hostname()
	require.NoError(t, err)

	batch := func(scanID string, at time.Time, files map[string]int64) []string {
		var lines []string
		add := func(r wire.Record) {
			require.NoError(t, r.Validate())
			b, err := json.Marshal(r)
			require.NoError(t, err)
			lines = append(lines, string(b))
		}
		env := func(kind string) wire.Record {
			return wire.Record{Kind: kind, Source: wire.SourceFS, ScanID: scanID, ObservedAt: at, Host: "files1-claimed"}
		}
		for path, n := range files {
			loc := wire.FileLocation(path)
			as := env(wire.KindAsset)
			as.AssetID, as.AssetType, as.Location, as.Owner = wire.StableID("fs", host, loc), "file", loc, "hr"
			as.Attributes = map[string]string{"world_readable": fmt.Sprint(path == "/srv/share/open.csv")}
			add(as)
			p := env(wire.KindPII)
			p.AssetID, p.Location, p.Type, p.Category, p.Count, p.Distinct = as.AssetID, loc, "email", "contact", n, n
			p.Confidence, p.Samples = wire.ConfidenceHigh, []string{"j***@e***.com"}
			add(p)
		}
		done := env(wire.KindScan)
		start := at.Add(-time.Minute)
		done.Scanner, done.Status, done.StartedAt, done.FinishedAt = "fs", wire.StatusOK, &start, &at
		add(done)
		return lines
	}
	type page struct {
		Items []struct {
			Location    string   `json:"location"`
			Occurrences uint64   `json:"occurrences"`
			Types       []string `json:"types"`
		} `json:"items"`
		Total int `json:"total"`
	}
	list := func(query string) (page, http.Header) {
		req, err := http.NewRequest(http.MethodGet, s.url+"/api/v1/assets?"+query, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+s.admin)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, query)
		var p page
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&p))
		return p, resp.Header
	}
	locs := func(p page) []string {
		out := []string{}
		for _, it := range p.Items {
			out = append(out, it.Location)
		}
		return out
	}
	f := wire.FileLocation

	code, body := s.ingestAs(tok, "b1", batch("scan-1", now.Add(-time.Hour), map[string]int64{
		"/srv/share/open.csv": 40, "/srv/share/payroll.csv": 900, "/srv/share/old.csv": 7,
	})...)
	require.Equal(t, http.StatusOK, code, body)

	p, hdr := list("sort=occurrences&order=desc")
	require.Equal(t, "true", hdr.Get("Sightline-Data-Fresh"))
	asOf, err := time.Parse(time.RFC3339, hdr.Get("Sightline-Data-As-Of"))
	require.NoError(t, err)
	require.WithinDuration(t, time.Now(), asOf, time.Minute)
	require.Equal(t, []string{f("/srv/share/payroll.csv"), f("/srv/share/open.csv"), f("/srv/share/old.csv")}, locs(p))
	require.Equal(t, uint64(900), p.Items[0].Occurrences)
	require.Equal(t, []string{"email"}, p.Items[0].Types)

	// Pages of one in location order cover the list once.
	var paged []string
	for off := 0; off < 3; off++ {
		p, _ := list(fmt.Sprintf("limit=1&offset=%d", off))
		require.Equal(t, 3, p.Total)
		paged = append(paged, locs(p)...)
	}
	require.Equal(t, []string{f("/srv/share/old.csv"), f("/srv/share/open.csv"), f("/srv/share/payroll.csv")}, paged)
	p, _ = list("world_readable=true&with_pii=true")
	require.Equal(t, []string{f("/srv/share/open.csv")}, locs(p))
	code, body = s.do("GET", "/api/v1/assets?sort=owner", s.admin, "")
	require.Equal(t, http.StatusBadRequest, code, body)
	require.Contains(t, body, "sort must be one of")

	var dm struct {
		Systems []struct {
			System string `json:"system"`
			Source string `json:"source"`
			Assets uint64 `json:"assets"`
			World  uint64 `json:"world_readable_assets"`
			Public uint64 `json:"public_assets"`
		} `json:"systems"`
	}
	require.Equal(t, http.StatusOK, s.get("/api/v1/datamap?source=fs&category=contact", &dm))
	require.Len(t, dm.Systems, 1)
	require.Equal(t, host, dm.Systems[0].System)
	require.Equal(t, uint64(3), dm.Systems[0].Assets)
	require.Equal(t, uint64(1), dm.Systems[0].World, "open.csv is world-readable")
	require.Zero(t, dm.Systems[0].Public)
	require.Equal(t, http.StatusOK, s.get("/api/v1/datamap?source=s3", &dm))
	require.Empty(t, dm.Systems)
	code, body = s.do("GET", "/api/v1/datamap?public=maybe", s.admin, "")
	require.Equal(t, http.StatusBadRequest, code, body)

	// The next scan no longer sees old.csv and finds new.csv: the very next
	// read says so.
	code, body = s.ingestAs(tok, "b2", batch("scan-2", now, map[string]int64{
		"/srv/share/open.csv": 41, "/srv/share/payroll.csv": 900, "/srv/share/new.csv": 3,
	})...)
	require.Equal(t, http.StatusOK, code, body)
	p, hdr = list("sort=occurrences")
	require.Equal(t, "true", hdr.Get("Sightline-Data-Fresh"))
	require.Equal(t, []string{f("/srv/share/new.csv"), f("/srv/share/open.csv"), f("/srv/share/payroll.csv")}, locs(p))
	require.Equal(t, uint64(41), p.Items[1].Occurrences)

	var sum struct {
		Assets     uint64 `json:"assets"`
		ByCategory []struct {
			Category    string `json:"category"`
			Occurrences uint64 `json:"occurrences"`
		} `json:"by_category"`
	}
	require.Equal(t, http.StatusOK, s.get("/api/v1/inventory/summary", &sum))
	require.Equal(t, uint64(3), sum.Assets)
	require.Len(t, sum.ByCategory, 1)
	require.Equal(t, uint64(944), sum.ByCategory[0].Occurrences)

	// A reviewer and an agent may read none of it; the reads are audited.
	reviewer := s.run("token", "create", "--role", "reviewer", "--name", "rev-index", "--config", s.config)
	for _, path := range []string{"/api/v1/assets", "/api/v1/datamap", "/api/v1/inventory/summary"} {
		code, _ = s.do("GET", path, reviewer, "")
		require.Equal(t, http.StatusForbidden, code, path)
		code, _ = s.do("GET", path, tok, "")
		require.Equal(t, http.StatusForbidden, code, path)
	}
	var audit struct {
		Items []struct {
			Route  string `json:"route"`
			Params string `json:"params"`
			Status int    `json:"status"`
		} `json:"items"`
	}
	require.Equal(t, http.StatusOK, s.get("/api/v1/audit?limit=1000", &audit))
	seen := map[string]bool{}
	for _, e := range audit.Items {
		seen[fmt.Sprintf("%s?%s %d", e.Route, e.Params, e.Status)] = true
	}
	require.True(t, seen["/api/v1/assets?sort=occurrences&order=desc 200"], "%v", seen)
	require.True(t, seen["/api/v1/assets?sort=owner 400"], "%v", seen)
	require.True(t, seen["/api/v1/datamap?source=fs&category=contact 200"], "%v", seen)
}
