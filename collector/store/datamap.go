package store

import "context"

// MapRow is what one (source, host, bucket) system holds of one type.
// Bucket is the object store container's location (s3://B, gs://B,
// azblob://ACCOUNT/CONTAINER; index.go's bucketOf), "" for other sources.
type MapRow struct {
	Source, Host, Bucket, Category, Type string
	Assets, Occurrences, Distinct        uint64
}

// SystemKey names a system of the data map: source, host and bucket.
type SystemKey struct{ Source, Host, Bucket string }

// SystemTotals is what a system holds in all, and who can reach it: its
// assets with personal data, how many of them are world-readable or
// public, and the most principals that can read one of them; with its
// jurisdiction as the index build resolved it (” when none) and, for a
// bucket, whether the bucket is public.
type SystemTotals struct {
	Assets, WorldReadable, Public, MaxReaders uint64
	Jurisdiction                              string
	PublicBucket                              bool
}

// DataMap groups the current findings by source, host, bucket (for
// object store objects), category and type, and counts each system's distinct assets,
// from the read index's per-system counts.
func (s *Store) DataMap(ctx context.Context) ([]MapRow, map[SystemKey]SystemTotals, error) {
	var rows []struct {
		Source   string `ch:"source"`
		Host     string `ch:"host"`
		Bucket   string `ch:"bucket"`
		Category string `ch:"category"`
		Type     string `ch:"type"`
		Assets   uint64 `ch:"assets"`
		Occ      uint64 `ch:"occ"`
		Dist     uint64 `ch:"dist"`
	}
	q := `SELECT source, host, bucket, category, type, sum(assets) AS assets, sum(occurrences) AS occ, sum(distinct_sum) AS dist
		FROM {db}.idx_summary WHERE gen = ` + curGen + ` AND type != ''
		GROUP BY source, host, bucket, category, type
		ORDER BY source, host, bucket, category, type`
	if err := s.conn.Select(ctx, &rows, s.sql(q)); err != nil {
		return nil, nil, s.wrap("reading the data map", err)
	}
	var sys []struct {
		Source  string `ch:"source"`
		Host    string `ch:"host"`
		Bucket  string `ch:"bucket"`
		Assets  uint64 `ch:"assets"`
		World   uint64 `ch:"world"`
		Public  uint64 `ch:"pub"`
		Readers uint64 `ch:"readers"`
		Jur     string `ch:"jur"`
		PubB    uint8  `ch:"pub_bucket"`
	}
	q = `SELECT source, host, bucket, sum(assets) AS assets, sum(world_readable) AS world, sum(public_assets) AS pub,
			max(readers_max) AS readers, any(jurisdiction) AS jur, max(public) AS pub_bucket
		FROM {db}.idx_summary WHERE gen = ` + curGen + ` AND category = '' AND type = ''
		GROUP BY source, host, bucket`
	if err := s.conn.Select(ctx, &sys, s.sql(q)); err != nil {
		return nil, nil, s.wrap("counting the data map's assets", err)
	}
	assets := make(map[SystemKey]SystemTotals, len(sys))
	for _, r := range sys {
		assets[SystemKey{r.Source, r.Host, r.Bucket}] = SystemTotals{Assets: r.Assets, WorldReadable: r.World,
			Public: r.Public, MaxReaders: r.Readers, Jurisdiction: r.Jur, PublicBucket: r.PubB == 1}
	}
	out := make([]MapRow, len(rows))
	for i, r := range rows {
		out[i] = MapRow{Source: r.Source, Host: r.Host, Bucket: r.Bucket, Category: r.Category, Type: r.Type,
			Assets: r.Assets, Occurrences: r.Occ, Distinct: r.Dist}
	}
	return out, assets, nil
}
