package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/datamap"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// TestObjectStoreContainers: a container means the same in every object
// store (index.go's bucketOf): an S3 bucket, a GCS bucket of the same
// name, and an Azure Blob container each pass their grants to their own
// objects only, give them their region's jurisdiction, and are one
// system of the data map each, named by location.
func TestObjectStoreContainers(t *testing.T) {
	s := storetest.New(t)
	stores := []struct {
		source, host, container, object, jurisdiction, reader string
	}{
		{wire.SourceS3, "111111111111", "s3://data", "s3://data/crm/a.csv", "US", "s3-reader"},
		{wire.SourceGCS, "proj-1", "gs://data", "gs://data/crm/a.csv", "EU", "gcs-reader"},
		{wire.SourceAzureBlob, "acct", "azblob://acct/data", "azblob://acct/data/crm/a.csv", "UK", "az-reader"},
	}
	var recs []wire.Record
	for _, st := range stores {
		f := fixture{agent: "ag", host: st.host, source: st.source, scan: st.source + "-1", at: base}
		c := f.env(wire.KindAsset)
		c.AssetID, c.AssetType, c.Location = "c:"+st.container, "bucket", st.container
		c.Attributes = map[string]string{"jurisdiction": st.jurisdiction}
		o := f.env(wire.KindAsset)
		o.AssetID, o.AssetType, o.Location = "o:"+st.object, "object", st.object
		p := f.env(wire.KindPII)
		p.AssetID, p.Location = o.AssetID, st.object
		p.Type, p.Category, p.Count, p.Distinct, p.Confidence = "email", "contact", 2, 2, wire.ConfidenceHigh
		recs = append(recs, c, o, p,
			f.principal(who{id: st.reader, name: st.reader, typ: "user"}),
			f.grant(st.reader, c.AssetID, "bucket", "read"))
	}
	insert(t, s, recs...)
	storetest.BuildIndex(t, s)
	ctx := context.Background()

	systems, err := datamap.Map(ctx, s)
	require.NoError(t, err)
	got := map[string]string{}
	for _, sys := range systems {
		got[sys.System] = sys.Source + " " + sys.Jurisdiction
	}
	require.Equal(t, map[string]string{
		"s3://data": "s3 US", "gs://data": "gcs EU", "azblob://acct/data": "azblob UK",
	}, got, "each container a system, with its region's jurisdiction on its objects")

	for _, st := range stores {
		readers, err := s.AssetReaders(ctx, "o:"+st.object)
		require.NoError(t, err)
		var names []string
		for _, r := range readers {
			names = append(names, r.Name)
		}
		require.Equal(t, []string{st.reader}, names, "%s: its container's grant, not another store's same-named one", st.object)
	}
}
