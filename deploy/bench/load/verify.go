package main

import (
	"context"
	"fmt"
	"regexp"
	"sort"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// ExactlyOnceDefinition is what the check below proves, printed with the
// result so a reader knows what "exactly once" meant in this run.
const ExactlyOnceDefinition = `every record a simulated agent spooled is stored once, and nothing else is:
    (1) for each agent and each table (assets, pii_findings, principals, entitlements, scans),
        the rows under FINAL equal the records of that kind the agent generated (every record
        has its own table key, so a lost record lowers the count and nothing can raise it
        but a row of an unknown agent, which is reported);
    (2) no table holds an unmerged second copy of a row (count() without FINAL = with FINAL);
    (3) the collector inserted exactly as many rows as were generated (sum of
        sightline_ingest_flush_rows, with no failed insert), so no record was written twice
        even where ReplacingMergeTree has since merged the copies away;
    (4) ingest_batches under FINAL holds each spool segment the collector acknowledged exactly
        once, with the segment's record count, and no other batch, and has no second copy
        without FINAL; the acknowledged records add up to the generated ones;
    (5) no segment was rejected, and every spool was empty at the end.`

// tables maps each record kind's table to the part of Kinds it counts.
var tables = []struct {
	name  string
	count func(Kinds) int64
}{
	{"assets", func(k Kinds) int64 { return k.Assets }},
	{"pii_findings", func(k Kinds) int64 { return k.PII }},
	{"principals", func(k Kinds) int64 { return k.Principals }},
	{"entitlements", func(k Kinds) int64 { return k.Entitlements }},
	{"scans", func(k Kinds) int64 { return k.Scans }},
}

// ExpectedAgent is what one simulated agent generated and shipped.
type ExpectedAgent struct {
	ID, Host  string
	Generated Kinds
	Acked     map[string]int // segment id -> records, acknowledged by the collector
	Problems  []string       // rejected segments, segments acknowledged twice
	Left      bool           // records were still in its spool at the end
}

// Observed is what the collector and ClickHouse hold after the run.
type Observed struct {
	Rows       map[string]map[string]int64 // table -> agent_id -> rows under FINAL
	RawRows    map[string]int64            // table -> rows without FINAL
	Batches    map[string]map[string]int   // agent_id -> idempotency key -> records, under FINAL
	RawBatches int64                       // ingest_batches rows without FINAL
	Metrics    ingestMetrics
}

var dbName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// observe reads what the database holds. The database name is the
// bench's own (checked to be a plain identifier), never user data.
func observe(ctx context.Context, conn clickhouse.Conn, db string, m ingestMetrics) (Observed, error) {
	if !dbName.MatchString(db) {
		return Observed{}, fmt.Errorf("database name %q is not a plain identifier", db)
	}
	obs := Observed{Rows: map[string]map[string]int64{}, RawRows: map[string]int64{}, Batches: map[string]map[string]int{}, Metrics: m}
	for _, t := range tables {
		var per []struct {
			Agent string `ch:"agent_id"`
			N     uint64 `ch:"n"`
		}
		if err := conn.Select(ctx, &per, "SELECT agent_id, count() AS n FROM "+db+"."+t.name+" FINAL GROUP BY agent_id"); err != nil {
			return obs, fmt.Errorf("counting %s under FINAL: %w", t.name, err)
		}
		obs.Rows[t.name] = map[string]int64{}
		for _, p := range per {
			obs.Rows[t.name][p.Agent] = int64(p.N)
		}
		var raw uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+db+"."+t.name).Scan(&raw); err != nil {
			return obs, fmt.Errorf("counting %s: %w", t.name, err)
		}
		obs.RawRows[t.name] = int64(raw)
	}
	var bs []struct {
		Agent   string `ch:"agent_id"`
		Key     string `ch:"idempotency_key"`
		Records uint32 `ch:"records"`
	}
	if err := conn.Select(ctx, &bs, "SELECT agent_id, idempotency_key, records FROM "+db+".ingest_batches FINAL"); err != nil {
		return obs, fmt.Errorf("reading ingest_batches: %w", err)
	}
	for _, b := range bs {
		if obs.Batches[b.Agent] == nil {
			obs.Batches[b.Agent] = map[string]int{}
		}
		obs.Batches[b.Agent][b.Key] = int(b.Records)
	}
	var raw uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM "+db+".ingest_batches").Scan(&raw); err != nil {
		return obs, fmt.Errorf("counting ingest_batches: %w", err)
	}
	obs.RawBatches = int64(raw)
	return obs, nil
}

