package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// InsertRecordSets stores several requests' records as if they were one
// slice: every row once, in every table, with versions in the order of
// the sets, so of two rows with one key the one in the later set wins.
func TestInsertRecordSetsStoresInOrder(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	f := fixture{agent: "ag-1", host: "web-1", source: wire.SourceFS, scan: "s1", at: at(0)}
	first := f.pii("/srv/a.csv", "email", "contact", 1)
	first.Tokens = []string{"t-first"}
	second := first
	second.Count, second.Tokens = 2, []string{"t-second"}
	var many []wire.Record
	for i := range 300 {
		many = append(many, f.pii(fmt.Sprintf("/srv/many/%d.csv", i), "us_ssn", "government_id", int64(i)))
	}

	tests := []struct {
		name string
		sets [][]wire.Record
		want uint64 // count of the (a.csv, email) row that wins
	}{
		{"later set wins", [][]wire.Record{{first}, many, {second}}, 2},
		{"earlier row of one set loses to later", [][]wire.Record{{second, first}}, 1},
		{"empty sets are skipped", [][]wire.Record{{}, {first}, nil, {second}, {}}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, s.Exec(ctx, `TRUNCATE TABLE {db}.pii_findings`))
			require.NoError(t, s.InsertRecordSets(ctx, tc.sets, nil))
			var got []struct {
				Count    uint64   `ch:"count"`
				Tokens   []string `ch:"tokens"`
				Owner    string   `ch:"owner_agent"`
				Rekeyed  uint8    `ch:"tokens_rekeyed"`
				Versions uint64   `ch:"versions"`
			}
			require.NoError(t, s.Select(ctx, &got, `SELECT argMax(count, version) AS count, argMax(tokens, version) AS tokens,
				any(owner_agent) AS owner_agent, min(tokens_rekeyed) AS tokens_rekeyed, uniqExact(version) AS versions
				FROM {db}.pii_findings WHERE asset_id = ? AND type = 'email'`, first.AssetID))
			require.Len(t, got, 1)
			require.Equal(t, tc.want, got[0].Count)
			require.Equal(t, "ag-1", got[0].Owner, "the row is owned by the agent that sent it")
			require.Equal(t, uint8(1), got[0].Rekeyed)
			require.Equal(t, uint64(2), got[0].Versions, "each row has its own version")
			var total []struct {
				N uint64 `ch:"n"`
			}
			require.NoError(t, s.Select(ctx, &total, `SELECT count() AS n FROM {db}.pii_findings`))
			n := 0
			for _, set := range tc.sets {
				n += len(set)
			}
			require.Equal(t, uint64(n), total[0].N, "every row of every set is stored once")
		})
	}
}

// An unknown kind in any set stops the whole call before anything is
// written, and the error names the record's place across all sets.
func TestInsertRecordSetsRefusesUnknownKind(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	f := fixture{agent: "ag-1", host: "web-1", source: wire.SourceFS, scan: "s1", at: at(0)}
	err := s.InsertRecordSets(ctx, [][]wire.Record{{f.asset("/a"), f.asset("/b")}, {f.asset("/c"), {Kind: "bogus"}}},
		[]store.Batch{{AgentID: "ag-1", Key: "k1", Records: 4}})
	require.ErrorContains(t, err, "record 4")
	n, err := s.CountRows(ctx, "assets")
	require.NoError(t, err)
	require.Zero(t, n)
	seen, err := s.BatchesSeen(ctx, "ag-1", []string{"k1"})
	require.NoError(t, err)
	require.False(t, seen["k1"], "a batch is not marked stored when its records were not")
}

// The batches a call names are recorded once its records are stored.
func TestInsertRecordSetsRecordsBatches(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	f := fixture{agent: "ag-1", host: "web-1", source: wire.SourceFS, scan: "s1", at: at(0)}
	require.NoError(t, s.InsertRecordSets(ctx, [][]wire.Record{{f.asset("/a")}, {f.asset("/b")}},
		[]store.Batch{{AgentID: "ag-1", Key: "k1", Records: 1}, {AgentID: "ag-1", Key: "k2", Records: 1}}))
	seen, err := s.BatchesSeen(ctx, "ag-1", []string{"k1", "k2", "k3"})
	require.NoError(t, err)
	require.Equal(t, map[string]bool{"k1": true, "k2": true}, seen)
	n, err := s.CountRows(ctx, "assets")
	require.NoError(t, err)
	require.Equal(t, uint64(2), n)
}
