package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/sightline-dev/sightline/internal/wire"
)

// table is one insert target: its name and explicit column list (18.16
// rejects a batch INSERT without one), and how a record becomes a row.
//
// Two columns are the collector's, never the agent's: owner_agent (the
// agent whose token delivered the row; part of the sorting key, so one
// agent's rows never replace another's) and version (the order in which
// the collector stored rows, so an agent's clock cannot make its rows win
// for ever). The caller sets AgentID from the token before storing.
type table struct {
	name    string
	kind    string
	columns string
	// row is the record's values for columns; v is the row version.
	row func(r *wire.Record, ver uint64) []any
}

// recordTables lists the insert targets in the order InsertRecords writes
// them. scans comes last on purpose: a scan record is what makes a scan's
// findings current, so if an insert fails part way, the findings of a
// scan are stored before (never after) the scan is marked finished; the
// agent re-sends the batch and ReplacingMergeTree absorbs the repeats.
func recordTables() []table {
	return []table{
		{
			name: "assets", kind: wire.KindAsset,
			columns: "asset_id, asset_type, location, host, source, agent_id, scan_id, owner, size, modified_at, attr_keys, attr_values, observed_at, version, owner_agent",
			row: func(r *wire.Record, ver uint64) []any {
				k, v := sortedKV(r.Attributes)
				return []any{r.AssetID, r.AssetType, r.Location, r.Host, r.Source, r.AgentID, r.ScanID, r.Owner, r.Size,
					dateTime(r.ModifiedAt), k, v, dateTime(&r.ObservedAt), ver, r.AgentID}
			},
		},
		{
			name: "pii_findings", kind: wire.KindPII,
			columns: "asset_id, type, category, location, host, source, agent_id, scan_id, count, distinct_count, confidence, samples, tokens, locations, observed_at, version, owner_agent, tokens_rekeyed",
			// Ingest re-keys tokens before they get here (collector/keys).
			row: func(r *wire.Record, ver uint64) []any {
				return []any{r.AssetID, r.Type, r.Category, r.Location, r.Host, r.Source, r.AgentID, r.ScanID,
					nonNegative(r.Count), nonNegative(r.Distinct), r.Confidence, strs(r.Samples), strs(r.Tokens), strs(r.Where),
					dateTime(&r.ObservedAt), ver, r.AgentID, uint8(1)}
			},
		},
		{
			name: "principals", kind: wire.KindPrincipal,
			columns: "principal_id, name, principal_type, source, host, agent_id, scan_id, enabled, privileged, privileged_via, last_login, password_last_set, mfa, attr_keys, attr_values, observed_at, version, owner_agent",
			row: func(r *wire.Record, ver uint64) []any {
				k, v := sortedKV(r.Attributes)
				return []any{r.PrincipalID, r.Name, r.PrincipalType, r.Source, r.Host, r.AgentID, r.ScanID,
					triState(r.Enabled), flag(r.Privileged), strs(r.PrivilegedVia), dateTime(r.LastLogin), dateTime(r.PasswordLastSet),
					triState(r.MFA), k, v, dateTime(&r.ObservedAt), ver, r.AgentID}
			},
		},
		{
			name: "entitlements", kind: wire.KindEntitlement,
			columns: "principal_id, resource_id, resource_type, permission, via, privileged, source, host, agent_id, scan_id, observed_at, version, owner_agent",
			row: func(r *wire.Record, ver uint64) []any {
				return []any{r.PrincipalID, r.ResourceID, r.ResourceType, r.Permission, strs(r.Via), flag(r.Privileged),
					r.Source, r.Host, r.AgentID, r.ScanID, dateTime(&r.ObservedAt), ver, r.AgentID}
			},
		},
		{
			name: "scans", kind: wire.KindScan,
			columns: "scan_id, agent_id, host, source, scanner, started_at, finished_at, status, stat_keys, stat_values, errors, attr_keys, attr_values, observed_at, version",
			row: func(r *wire.Record, ver uint64) []any {
				sk, sv := sortedKV(r.Stats)
				k, v := sortedKV(r.Attributes)
				return []any{r.ScanID, r.AgentID, r.Host, r.Source, r.Scanner, dateTime(r.StartedAt), dateTime(r.FinishedAt),
					r.Status, sk, sv, strs(r.Errors), k, v, dateTime(&r.ObservedAt), ver}
			},
		},
	}
}

