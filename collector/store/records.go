package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/sightline-dev/sightline/internal/clip"
	"github.com/sightline-dev/sightline/internal/wire"
)

// table is one insert target: its name and explicit columns (18.16
// rejects a batch INSERT without a column list), and how records become
// their values.
//
// Two columns are the collector's, never the agent's: owner_agent (the
// agent whose token delivered the row; part of the sorting key, so one
// agent's rows never replace another's) and version (the order in which
// the collector stored rows, so an agent's clock cannot make its rows win
// for ever). The caller sets AgentID from the token before storing.
type table struct {
	name string
	kind string
	cols []column
}

// columnList is the table's columns for the INSERT, in the order of cols.
func (t table) columnList() string {
	var names []string
	for _, c := range t.cols {
		names = append(names, c.names...)
	}
	return strings.Join(names, ", ")
}

// row is a record to store and its version.
type row struct {
	rec *wire.Record
	ver uint64
}

// column fills one or more adjacent columns of a batch (a map fills two:
// keys and values). Values go in column by column rather than row by row:
// the driver's row Append boxes every value and allocates a slice per row,
// which was most of the collector's insert cost (make bench-ingest).
type column struct {
	names []string
	add   func(cs []driver.BatchColumn, rows []row) error
}

// each builds a scalar column from one value per record, appended at once.
func each[T any](name string, f func(r *wire.Record) T) column {
	return column{names: []string{name}, add: func(cs []driver.BatchColumn, rows []row) error {
		v := make([]T, len(rows))
		for i := range rows {
			v[i] = f(rows[i].rec)
		}
		return cs[0].Append(v)
	}}
}

// str is a String column.
func str(name string, f func(r *wire.Record) string) column { return each(name, f) }

// when is a DateTime column (see dateTime for nil and out-of-range times).
func when(name string, f func(r *wire.Record) *time.Time) column {
	return each(name, func(r *wire.Record) time.Time { return dateTime(f(r)) })
}

// list is an Array(String) column. Arrays go in row by row: the driver's
// whole-column Append of arrays reflects on every row, its row append
// of a []string does not.
func list(name string, f func(r *wire.Record) []string) column {
	return column{names: []string{name}, add: func(cs []driver.BatchColumn, rows []row) error {
		for i := range rows {
			if err := cs[0].AppendRow(strs(f(rows[i].rec))); err != nil {
				return err
			}
		}
		return nil
	}}
}

// kv is a map as two parallel Array columns, sorted by key (sortedKV).
func kv[V any](keys, values string, f func(r *wire.Record) map[string]V) column {
	return column{names: []string{keys, values}, add: func(cs []driver.BatchColumn, rows []row) error {
		for i := range rows {
			k, v := sortedKV(f(rows[i].rec))
			if err := cs[0].AppendRow(k); err != nil {
				return err
			}
			if err := cs[1].AppendRow(v); err != nil {
				return err
			}
		}
		return nil
	}}
}

// version is the row version the collector assigned.
func version() column {
	return column{names: []string{"version"}, add: func(cs []driver.BatchColumn, rows []row) error {
		v := make([]uint64, len(rows))
		for i := range rows {
			v[i] = rows[i].ver
		}
		return cs[0].Append(v)
	}}
}

