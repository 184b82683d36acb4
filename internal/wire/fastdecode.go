package wire

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// fastDecode decodes the shape of record line that agents write — one
// object; known keys, each once; strings without escapes; integers;
// booleans; RFC 3339 times; arrays of strings; flat maps — without
// reflection, into strings that share one copy of the line (one allocation
// instead of one per value: allocation and the garbage collector were the
// larger part of the collector's decoding cost, make bench-ingest
// -cpuprofile). It reports false for anything else (an escape, null, a
// number with a fraction or exponent, an unknown or repeated key, invalid
// UTF-8, trailing bytes…) and leaves rec to be decoded again by the general
// decoder, whose reading is the reference: FuzzDecoderAgreesWithStdlib
// holds every line this accepts to encoding/json's record.
//
// The line's copy stays alive while any of the record's strings does; the
// admission estimate (collector/admission.RecordBytes) counts three record
// structs per record, which covers the keys and punctuation kept with it.
func fastDecode(line []byte, rec *Record) bool {
	if len(line) < 2 || line[0] != '{' || !utf8.Valid(line) {
		return false
	}
	p := fastScanner{s: string(line), b: line}
	var seen uint64
	ok := p.object(func(key string) bool {
		bit, ok := p.field(key, rec)
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
	return ok && p.i == len(p.s)
}

// field decodes the value of key into rec and returns the key's bit (one
// per field, to refuse a repeated key: encoding/json would keep the last,
// or merge maps, which the general decoder does).
func (p *fastScanner) field(key string, r *Record) (uint64, bool) {
	var ok bool
	switch key {
	case "kind":
		r.Kind, ok = p.str()
		return 1 << 0, ok
	case "source":
		r.Source, ok = p.str()
		return 1 << 1, ok
	case "scan_id":
		r.ScanID, ok = p.str()
		return 1 << 2, ok
	case "observed_at":
		return 1 << 3, p.time(&r.ObservedAt)
	case "agent_id":
		r.AgentID, ok = p.str()
		return 1 << 4, ok
	case "host":
		r.Host, ok = p.str()
		return 1 << 5, ok
	case "asset_id":
		r.AssetID, ok = p.str()
		return 1 << 6, ok
	case "asset_type":
		r.AssetType, ok = p.str()
		return 1 << 7, ok
	case "location":
		r.Location, ok = p.str()
		return 1 << 8, ok
	case "owner":
		r.Owner, ok = p.str()
		return 1 << 9, ok
	case "size":
		r.Size, ok = p.int()
		return 1 << 10, ok
	case "modified_at":
		r.ModifiedAt, ok = p.timePtr()
		return 1 << 11, ok
	case "attributes":
		r.Attributes, ok = objectMap(p, p.str)
		return 1 << 12, ok
	case "type":
		r.Type, ok = p.str()
		return 1 << 13, ok
	case "category":
		r.Category, ok = p.str()
		return 1 << 14, ok
	case "count":
		r.Count, ok = p.int()
		return 1 << 15, ok
	case "distinct":
		r.Distinct, ok = p.int()
		return 1 << 16, ok
	case "confidence":
		r.Confidence, ok = p.str()
		return 1 << 17, ok
	case "samples":
		r.Samples, ok = p.strs()
		return 1 << 18, ok
	case "tokens":
		r.Tokens, ok = p.strs()
		return 1 << 19, ok
	case "where":
		r.Where, ok = p.strs()
		return 1 << 20, ok
	case "principal_id":
		r.PrincipalID, ok = p.str()
		return 1 << 21, ok
	case "name":
		r.Name, ok = p.str()
		return 1 << 22, ok
	case "principal_type":
		r.PrincipalType, ok = p.str()
		return 1 << 23, ok
	case "enabled":
		r.Enabled, ok = p.boolPtr()
		return 1 << 24, ok
	case "privileged":
		r.Privileged, ok = p.bool()
		return 1 << 25, ok
	case "privileged_via":
		r.PrivilegedVia, ok = p.strs()
		return 1 << 26, ok
	case "last_login":
		r.LastLogin, ok = p.timePtr()
		return 1 << 27, ok
	case "password_last_set":
		r.PasswordLastSet, ok = p.timePtr()
		return 1 << 28, ok
	case "mfa":
		r.MFA, ok = p.boolPtr()
		return 1 << 29, ok
	case "resource_id":
		r.ResourceID, ok = p.str()
		return 1 << 30, ok
	case "resource_type":
		r.ResourceType, ok = p.str()
		return 1 << 31, ok
	case "permission":
		r.Permission, ok = p.str()
		return 1 << 32, ok
	case "via":
		r.Via, ok = p.strs()
		return 1 << 33, ok
	case "scanner":
		r.Scanner, ok = p.str()
		return 1 << 34, ok
	case "started_at":
		r.StartedAt, ok = p.timePtr()
		return 1 << 35, ok
	case "finished_at":
		r.FinishedAt, ok = p.timePtr()
		return 1 << 36, ok
	case "status":
		r.Status, ok = p.str()
		return 1 << 37, ok
	case "stats":
		r.Stats, ok = objectMap(p, p.int)
		return 1 << 38, ok
	case "errors":
		r.Errors, ok = p.strs()
		return 1 << 39, ok
	}
	return 0, false
}

// fastScanner reads JSON values from s at i; every method reports false
// for input outside the simple shape, leaving i anywhere.
type fastScanner struct {
	s string
	b []byte // the same bytes as s, for parsers that take bytes
	i int
}

func (p *fastScanner) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *fastScanner) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// str reads a string without escapes or control characters (those go to
// the general decoder); the result shares the line's memory.
func (p *fastScanner) str() (string, bool) {
	if p.peek() != '"' {
		return "", false
	}
	start := p.i + 1
	for j := start; j < len(p.s); j++ {
		switch c := p.s[j]; {
		case c == '"':
			p.i = j + 1
			return p.s[start:j], true
		case c == '\\' || c < 0x20:
			return "", false
		}
	}
	return "", false
}

// int reads an integer as JSON writes it (no leading zeros, no fraction or
// exponent: encoding/json refuses those for an int64 field).
func (p *fastScanner) int() (int64, bool) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	if p.i == digits || (p.s[digits] == '0' && p.i-digits > 1) {
		return 0, false
	}
	switch p.peek() {
	case '.', 'e', 'E':
		return 0, false
	}
	n, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
	return n, err == nil
}

