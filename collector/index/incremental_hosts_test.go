package index_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// An incremental build reads its changed assets' rows from copies of
// pii_findings and assets sorted by host (migration 0032), in the ranges
// of every host those assets were stored under. An agent that reports an
// asset under another host than before (a renamed account: the object's
// id does not name the host) leaves the old row there under the old host,
// current still when the same scan re-sends it; the build takes the
// newest, as the tables' FINAL does, and rewrites both hosts: the answers
// are a full build's.
func TestIncrementalAssetMovesHost(t *testing.T) {
	ctx, st, x := oneClock(t)
	objID := wire.StableID("s3", "", "s3://corp-data/people.csv")
	object := func(f *fleet, host, scanID string, count int64, types ...string) {
		o := f.env(wire.KindAsset, wire.SourceS3, host, scanID)
		o.AgentID = "ag-aws" // one agent, whatever it calls its host
		o.AssetID, o.AssetType, o.Location = objID, "object", "s3://corp-data/people.csv"
		o.Size = count * 100
		f.recs = append(f.recs, o)
		for _, ty := range types {
			p := f.env(wire.KindPII, wire.SourceS3, host, scanID)
			p.AgentID = "ag-aws"
			p.AssetID, p.Location, p.Type, p.Category, p.Confidence = objID, o.Location, ty, "financial", wire.ConfidenceHigh
			p.Count, p.Distinct, p.Samples, p.Tokens = count, count, []string{"DE****"}, []string{"tok-" + ty}
			f.recs = append(f.recs, p)
		}
		s := f.env(wire.KindScan, wire.SourceS3, host, scanID)
		s.AgentID = "ag-aws"
		start, fin := f.at.Add(-time.Minute), f.at
		s.Scanner, s.StartedAt, s.FinishedAt, s.Status = wire.SourceS3, &start, &fin, wire.StatusOK
		f.recs = append(f.recs, s)
	}
	f := &fleet{at: t0}
	object(f, "aws-old", "s1", 4, "iban", "email")
	hostScan(f, "web-1", "s1-web-1", 3, nil)
	require.NoError(t, st.InsertRecords(ctx, f.recs))
	require.NoError(t, x.Build(ctx))

	// The same scan's rows sent again under the new host (the scan is
	// re-sent too): the iban row replaces the old one, the email row of
	// the same scan stays current.
	f2 := &fleet{at: t0.Add(time.Hour)}
	object(f2, "aws-new", "s1", 9, "iban")
	require.NoError(t, st.InsertRecords(ctx, f2.recs))
	require.NoError(t, x.Build(ctx))
	if os.Getenv(storetest.EnvOnCluster) != "1" {
		require.NotZero(t, newestBase(t, st), "the second build starts from the first")
	}
	incremental := readAll(t, st, objID, objID)
	require.NoError(t, x.BuildFull(ctx))
	full := readAll(t, st, objID, objID)
	sameReads(t, full, incremental)
	// The iban finding is the new row's, under the new host, once.
	fs, _, err := st.Findings(ctx, store.FindingFilter{Limit: 1000})
	require.NoError(t, err)
	var iban []string
	for _, x := range fs {
		if x.AssetID == objID && x.Type == "iban" {
			iban = append(iban, fmt.Sprint(x.Host, " ", x.Count))
		}
	}
	require.Equal(t, []string{"aws-new 9"}, iban)
	require.Contains(t, fmt.Sprint(full["data map"]), "aws-new")
}
