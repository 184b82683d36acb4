package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/wire"
	"github.com/sightline-dev/sightline/internal/wire/wiretest"
)

// TestReviewCycles runs review cycles through the collector binary and
// its API against ClickHouse: a daily template spawns its campaign once
// the clock passes its start (by the collector's own loop, once); ann's
// grant on ops is revoked; a directory rescan that no longer shows it
// confirms the removal, naming the scan; a later scan showing it again
// turns it to regressed, on the revocations list and on the item.
func TestReviewCycles(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	s.restartWith("reviews:\n  check_interval: 1s\n")
	a := s.newAgent([]string{t.TempDir()}, "")
	creds := readCreds(t, a)

	const server = "ldap.corp.test"
	id := func(rdn string) string { return wire.StableID(wire.SourceLDAP, server, rdn+",dc=corp,dc=test") }
	// directory ships one completed LDAP scan starting at start: ann and
	// ben, and the members of ops given (ann through staff).
	directory := func(scan string, start time.Time, members ...string) {
		t.Helper()
		env := func(kind string) wire.Record {
			return wire.Record{Kind: kind, Source: wire.SourceLDAP, ScanID: scan, ObservedAt: start, Host: server}
		}
		var recs []wire.Record
		for _, uid := range []string{"ann", "ben"} {
			r := env(wire.KindPrincipal)
			r.PrincipalID, r.Name, r.PrincipalType = id("uid="+uid), uid, "user"
			r.Attributes = map[string]string{"dn": "uid=" + uid + ",dc=corp,dc=test"}
			recs = append(recs, r)
		}
		for _, uid := range members {
			r := env(wire.KindEntitlement)
			r.PrincipalID, r.ResourceID, r.ResourceType, r.Permission = id("uid="+uid), id("cn=ops"), "group", "member"
			if uid == "ann" {
				r.Via = []string{"staff"}
			}
			recs = append(recs, r)
		}
		fin := start.Add(time.Second)
		sc := env(wire.KindScan)
		sc.ObservedAt, sc.Scanner, sc.StartedAt, sc.FinishedAt, sc.Status = fin, "ldap", &start, &fin, wire.StatusOK
		recs = append(recs, sc)
		lines := make([]string, len(recs))
		for i := range recs {
			wiretest.RequireValid(t, &recs[i])
			b, err := json.Marshal(recs[i])
			require.NoError(t, err)
			lines[i] = string(b)
		}
		status, out := s.ingestAs(creds.Token, scan, lines...)
		require.Equal(t, 2, status/100, "ingest %s: %d %s", scan, status, out)
	}
	directory("dir-1", time.Now().UTC().Add(-time.Minute).Truncate(time.Second), "ann", "ben")

	// A daily template whose first period starts in two seconds.
	starts := time.Now().UTC().Add(2 * time.Second).Truncate(time.Second)
	status, out := s.do("POST", "/api/v1/reviews/templates", s.admin, fmt.Sprintf(
		`{"name":"daily ops","scope":{"source":"ldap"},"reviewer":"secops","schedule":{"every":"day","starts":%q}}`, starts.Format(time.RFC3339)))
	require.Equal(t, 201, status, out)
	require.Contains(t, out, `"first_run":"`+starts.Format(time.RFC3339)+`"`)
	type templates struct {
		Items []struct {
			NextRun time.Time `json:"next_run"`
			Runs    []struct {
				CampaignID  string    `json:"campaign_id"`
				PeriodStart time.Time `json:"period_start"`
			} `json:"runs"`
		} `json:"items"`
	}
	var ts templates
	require.Eventually(t, func() bool {
		require.Equal(t, 200, s.get("/api/v1/reviews/templates", &ts))
		return len(ts.Items) == 1 && len(ts.Items[0].Runs) > 0
	}, 30*time.Second, 200*time.Millisecond, "the collector's loop did not spawn the first run")
	require.Len(t, ts.Items[0].Runs, 1)
	require.Equal(t, starts, ts.Items[0].Runs[0].PeriodStart.UTC())
	require.Equal(t, starts.AddDate(0, 0, 1), ts.Items[0].NextRun.UTC())
	camp := ts.Items[0].Runs[0].CampaignID
	// More ticks (every second) spawn nothing more.
	time.Sleep(3 * time.Second)
	var list struct {
		Items []struct {
			ID   string `json:"campaign_id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	require.Equal(t, 200, s.get("/api/v1/reviews", &list))
	require.Len(t, list.Items, 1, "one campaign for the period")
	require.Equal(t, camp, list.Items[0].ID)
	require.Equal(t, "daily ops "+starts.Format("2006-01-02"), list.Items[0].Name)

	type item struct {
		ItemID          string          `json:"item_id"`
		Principal       string          `json:"principal"`
		Recommendations json.RawMessage `json:"recommendations"`
		Removal         *struct {
			State string `json:"state"`
		} `json:"removal"`
	}
	items := func() map[string]item {
		var page struct {
			Items []item `json:"items"`
		}
		require.Equal(t, 200, s.get("/api/v1/reviews/"+camp+"/items", &page))
		out := map[string]item{}
		for _, it := range page.Items {
			out[it.Principal] = it
		}
		return out
	}
	its := items()
	require.Len(t, its, 2)
	require.JSONEq(t, `[]`, string(its["ann"].Recommendations))
	require.Nil(t, its["ann"].Removal)
	status, out = s.do("POST", "/api/v1/reviews/"+camp+"/items/"+its["ann"].ItemID+"/decision", s.admin,
		`{"decision":"revoke","comment":"left the ops team"}`)
	require.Equal(t, 200, status, out)

	type revocation struct {
		Principal string `json:"principal"`
		Removal   struct {
			State           string `json:"state"`
			ConfirmedByScan string `json:"confirmed_by_scan"`
			RegressedByScan string `json:"regressed_by_scan"`
			Edit            struct {
				Kind   string `json:"kind"`
				Target string `json:"target"`
			} `json:"edit"`
		} `json:"removal"`
	}
	revocations := func(query string) []revocation {
		var page struct {
			Items []revocation `json:"items"`
		}
		require.Equal(t, 200, s.get("/api/v1/reviews/revocations"+query, &page))
		return page.Items
	}
	rs := revocations("")
	require.Len(t, rs, 1)
	require.Equal(t, "ann", rs[0].Principal)
	require.Equal(t, "pending", rs[0].Removal.State)
	require.Equal(t, "group", rs[0].Removal.Edit.Kind)
	require.Equal(t, "staff", rs[0].Removal.Edit.Target, "ann holds it through staff")

	// The rescan, after the revocation, no longer shows ann in ops.
	dir2 := time.Now().UTC().Add(time.Second).Truncate(time.Second)
	directory("dir-2", dir2, "ben")
	rs = revocations("?state=confirmed")
	require.Len(t, rs, 1)
	require.Equal(t, "dir-2", rs[0].Removal.ConfirmedByScan)
	require.Empty(t, revocations("?state=pending,overdue"))

	// A later scan shows it again.
	directory("dir-3", dir2.Add(5*time.Second), "ann", "ben")
	rs = revocations("?state=regressed")
	require.Len(t, rs, 1)
	require.Equal(t, "dir-3", rs[0].Removal.RegressedByScan)
	require.Equal(t, "regressed", items()["ann"].Removal.State)
	require.Nil(t, items()["ben"].Removal)

	// Reminders: secops has ben's item open.
	status, out = s.do("GET", "/api/v1/reviews/reminders?older_than_days=0", s.admin, "")
	require.Equal(t, 200, status, out)
	require.True(t, strings.Contains(out, `"reviewer":"secops","open_items":1`), out)
}
