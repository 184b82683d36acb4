package store

import (
	"context"
	"time"
)

// FindingFilter narrows the current findings. Empty fields do not filter.
type FindingFilter struct {
	Type, Category, Host, LocationPrefix, AgentID, Source, AssetID string
	// Limit defaults to 100 and is capped at 1000; Summary ignores both.
	Limit, Offset int
}

// Paging bounds for Findings.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Finding is one current pii record: one type of personal data in one
// asset. It never carries the record's tokens (keyed hashes of the values),
// which only subject search may use.
// It is the row Findings reads (from the index, or pii_findings) and the
// API's answer.
type Finding struct {
	AssetID  string `ch:"asset_id" json:"asset_id"`
	Location string `ch:"location" json:"location"`
	Host     string `ch:"host" json:"host"`
	Source   string `ch:"source" json:"source"`
	AgentID  string `ch:"agent_id" json:"agent_id"`
	ScanID   string `ch:"scan_id" json:"scan_id"`
	FindingDetail
}

// FindingDetail is what a finding says about its asset's data: the API's
// asset detail lists these. Locations are where in the asset ("where" in
// the API); Samples are masked.
type FindingDetail struct {
	Type       string    `ch:"type" json:"type"`
	Category   string    `ch:"category" json:"category"`
	Confidence string    `ch:"confidence" json:"confidence"`
	Count      uint64    `ch:"count" json:"count"`
	Distinct   uint64    `ch:"distinct_count" json:"distinct"`
	Samples    []string  `ch:"samples" json:"samples"`
	Locations  []string  `ch:"locations" json:"where"`
	ObservedAt time.Time `ch:"observed_at" json:"observed_at"`
}

// SummaryRow counts current findings of one category (Type empty) or type:
// Assets is distinct assets, Findings is (asset, type) rows, Occurrences is
// the sum of their counts. It is the row Summary reads (Type as "t") and
// the API's answer.
type SummaryRow struct {
	Category    string `ch:"category" json:"category"`
	Type        string `ch:"t" json:"type,omitempty"`
	Assets      uint64 `ch:"assets" json:"assets"`
	Findings    uint64 `ch:"findings" json:"findings"`
	Occurrences uint64 `ch:"occurrences" json:"occurrences"`
}

// Summary is the data map's headline: distinct assets and hosts holding
// current findings, and counts by category and by type (both ordered by
// category, then type).
type Summary struct {
	Assets     uint64       `json:"assets"`
	Hosts      uint64       `json:"hosts"`
	ByCategory []SummaryRow `json:"by_category"`
	ByType     []SummaryRow `json:"by_type"`
}

// where is f's filters as conditions over a table of findings (the read
// index's or pii_findings), following the conditions in first.
func (f FindingFilter) where(first ...string) where {
	w := where{conds: first}
	w.filter("type = ?", f.Type)
	w.filter("category = ?", f.Category)
	w.filter("host = ?", f.Host)
	w.filter("startsWith(location, ?)", f.LocationPrefix)
	w.filter("agent_id = ?", f.AgentID)
	w.filter("source = ?", f.Source)
	w.filter("asset_id = ?", f.AssetID)
	return w
}

// indexFrom is the FROM clause of the read index's current findings
// matching f, and its bound values.
func (f FindingFilter) indexFrom() (string, []any) {
	w := f.where(findingsOf(curGen))
	return ` {db}.idx_findings` + w.sql(), w.args
}

// assetFrom is the FROM clause of the current findings matching f, which
// names an asset (its detail page): a primary-key range of pii_findings,
// kept to the rows the read index says are current, instead of the whole
// current_pii_findings view.
func (f FindingFilter) assetFrom() (string, []any) {
	w := f.where()
	w.add(`(asset_id, type, scan_id) IN (
			SELECT asset_id, type, scan_id FROM {db}.idx_findings WHERE `+findingsOf(curGen)+` AND asset_id = ?
			AND host IN `+hostsOfAssets+`)`, f.AssetID, groupSet([]string{f.AssetID}))
	return ` {db}.pii_findings FINAL` + w.sql(), w.args
}

