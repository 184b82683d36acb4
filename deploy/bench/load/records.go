package main

import (
	"fmt"
	"time"

	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Kinds counts records by kind. The bench keys every record uniquely (see
// generator), so for each kind the number generated is also the number of
// rows its table must hold under FINAL.
type Kinds struct {
	Assets, PII, Principals, Entitlements, Scans int64
}

// Total is the sum over kinds.
func (k Kinds) Total() int64 {
	return k.Assets + k.PII + k.Principals + k.Entitlements + k.Scans
}

// Add returns the sum of k and o.
func (k Kinds) Add(o Kinds) Kinds {
	return Kinds{k.Assets + o.Assets, k.PII + o.PII, k.Principals + o.Principals,
		k.Entitlements + o.Entitlements, k.Scans + o.Scans}
}

func (k *Kinds) count(kind string) {
	switch kind {
	case wire.KindAsset:
		k.Assets++
	case wire.KindPII:
		k.PII++
	case wire.KindPrincipal:
		k.Principals++
	case wire.KindEntitlement:
		k.Entitlements++
	case wire.KindScan:
		k.Scans++
	}
}

// piiKinds are the detector's types the generator reports, with a
// normalized fake value shape for the mask and the token.
var piiKinds = []struct {
	typ, category string
	value         func(n int) string
}{
	{pii.TypeEmail, pii.CategoryContact, func(n int) string { return fmt.Sprintf("person-%d@example.com", n) }},
	{pii.TypeCreditCard, pii.CategoryFinancial, func(n int) string { return fmt.Sprintf("4111%012d", n) }},
	{pii.TypeUSSSN, pii.CategoryGovernmentID, func(n int) string { return fmt.Sprintf("%09d", 100000000+n%800000000) }},
}

// generator makes one simulated host's scan cycles: each is a file-system
// scan (file assets, their pii findings, an owner entitlement per file,
// then the scan record) and a host scan (local accounts, one of them in
// sudo with its membership entitlement, then the scan record). Every record's table key is unique across cycles (each cycle
// reports new files and accounts), so "stored exactly once" can be
// checked by counting rows per agent.
type generator struct {
	host  string
	files int // files per fs scan
	tok   *pii.Tokenizer
	now   func() time.Time
	cycle int
}

// principalsPerScan is the local accounts each host scan reports.
const principalsPerScan = 4

// next calls emit with every record of the next scan cycle, in the order
// an agent spools them, and stops at the first error emit returns.
func (g *generator) next(emit func(*wire.Record) error) error {
	c := g.cycle
	g.cycle++
	t0 := g.now().UTC().Truncate(time.Second)
	env := func(kind, source, scanID string) wire.Record {
		return wire.Record{Kind: kind, Source: source, ScanID: scanID, ObservedAt: t0, Host: g.host}
	}
	fsScan := fmt.Sprintf("fs-%s-%06d", g.host, c)
	owner := wire.LocalPrincipalID(g.host, "user", "app")
	mod := t0.Add(-72 * time.Hour)
	for i := 0; i < g.files; i++ {
		loc := fmt.Sprintf("file:///srv/share/%s/run-%06d/export-%04d.csv", g.host, c, i)
		a := env(wire.KindAsset, wire.SourceFS, fsScan)
		a.AssetID, a.AssetType, a.Location = wire.StableID(wire.SourceFS, g.host, loc), "file", loc
		a.Owner, a.Size, a.ModifiedAt = "app", int64(4096+i*512), &mod
		a.Attributes = map[string]string{"mode": "0640", "world_readable": "false", "group": "staff"}
		if err := emit(&a); err != nil {
			return err
		}
		// One to three pii types per file, each with masked samples and
		// keyed tokens of made-up values (never a raw value).
		for k := 0; k <= i%len(piiKinds); k++ {
			pk := piiKinds[(i+k)%len(piiKinds)]
			p := env(wire.KindPII, wire.SourceFS, fsScan)
			p.AssetID, p.Location, p.Type, p.Category = a.AssetID, loc, pk.typ, pk.category
			p.Count, p.Distinct, p.Confidence = int64(3+i%40), int64(2+i%3), wire.ConfidenceHigh
			base := c*g.files*8 + i*8
			for s := 0; s < 2; s++ {
				p.Samples = append(p.Samples, pii.Mask(pk.typ, []byte(pk.value(base+s))))
			}
			for s := 0; s < 4; s++ {
				p.Tokens = append(p.Tokens, g.tok.Token([]byte(pk.value(base+s))))
			}
			p.Where = []string{fmt.Sprintf("line %d", 2+i%90), fmt.Sprintf("line %d", 3+i%90)}
			if err := emit(&p); err != nil {
				return err
			}
		}
		e := env(wire.KindEntitlement, wire.SourceFS, fsScan)
		e.PrincipalID, e.ResourceID, e.ResourceType, e.Permission, e.Via = owner, a.AssetID, "file", "read", []string{"owner"}
		if err := emit(&e); err != nil {
			return err
		}
	}
	if err := emit(scanRecord(env(wire.KindScan, wire.SourceFS, fsScan), "fs", t0, int64(g.files))); err != nil {
		return err
	}

	hostScan := fmt.Sprintf("host-%s-%06d", g.host, c)
	enabled, mfa := true, false
	login := t0.Add(-36 * time.Hour)
	for k := 0; k < principalsPerScan; k++ {
		name := fmt.Sprintf("u%06d-%d", c, k)
		p := env(wire.KindPrincipal, wire.SourceHost, hostScan)
		p.PrincipalID, p.Name, p.PrincipalType = wire.LocalPrincipalID(g.host, "user", name), name, "user"
		p.Enabled, p.MFA, p.LastLogin = &enabled, &mfa, &login
		if k == 0 {
			p.Privileged, p.PrivilegedVia = true, []string{"member of sudo"}
		}
		if err := emit(&p); err != nil {
			return err
		}
		if k == 0 {
			// The host scanner reports group membership as an entitlement.
			e := env(wire.KindEntitlement, wire.SourceHost, hostScan)
			e.PrincipalID, e.ResourceID, e.ResourceType, e.Permission = p.PrincipalID, wire.LocalPrincipalID(g.host, "group", "sudo"), "group", "member"
			e.Privileged = true
			if err := emit(&e); err != nil {
				return err
			}
		}
	}
	return emit(scanRecord(env(wire.KindScan, wire.SourceHost, hostScan), "host", t0, principalsPerScan))
}

func scanRecord(r wire.Record, scanner string, t0 time.Time, items int64) *wire.Record {
	start, end := t0.Add(-time.Minute), t0
	r.Scanner, r.StartedAt, r.FinishedAt, r.Status = scanner, &start, &end, wire.StatusOK
	r.Stats = map[string]int64{"items": items}
	return &r
}