func (p *fastScanner) bool() (bool, bool) {
	switch {
	case len(p.s)-p.i >= 4 && p.s[p.i:p.i+4] == "true":
		p.i += 4
		return true, true
	case len(p.s)-p.i >= 5 && p.s[p.i:p.i+5] == "false":
		p.i += 5
		return false, true
	}
	return false, false
}

func (p *fastScanner) boolPtr() (*bool, bool) {
	b, ok := p.bool()
	if !ok {
		return nil, false
	}
	return &b, true
}

// time reads a quoted time through time.Time's own UnmarshalJSON, the very
// parser encoding/json calls.
func (p *fastScanner) time(t *time.Time) bool {
	start := p.i
	if _, ok := p.str(); !ok {
		return false
	}
	return t.UnmarshalJSON(p.b[start:p.i]) == nil
}

func (p *fastScanner) timePtr() (*time.Time, bool) {
	t := new(time.Time)
	if !p.time(t) {
		return nil, false
	}
	return t, true
}

// strs reads an array of strings; [] is an empty, non-nil slice, as
// encoding/json makes it.
func (p *fastScanner) strs() ([]string, bool) {
	if p.peek() != '[' {
		return nil, false
	}
	p.i++
	p.ws()
	out := make([]string, 0, p.countStrings())
	if p.peek() == ']' {
		p.i++
		return out, true
	}
	for {
		s, ok := p.str()
		if !ok {
			return nil, false
		}
		out = append(out, s)
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
			p.ws()
		case ']':
			p.i++
			return out, true
		default:
			return nil, false
		}
	}
}

// countStrings counts the strings of the array starting at i (quotes
// seen up to the closing bracket, halved), so strs allocates once: token
// lists run to a hundred entries. A malformed array only makes a wrong
// guess, which strs then refuses.
func (p *fastScanner) countStrings() int {
	quotes := 0
	for j := p.i; j < len(p.s); j++ {
		switch p.s[j] {
		case '"':
			quotes++
		case ']':
			if quotes%2 == 0 {
				return quotes / 2
			}
		}
	}
	return 0
}

// object reads a flat object, calling value after each key (with the
// scanner at the value); a repeated key is refused.
func (p *fastScanner) object(value func(key string) bool) bool {
	if p.peek() != '{' {
		return false
	}
	p.i++
	p.ws()
	if p.peek() == '}' {
		p.i++
		return true
	}
	for {
		key, ok := p.str()
		if !ok {
			return false
		}
		p.ws()
		if p.peek() != ':' {
			return false
		}
		p.i++
		p.ws()
		if !value(key) {
			return false
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
			p.ws()
		case '}':
			p.i++
			return true
		default:
			return false
		}
	}
}

// objectMap reads an object whose values value reads, refusing a repeated
// key.
func objectMap[V any](p *fastScanner, value func() (V, bool)) (map[string]V, bool) {
	m := map[string]V{}
	ok := p.object(func(key string) bool {
		if _, dup := m[key]; dup {
			return false
		}
		v, ok := value()
		m[key] = v
		return ok
	})
	return m, ok
}
