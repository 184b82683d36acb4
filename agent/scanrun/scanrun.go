// Package scanrun is the frame every scanner puts around its records: Begin
// gives a scan its id and start time and stamps each record with the same
// envelope (source, scan id, observed time, agent, host); Problem collects
// what went wrong without stopping the scan; Finish emits the one scan
// record (scanner, status, stats, errors) that closes it. A scanner owns
// what it reads and how it decides its status; this package owns how a
// scan looks on the wire, so the five scanners cannot drift apart.
package scanrun

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/sightline-dev/sightline/internal/clip"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Options names a scan.
type Options struct {
	// Scanner is the scan record's scanner name: fs, host, ldap, s3, iam.
	Scanner string
	// Source is the records' source (wire.SourceFS, …).
	Source string
	// Host is what the records are about: a host name, an LDAP server,
	// an AWS account.
	Host    string
	AgentID string
	Now     func() time.Time // default time.Now
}

// Run is one scan under way. Its methods are for one goroutine at a time:
// scanners that read in parallel report to it from their collecting loop.
type Run struct {
	// ID is the scan id every record of the scan carries.
	ID string
	// Started is the scan's start, to the second; records carry it as
	// their observed time.
	Started time.Time
	// Stats is the scan record's stats; the scanner counts into it and
	// Finish adds "errors".
	Stats map[string]int64
	o     Options
	errs  []string
	nerrs int64
}

// Begin starts a scan: a new random id, the start time, empty stats.
func Begin(o Options) *Run {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Run{ID: NewID(), Started: o.Now().UTC().Truncate(time.Second), Stats: map[string]int64{}, o: o}
}

// NewID returns a random scan id: 12 bytes, hex.
func NewID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails: crypto/rand crashes the process instead
	return hex.EncodeToString(b)
}

// Record returns a record of kind with the scan's envelope filled in.
func (r *Run) Record(kind string) wire.Record {
	return wire.Record{Kind: kind, Source: r.o.Source, ScanID: r.ID, ObservedAt: r.Started, AgentID: r.o.AgentID, Host: r.o.Host}
}

// MaxProblemBytes bounds one problem's message in a scan record. A
// message often quotes a server (an LDAP diagnostic, an SMB or database
// error), and a hostile one may send megabytes: clipped, wire.MaxErrors
// of them stay far below wire.MaxLineBytes, so the scan record, which
// tells the collector the scan ended, is never refused for its size.
const MaxProblemBytes = 1 << 10

// Problem records one thing the scan could not do. Every problem counts in
// the "errors" stat; the first wire.MaxErrors messages are kept (a scan
// record may carry no more), each cut to MaxProblemBytes in its middle:
// a message names the thing first and the reason last ("open /a/long/
// path: file name too long"), and the cut keeps both.
func (r *Run) Problem(msg string) {
	r.nerrs++
	if len(r.errs) < wire.MaxErrors {
		r.errs = append(r.errs, clip.Middle(msg, MaxProblemBytes))
	}
}

// Problems is how many problems the scan has recorded.
func (r *Run) Problems() int64 { return r.nerrs }

// Status is the status of a scan that ran to its end: partial when it
// recorded a problem, else ok.
func (r *Run) Status() string {
	if r.nerrs > 0 {
		return wire.StatusPartial
	}
	return wire.StatusOK
}

// Finish builds the scan record with status, emits it and returns it.
func (r *Run) Finish(status string, emit func(*wire.Record) error) (*wire.Record, error) {
	fin := r.o.Now().UTC()
	rec := r.Record(wire.KindScan)
	rec.Scanner, rec.StartedAt, rec.FinishedAt, rec.Status = r.o.Scanner, &r.Started, &fin, status
	r.Stats["errors"] = r.nerrs
	rec.Stats, rec.Errors = r.Stats, r.errs
	if err := emit(&rec); err != nil {
		return nil, err
	}
	return &rec, nil
}