// judge compares what was generated with what is stored and returns every
// way they differ; none means exactly once held (see ExactlyOnceDefinition).
func judge(exp []ExpectedAgent, obs Observed) []string {
	var problems []string
	add := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }
	known := map[string]bool{}
	var generated Kinds
	for _, a := range exp {
		known[a.ID] = true
		generated = generated.Add(a.Generated)
		for _, p := range a.Problems {
			add("agent %s: segment %s", a.Host, p)
		}
		if a.Left {
			add("agent %s: records were left in its spool, never shipped", a.Host)
		}
	}
	// (1) and (2)
	for _, t := range tables {
		var final int64
		for _, a := range exp {
			got, want := obs.Rows[t.name][a.ID], t.count(a.Generated)
			if got != want {
				add("%s: agent %s has %d rows under FINAL, generated %d", t.name, a.Host, got, want)
			}
		}
		for _, id := range sortedKeys(obs.Rows[t.name]) {
			final += obs.Rows[t.name][id]
			if !known[id] {
				add("%s: %d rows of agent %s, which is not one of the bench's", t.name, obs.Rows[t.name][id], id)
			}
		}
		if raw := obs.RawRows[t.name]; raw != final {
			add("%s: %d rows without FINAL but %d with it: %d copies stored twice and not yet merged", t.name, raw, final, raw-final)
		}
	}
	// (3)
	if obs.Metrics.FlushErrors > 0 {
		add("the collector had %.0f failed inserts: their rows may have been written and written again on retry", obs.Metrics.FlushErrors)
	}
	if int64(obs.Metrics.FlushRows) != generated.Total() {
		add("the collector inserted %.0f rows for %d generated records", obs.Metrics.FlushRows, generated.Total())
	}
	// (4)
	var finalBatches int64
	for _, a := range exp {
		got := obs.Batches[a.ID]
		var ackedRecs int64
		for _, key := range sortedKeys(a.Acked) {
			ackedRecs += int64(a.Acked[key])
			n, ok := got[key]
			switch {
			case !ok:
				add("ingest_batches: agent %s: acknowledged segment %s is not recorded", a.Host, key)
			case n != a.Acked[key]:
				add("ingest_batches: agent %s: segment %s recorded with %d records, it held %d", a.Host, key, n, a.Acked[key])
			}
		}
		for _, key := range sortedKeys(got) {
			if _, ok := a.Acked[key]; !ok {
				add("ingest_batches: agent %s: batch %s was recorded but never acknowledged to the agent", a.Host, key)
			}
		}
		if ackedRecs != a.Generated.Total() {
			add("agent %s: the collector acknowledged %d records, the agent generated %d", a.Host, ackedRecs, a.Generated.Total())
		}
	}
	for _, id := range sortedKeys(obs.Batches) {
		finalBatches += int64(len(obs.Batches[id]))
		if !known[id] {
			add("ingest_batches: %d batches of agent %s, which is not one of the bench's", len(obs.Batches[id]), id)
		}
	}
	if obs.RawBatches != finalBatches {
		add("ingest_batches: %d rows without FINAL but %d with it: a batch was recorded twice", obs.RawBatches, finalBatches)
	}
	return problems
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// stateHeld reports whether condition (1) alone held: every table holds
// each generated record once under FINAL. When it holds but the insert
// count does not, the copies were written and merged (or will be) away by
// ReplacingMergeTree: the data is right, the write path is not exactly once.
func stateHeld(exp []ExpectedAgent, obs Observed) bool {
	known := map[string]bool{}
	for _, a := range exp {
		known[a.ID] = true
		for _, t := range tables {
			if obs.Rows[t.name][a.ID] != t.count(a.Generated) {
				return false
			}
		}
	}
	for _, t := range tables {
		for id := range obs.Rows[t.name] {
			if !known[id] {
				return false
			}
		}
	}
	return true
}