// Columns several record tables share.
func colHost() column   { return str("host", func(r *wire.Record) string { return r.Host }) }
func colSource() column { return str("source", func(r *wire.Record) string { return r.Source }) }
func colAgent() column  { return str("agent_id", func(r *wire.Record) string { return r.AgentID }) }
func colOwner() column  { return str("owner_agent", func(r *wire.Record) string { return r.AgentID }) }
func colScan() column   { return str("scan_id", func(r *wire.Record) string { return r.ScanID }) }
func colObserved() column {
	return when("observed_at", func(r *wire.Record) *time.Time { return &r.ObservedAt })
}
func colAttrs() column {
	return kv("attr_keys", "attr_values", func(r *wire.Record) map[string]string { return r.Attributes })
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
			cols: []column{
				str("asset_id", func(r *wire.Record) string { return r.AssetID }),
				str("asset_type", func(r *wire.Record) string { return r.AssetType }),
				str("location", func(r *wire.Record) string { return r.Location }),
				colHost(), colSource(), colAgent(), colScan(),
				str("owner", func(r *wire.Record) string { return r.Owner }),
				each("size", func(r *wire.Record) int64 { return r.Size }),
				when("modified_at", func(r *wire.Record) *time.Time { return r.ModifiedAt }),
				colAttrs(), colObserved(), version(), colOwner(),
			},
		},
		{
			name: "pii_findings", kind: wire.KindPII,
			// Ingest re-keys tokens before they get here (collector/keys).
			cols: []column{
				str("asset_id", func(r *wire.Record) string { return r.AssetID }),
				str("type", func(r *wire.Record) string { return r.Type }),
				str("category", func(r *wire.Record) string { return r.Category }),
				str("location", func(r *wire.Record) string { return r.Location }),
				colHost(), colSource(), colAgent(), colScan(),
				each("count", func(r *wire.Record) uint64 { return nonNegative(r.Count) }),
				each("distinct_count", func(r *wire.Record) uint64 { return nonNegative(r.Distinct) }),
				str("confidence", func(r *wire.Record) string { return r.Confidence }),
				list("samples", func(r *wire.Record) []string { return r.Samples }),
				list("tokens", func(r *wire.Record) []string { return r.Tokens }),
				list("locations", func(r *wire.Record) []string { return r.Where }),
				colObserved(), version(), colOwner(),
				each("tokens_rekeyed", func(*wire.Record) uint8 { return 1 }),
			},
		},
		{
			name: "principals", kind: wire.KindPrincipal,
			cols: []column{
				str("principal_id", func(r *wire.Record) string { return r.PrincipalID }),
				str("name", func(r *wire.Record) string { return r.Name }),
				str("principal_type", func(r *wire.Record) string { return r.PrincipalType }),
				colSource(), colHost(), colAgent(), colScan(),
				each("enabled", func(r *wire.Record) int8 { return triState(r.Enabled) }),
				each("privileged", func(r *wire.Record) uint8 { return flag(r.Privileged) }),
				list("privileged_via", func(r *wire.Record) []string { return r.PrivilegedVia }),
				when("last_login", func(r *wire.Record) *time.Time { return r.LastLogin }),
				when("password_last_set", func(r *wire.Record) *time.Time { return r.PasswordLastSet }),
				each("mfa", func(r *wire.Record) int8 { return triState(r.MFA) }),
				colAttrs(), colObserved(), version(), colOwner(),
			},
		},
		{
			// A principal's credential tokens, for the principals that have
			// any (credentials.go; migration 0019).
			name: "principal_tokens", kind: kindPrincipalTokens,
			cols: []column{
				str("principal_id", func(r *wire.Record) string { return r.PrincipalID }),
				list("tokens", func(r *wire.Record) []string { return r.Tokens }),
				colSource(), colHost(), colAgent(), colScan(), colObserved(), version(), colOwner(),
			},
		},
		{
			name: "entitlements", kind: wire.KindEntitlement,
			cols: []column{
				str("principal_id", func(r *wire.Record) string { return r.PrincipalID }),
				str("resource_id", func(r *wire.Record) string { return r.ResourceID }),
				str("resource_type", func(r *wire.Record) string { return r.ResourceType }),
				str("permission", func(r *wire.Record) string { return r.Permission }),
				list("via", func(r *wire.Record) []string { return r.Via }),
				each("privileged", func(r *wire.Record) uint8 { return flag(r.Privileged) }),
				colSource(), colHost(), colAgent(), colScan(), colObserved(), version(), colOwner(),
			},
		},
		{
			name: "scans", kind: wire.KindScan,
			cols: []column{
				colScan(), colAgent(), colHost(), colSource(),
				str("scanner", func(r *wire.Record) string { return r.Scanner }),
				when("started_at", func(r *wire.Record) *time.Time { return r.StartedAt }),
				when("finished_at", func(r *wire.Record) *time.Time { return r.FinishedAt }),
				str("status", func(r *wire.Record) string { return r.Status }),
				kv("stat_keys", "stat_values", func(r *wire.Record) map[string]int64 { return r.Stats }),
				list("errors", func(r *wire.Record) []string { return r.Errors }),
				colAttrs(), colObserved(), version(),
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
	return s.InsertRecordSets(ctx, [][]wire.Record{recs}, nil)
}

// InsertRecordSets is InsertRecords of the concatenation of sets, without
// concatenating them: the ingester stores many agents' batches in one
// flush, each in its own slice. batches (the agents' batches the sets
// came in) are recorded as PutBatches does once every record is stored,
// at the same time as the write mark rather than after it: two round
// trips one after the other were a visible share of a flush.
func (s *Store) InsertRecordSets(ctx context.Context, sets [][]wire.Record, batches []Batch) error {
	tables := recordTables()
	n := 0
	for _, recs := range sets {
		n += len(recs)
	}
	base := s.reserveVersions(n)
	byKind := make(map[string][]row, len(tables))
	pos := uint64(0)
	for _, recs := range sets {
		for i := range recs {
			r := &recs[i]
			switch r.Kind {
			case wire.KindAsset, wire.KindPII, wire.KindPrincipal, wire.KindEntitlement, wire.KindScan:
				byKind[r.Kind] = append(byKind[r.Kind], row{r, base + pos})
				if r.Kind == wire.KindPrincipal && len(r.Tokens) > 0 {
					byKind[kindPrincipalTokens] = append(byKind[kindPrincipalTokens], row{r, base + pos})
				}
			default:
				// Nothing is written: the caller validates records first, so
				// this is a bug upstream rather than bad input.
				return fmt.Errorf("record %d: unknown kind %q; validate records before storing them", pos+1, clip.String(r.Kind, 40))
			}
			pos++
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
		return s.insertColumns(ctx, t, rows)
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
	var markErr error
	marked := make(chan struct{})
	go func() {
		defer close(marked)
		markErr = s.markWrite(ctx)
	}()
	batchErr := s.PutBatches(ctx, batches)
	<-marked
	return errors.Join(markErr, batchErr)
}

// insertColumns sends rows to table t in one batch, column by column.
func (s *Store) insertColumns(ctx context.Context, t table, rows []row) error {
	what := fmt.Sprintf("inserting %d rows into %s", len(rows), t.name)
	if err := ctx.Err(); err != nil {
		return s.wrap(what, err)
	}
	b, err := s.conn.PrepareBatch(deadlineOnly(ctx), s.sql("INSERT INTO {db}."+t.name+" ("+t.columnList()+")"))
	if err != nil {
		return s.wrap(what, err)
	}
	// Close releases the connection if an append or Send fails; after a
	// successful Send it does nothing.
	defer b.Close()
	i := 0
	for _, c := range t.cols {
		cs := make([]driver.BatchColumn, len(c.names))
		for j := range cs {
			cs[j] = b.Column(i)
			i++
		}
		if err := c.add(cs, rows); err != nil {
			return s.wrap(what+", column "+c.names[0], err)
		}
	}
	return s.wrap(what, b.Send())
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

// optTimeOf is optTime for a time read into a pointer (the driver scans
// DateTime into *time.Time too; nil stays nil).
func optTimeOf(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return optTime(*t)
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

// strs makes nil slices empty: the driver wants a value for every row,
// and readers an empty list rather than none.
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

// kvMap is sortedKV's inverse: parallel key and value arrays as a map (a
// key without a value is dropped).
func kvMap(k, v []string) map[string]string {
	m := make(map[string]string, len(k))
	for i := range k {
		if i < len(v) {
			m[k[i]] = v[i]
		}
	}
	return m
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