// The columns of a finding in the read index, and those only pii_findings
// keeps.
const (
	findingColumns       = `asset_id, location, host, source, agent_id, scan_id, type, category, count, distinct_count, observed_at`
	findingDetailColumns = `confidence, samples, locations`
)

// read is f as Findings reads it (the detail columns stay empty when it
// is read from the index): lists as lists, the time in UTC.
func (f Finding) read() Finding {
	f.Samples, f.Locations, f.ObservedAt = nonNil(f.Samples), nonNil(f.Locations), f.ObservedAt.UTC()
	return f
}

// nonNil keeps an empty list a list (JSON [] rather than null).
func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// Findings returns a page of current findings matching f, ordered by
// location and type, and how many match in all. One asset's findings (its
// detail page) are read from pii_findings by key. Any other list is read
// from the read index: the count, the order and the page come from
// idx_findings (which findings are current is the index's answer, like
// every aggregate endpoint's), so a request no longer folds the whole
// pii_findings table under FINAL (seconds at millions of rows, and the
// slowest endpoint under ingest load); the columns the index does not keep
// are then read for the page alone (see addFindingDetails).
func (s *Store) Findings(ctx context.Context, f FindingFilter) (items []Finding, total uint64, err error) {
	limit, offset := pageBounds(f.Limit, f.Offset)
	from, args := f.indexFrom()
	cols := findingColumns
	if f.AssetID != "" {
		from, args = f.assetFrom()
		cols += ", " + findingDetailColumns
	}
	// host and asset_id make the order total, so pages neither repeat nor
	// skip rows (one path can exist on many hosts).
	page := func() ([]Finding, error) {
		// host and asset_id make the order total, so pages neither repeat
		// nor skip rows (one path can exist on many hosts).
		return selectAll(ctx, s, "reading findings", Finding.read, `SELECT `+cols+`
		FROM`+from+`
		ORDER BY location, type, host, asset_id
		LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	}
	if f.AssetID != "" && offset == 0 {
		// One asset's findings (a handful of rows) fit one page: read them
		// first, and count only when the page is full. The count folded the
		// asset's key range under FINAL a second time, a round trip the
		// console's asset page waited for.
		if items, err = page(); err != nil {
			return nil, 0, err
		}
		if len(items) < limit {
			return append([]Finding{}, items...), uint64(len(items)), nil
		}
	}
	if total, err = s.count(ctx, "counting findings", `SELECT count() AS n FROM`+from, args...); err != nil {
		return nil, 0, err
	}
	if total == 0 || uint64(offset) >= total {
		return []Finding{}, total, nil
	}
	if items == nil {
		items, err = page()
	}
	if err == nil && f.AssetID == "" {
		err = s.addFindingDetails(ctx, items)
	}
	if err != nil {
		return nil, 0, err
	}
	return items, total, nil
}

// addFindingDetails reads the confidence, samples and locations of items
// (read from the index) by primary-key ranges of their assets.
func (s *Store) addFindingDetails(ctx context.Context, items []Finding) error {
	ids := make([]string, 0, len(items))
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		if !seen[it.AssetID] {
			seen[it.AssetID] = true
			ids = append(ids, it.AssetID)
		}
	}
	// The newest version of each (asset, type, agent) row, as FINAL would
	// keep (agent_id is the sorting key's owner_agent), but by argMax: FINAL
	// merged every part's ranges first and took about three times as long
	// on a table taking inserts (0.35 s against 0.11 s for a page of 100
	// assets at 350,000 rows, make bench-load).
	details, err := selectRows[Finding](ctx, s, "reading the findings' samples", `SELECT asset_id, type, agent_id,
			argMax(confidence, version) AS confidence, argMax(samples, version) AS samples, argMax(locations, version) AS locations
		FROM {db}.pii_findings WHERE asset_id IN ? GROUP BY asset_id, type, agent_id`, groupSet(ids))
	if err != nil {
		return err
	}
	withDetails(items, details)
	return nil
}

// withDetails gives each finding the detail of its (asset, type, agent):
// what pii_findings keeps beyond the read index (details are findings
// read with only those columns).
// A finding replaced since the index was built (a newer scan of the same
// asset, type and agent) gets the current detail; one gone from
// pii_findings since keeps them empty.
func withDetails(items, details []Finding) {
	type key struct{ asset, typ, agent string }
	byKey := make(map[key]Finding, len(details))
	for _, d := range details {
		byKey[key{d.AssetID, d.Type, d.AgentID}] = d
	}
	for i := range items {
		if d, ok := byKey[key{items[i].AssetID, items[i].Type, items[i].AgentID}]; ok {
			items[i].Confidence, items[i].Samples, items[i].Locations = d.Confidence, nonNil(d.Samples), nonNil(d.Locations)
		}
	}
}

// summaryPlan is where a Summary's three queries read: the totals, the
// counts by category and by type, each from table under its own
// conditions, with table's aggregates for assets, findings and
// occurrences.
type summaryPlan struct {
	table                         string
	assets, findings, occurrences string
	totals, byCategory, byType    where
}

// summaryPlan says how the read index answers a Summary of f: the
// per-system counts of idx_summary, or, with a location prefix or an
// asset (which those counts do not break down), the index's findings.
func (f FindingFilter) summaryPlan() summaryPlan {
	if f.LocationPrefix != "" || f.AssetID != "" {
		w := f.where(findingsOf(curGen))
		return summaryPlan{table: "idx_findings", assets: "uniqExact(asset_id)", findings: "count()", occurrences: "sum(count)",
			totals: w, byCategory: w, byType: w}
	}
	base := where{conds: []string{"gen = " + curGen}}
	base.filter("host = ?", f.Host)
	base.filter("agent_id = ?", f.AgentID)
	base.filter("source = ?", f.Source)
	base.filter("category = ?", f.Category)
	// The level whose rows answer each part: with a type filter everything
	// comes from that type's rows; otherwise totals from system rows and
	// categories from category rows.
	typeRows := base.with("type != ''")
	typeRows.filter("type = ?", f.Type)
	p := summaryPlan{table: "idx_summary", assets: "sum(assets)", findings: "sum(findings)", occurrences: "sum(occurrences)",
		totals: typeRows, byCategory: typeRows, byType: typeRows}
	if f.Type == "" {
		p.byCategory = base.with("type = ''", "category != ''")
		p.totals = p.byCategory
		if f.Category == "" {
			p.totals = base.with("type = ''", "category = ''")
		}
	}
	return p
}

// Summary counts the current findings matching f (Limit and Offset are
// ignored) from the read index (see summaryPlan).
func (s *Store) Summary(ctx context.Context, f FindingFilter) (Summary, error) {
	p := f.summaryPlan()
	totals, err := selectRows[struct {
		Assets uint64 `ch:"assets"`
		Hosts  uint64 `ch:"hosts"`
	}](ctx, s, "summarising findings", `SELECT `+p.assets+` AS assets, uniqExactIf(host, host != '') AS hosts
		FROM {db}.`+p.table+p.totals.sql(), p.totals.args...)
	if err != nil {
		return Summary{}, err
	}
	var sum Summary
	if len(totals) == 1 {
		sum.Assets, sum.Hosts = totals[0].Assets, totals[0].Hosts
	}
	for _, g := range []struct {
		groupBy, typeCol string
		w                where
		dst              *[]SummaryRow
	}{
		{"category", "''", p.byCategory, &sum.ByCategory},
		{"category, type", "type", p.byType, &sum.ByType},
	} {
		// The alias must not be "type": ClickHouse resolves aliases in
		// WHERE too, so '' AS type would break the type filter.
		rows, err := selectRows[SummaryRow](ctx, s, "summarising findings by "+g.groupBy, `SELECT category, `+g.typeCol+` AS t,
				`+p.assets+` AS assets, `+p.findings+` AS findings, `+p.occurrences+` AS occurrences
			FROM {db}.`+p.table+g.w.sql()+`
			GROUP BY `+g.groupBy+` ORDER BY `+g.groupBy, g.w.args...)
		if err != nil {
			return Summary{}, err
		}
		*g.dst = rows
	}
	return sum, nil
}