// InsertRecords stores validated records: one batch INSERT per table that
// has rows. Rows get versions from the collector's clock in the order of
// recs (callers append in arrival order), so of two rows with one key the
// one stored later wins, whatever the agent's clock said. A retried call
// stores the same rows again with later versions, which is safe.
func (s *Store) InsertRecords(ctx context.Context, recs []wire.Record) error {
	tables := recordTables()
	base := s.reserveVersions(len(recs))
	type posRec struct {
		rec *wire.Record
		pos uint64
	}
	byKind := make(map[string][]posRec, len(tables))
	for i := range recs {
		r := &recs[i]
		switch r.Kind {
		case wire.KindAsset, wire.KindPII, wire.KindPrincipal, wire.KindEntitlement, wire.KindScan:
			byKind[r.Kind] = append(byKind[r.Kind], posRec{r, uint64(i)})
		default:
			// Nothing is written: the caller validates records first, so
			// this is a bug upstream rather than bad input.
			return fmt.Errorf("record %d: unknown kind %q; validate records before storing them", i+1, clipKind(r.Kind))
		}
	}
	// The state tables are written at once, each insert on its own pooled
	// connection: one after the other, a flush took the sum of their round
	// trips and ClickHouse's work on each, and the ingester's single
	// flusher sat idle meanwhile (make bench-load). The scans table is
	// written only after all of them succeeded (see recordTables: a scan
	// record is what makes a scan's rows current, so it is never stored
	// before them). The rows count as stored, and the write is marked,
	// only when every insert succeeded; a failed flush is answered with an
	// error and sent again, and the latest-state tables absorb rows a
	// partial flush already wrote.
	write := func(t table) error {
		rows := byKind[t.kind]
		if len(rows) == 0 {
			return nil
		}
		return s.insert(ctx, t.name, t.columns, len(rows), func(i int) []any { return t.row(rows[i].rec, base+rows[i].pos) })
	}
	state, scans := tables[:len(tables)-1], tables[len(tables)-1]
	var (
		wg   sync.WaitGroup
		errs = make([]error, len(state))
	)
	for ti, t := range state {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[ti] = write(t)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := write(scans); err != nil {
		return err
	}
	return s.markWrite(ctx)
}

// insert sends n rows to one table in one batch.
func (s *Store) insert(ctx context.Context, name, columns string, n int, row func(i int) []any) error {
	what := fmt.Sprintf("inserting %d rows into %s", n, name)
	if err := ctx.Err(); err != nil {
		return s.wrap(what, err)
	}
	b, err := s.conn.PrepareBatch(deadlineOnly(ctx), s.sql("INSERT INTO {db}."+name+" ("+columns+")"))
	if err != nil {
		return s.wrap(what, err)
	}
	// Close releases the connection if Append or Send fails; after a
	// successful Send it does nothing.
	defer b.Close()
	for i := 0; i < n; i++ {
		if err := b.Append(row(i)...); err != nil {
			return s.wrap(what, err)
		}
	}
	return s.wrap(what, b.Send())
}

// maxDateTime is the last second a DateTime (UInt32) can hold.
const maxDateTime = math.MaxUint32

// dateTime maps an optional time to a DateTime value: nil, zero and
// pre-1970 times become 0 (read back as "unknown"), later ones are clamped.
func dateTime(t *time.Time) time.Time {
	switch {
	case t == nil || t.Unix() <= 0:
		return time.Unix(0, 0).UTC()
	case t.Unix() > maxDateTime:
		return time.Unix(maxDateTime, 0).UTC()
	}
	return t.UTC()
}

// optTime is dateTime's inverse for reads: 0 is "unknown".
func optTime(t time.Time) *time.Time {
	if t.Unix() <= 0 {
		return nil
	}
	u := t.UTC()
	return &u
}

// unixNano is a row version from a time; times outside UnixNano's range
// are clamped rather than wrapped, so ordering stays sane.
func unixNano(t time.Time) uint64 {
	switch {
	case t.Unix() <= 0:
		return 0
	case t.Year() >= 2262:
		return math.MaxInt64
	}
	return uint64(t.UnixNano())
}

func nonNegative(n int64) uint64 {
	if n < 0 {
		return 0
	}
	return uint64(n)
}

// triState stores an optional bool as -1 (unknown), 0 or 1.
func triState(b *bool) int8 {
	switch {
	case b == nil:
		return -1
	case *b:
		return 1
	}
	return 0
}

func flag(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// strs makes nil slices empty: the driver wants a value for every row.
func strs(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// sortedKV turns a map into parallel key/value arrays sorted by key, so
// equal maps give equal rows and `arrayElement(values, indexOf(keys, k))`
// reads one attribute.
func sortedKV[V any](m map[string]V) ([]string, []V) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vals := make([]V, len(keys))
	for i, k := range keys {
		vals[i] = m[k]
	}
	return keys, vals
}

func clipKind(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// deadlineOnly is ctx with its values and deadline but never done. It is
// what a batch insert runs on: the driver (clickhouse-go v2.50) watches a
// batch's context during Send in a goroutine that closes the TCP connection
// when the context ends, and it hands the connection back to the pool
// without waiting for that goroutine to stop. A context that ended just
// after an insert — a request's when its handler returned (audit entries),
// a flush's deferred cancel — could so close a connection another caller
// had just taken from the pool: under load an ingest flush failed with "use
// of closed network connection" and its batches were stored twice on retry
// (make bench-load). The deadline still bounds the insert's I/O (the
// driver sets it on the connection), and the caller's cancellation is
// checked before the insert starts.
func deadlineOnly(ctx context.Context) context.Context {
	dl, ok := ctx.Deadline()
	return deadlineCtx{Context: context.WithoutCancel(ctx), at: dl, ok: ok}
}

type deadlineCtx struct {
	context.Context
	at time.Time
	ok bool
}

func (c deadlineCtx) Deadline() (time.Time, bool) { return c.at, c.ok }
