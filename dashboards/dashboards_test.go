package dashboards

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

type dashboard struct {
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			RawSQL string `json:"rawSql"`
		} `json:"targets"`
	} `json:"panels"`
}

// Every panel's query must run on the test ClickHouse (18.16 in CI) against
// the schema the collector migrates.
func TestPanelQueriesRun(t *testing.T) {
	st := storetest.New(t)
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	env := wire.Record{Source: wire.SourceFS, ScanID: "s1", ObservedAt: t0, AgentID: "ag", Host: "web-1"}
	asset, pii, scan := env, env, env
	asset.Kind, asset.AssetID, asset.AssetType, asset.Location = wire.KindAsset, "a1", "file", "file:///x.csv"
	pii.Kind, pii.AssetID, pii.Location, pii.Type, pii.Category, pii.Count, pii.Distinct = wire.KindPII, "a1", "file:///x.csv", "email", "contact", 3, 2
	scan.Kind, scan.Scanner, scan.StartedAt, scan.FinishedAt, scan.Status = wire.KindScan, "fs", &t0, &t1, wire.StatusOK
	require.NoError(t, st.InsertRecords(context.Background(), []wire.Record{asset, pii, scan}))
	files, err := filepath.Glob("*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var d dashboard
		require.NoError(t, json.Unmarshal(b, &d), f)
		require.NotEmpty(t, d.Panels, f)
		for _, p := range d.Panels {
			require.NotEmpty(t, p.Targets, p.Title)
			for _, tg := range p.Targets {
				q := strings.ReplaceAll(tg.RawSQL, "sightline.", st.Database()+".")
				rows, err := st.Conn().Query(context.Background(), q)
				require.NoError(t, err, "%s: panel %q", f, p.Title)
				n := 0
				for rows.Next() {
					n++
				}
				if !strings.Contains(q, "agents") {
					require.Positive(t, n, "%s: panel %q shows nothing for stored data", f, p.Title)
				}
				require.NoError(t, rows.Err(), "%s: panel %q", f, p.Title)
				rows.Close()
			}
		}
	}
}
