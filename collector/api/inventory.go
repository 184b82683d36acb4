package api

import (
	"context"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/datamap"
	"github.com/sightline-dev/sightline/collector/risk"
	"github.com/sightline-dev/sightline/collector/store"
)

// The inventory: what personal data is where, and how exposed it is.

func (s *Server) findings(c *gin.Context) (any, error) {
	f, err := page(c)
	if err != nil {
		return nil, err
	}
	items, total, err := s.o.Store.Findings(c.Request.Context(), f)
	if err != nil {
		return nil, err
	}
	return Page[Finding]{Items: nonNil(items), Total: total, Limit: f.Limit, Offset: f.Offset}, nil
}

func (s *Server) summary(c *gin.Context) (any, error) {
	f, err := page(c)
	if err != nil {
		return nil, err
	}
	sum, err := s.o.Store.Summary(c.Request.Context(), f)
	if err != nil {
		return nil, err
	}
	return summaryOf(sum), nil
}

// assets lists current assets: type, source, host; public=true for assets
// S3 (or the file mode bits) expose; with_pii=true for buckets with objects
// holding personal data.
func (s *Server) assets(c *gin.Context) (any, error) {
	pg, err := page(c)
	if err != nil {
		return nil, err
	}
	f := store.AssetFilter{Type: c.Query("type"), Source: c.Query("source"), Host: c.Query("host"),
		Attributes: map[string]string{}, AttributeNot: map[string]string{}, Limit: pg.Limit, Offset: pg.Offset}
	for _, b := range []struct{ param, attr string }{{"public", "public"}, {"world_readable", "world_readable"}} {
		if _, err := boolQuery(c, b.param); err != nil {
			return nil, err
		}
		if v := c.Query(b.param); v != "" {
			f.Attributes[b.attr] = v
		}
	}
	switch c.Query("with_pii") {
	case "", "false":
	case "true":
		f.WithPII = true
	default:
		return nil, errorf(kindBadRequest, "with_pii must be true or false")
	}
	f.Sort = c.DefaultQuery("sort", "location")
	if _, ok := store.AssetSorts[f.Sort]; !ok {
		return nil, errorf(kindBadRequest, "sort must be one of location, occurrences, people, readers, size, modified_at")
	}
	switch c.DefaultQuery("order", "asc") {
	case "asc":
	case "desc":
		f.Desc = true
	default:
		return nil, errorf(kindBadRequest, "order must be asc or desc")
	}
	items, total, err := s.o.Store.Assets(c.Request.Context(), f)
	if err != nil {
		return nil, err
	}
	return Page[Asset]{Items: each(items, assetOf), Total: total, Limit: f.Limit, Offset: f.Offset}, nil
}

// assetDetail is one asset: its findings (masked samples, locations), who
// can read it, and its risk with the factors.
func (s *Server) assetDetail(c *gin.Context) (any, error) {
	ctx := c.Request.Context()
	a, err := s.o.Store.AssetByID(ctx, c.Param("id"))
	if err != nil {
		return nil, err
	}
	findings, _, err := s.o.Store.Findings(ctx, store.FindingFilter{AssetID: a.ID, Limit: store.MaxLimit})
	if err != nil {
		return nil, err
	}
	// By its id, not its location: another source's asset may be at the
	// same location and host (a shared source's scope is any name its
	// records give), and its readers showed on this one
	// (TestSameLocationOtherSourceKeepsItsReaders).
	readers, err := s.o.Store.AssetReaders(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	out := AssetDetail{Asset: assetOf(a), Findings: each(findings, findingDetailOf), Readers: nonNil(readers)}
	sc, ok, err := risk.Of(ctx, s.o.Store, a.ID)
	if err != nil {
		return nil, err
	}
	if ok {
		r := riskOf(sc.Score, sc.Factors)
		out.Risk = &r
	}
	return out, nil
}

// riskAssets lists the riskiest assets holding personal data, each score
// with its factors.
func (s *Server) riskAssets(c *gin.Context) (any, error) {
	return ranking(c, func(ctx context.Context, limit int) ([]risk.Score, error) { return risk.Top(ctx, s.o.Store, limit) },
		func(sc risk.Score) AssetRisk {
			return AssetRisk{AssetID: sc.AssetID, Location: sc.Location, Host: sc.Host, Source: sc.Source,
				AssetType: sc.AssetType, Risk: riskOf(sc.Score, sc.Factors)}
		})
}

// dataMap is the data map by system (a host's files, a bucket): what
// categories and types, how much, which jurisdiction, public or not. With
// format=csv it is a record-of-processing seed a spreadsheet opens.
func (s *Server) dataMap(c *gin.Context) (any, error) {
	f := datamap.Filter{Source: c.Query("source"), Jurisdiction: c.Query("jurisdiction"), Category: c.Query("category"),
		Type: c.Query("type")}
	pub, err := boolQuery(c, "public")
	if err != nil {
		return nil, err
	}
	f.Public = pub
	format, err := formatQuery(c)
	if err != nil {
		return nil, err
	}
	systems, err := datamap.Map(c.Request.Context(), s.o.Store)
	if err != nil {
		return nil, err
	}
	systems = f.Apply(systems)
	if format == "json" {
		return DataMap{Systems: nonNil(systems)}, nil
	}
	return csvTable{filename: "sightline-data-map.csv",
		header: []string{"system", "source", "jurisdiction", "public", "data_categories", "data_types", "assets", "occurrences",
			"people_at_most", "world_readable_assets", "public_assets", "max_readers"},
		rows: each(systems, func(m datamap.System) []string {
			return []string{m.System, m.Source, m.Jurisdiction, strconv.FormatBool(m.Public), strings.Join(m.Categories, ";"),
				strings.Join(m.Types, ";"), strconv.FormatUint(m.Assets, 10), strconv.FormatUint(m.Occurrences, 10),
				strconv.FormatUint(m.DistinctAtMost, 10), strconv.FormatUint(m.WorldReadableAssets, 10),
				strconv.FormatUint(m.PublicAssets, 10), strconv.FormatUint(m.MaxReaders, 10)}
		})}, nil
}
