package pii

import (
	"github.com/nyaruka/phonenumbers"
)

// intlLengths is the precheck of an international number ("+CC ...")
// before phonenumbers.Parse and IsValidNumber, which cost tens of
// microseconds and about a hundred allocations each (regular expressions
// for extensions, prefixes and every number type): a number whose calling
// code is unknown, or whose digit count no numbering plan of that code
// allows, is rejected here. It is built from the library's own metadata,
// so it follows its updates, and only ever rejects what Parse and
// IsValidNumber would reject (TestIntlLengthsNeverRejectsValid).
var intlLengths = newIntlLengths()

// ccLengths bounds the digits after a calling code: min and max; max < 0
// is unbounded (a national-prefix rule of unbounded length).
type ccLengths struct{ min, max int }

type intlLengthTable struct {
	byCode [1000]ccLengths // by calling code; known says which are codes
	known  [1000]bool
}

// newIntlLengths derives, for each calling code, the digit counts after
// it that can be valid. IsValidNumber matches the national significant
// number against the general description of the code's region (its
// possible lengths first). Parse makes that number from the digits after
// the code, less a national prefix it may strip (at most the longest
// match of the prefix-for-parsing pattern) or transform (which may also
// lengthen it). So, over all regions sharing the code: at least the
// shortest possible length unless a region has a transform rule, at most
// the longest plus the longest prefix match.
func newIntlLengths() *intlLengthTable {
	t := &intlLengthTable{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		// No metadata: every code stays unknown-but-allowed below.
		for i := range t.known {
			t.known[i], t.byCode[i] = true, ccLengths{0, -1}
		}
		return t
	}
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		if cc > 0 && cc < len(t.known) {
			t.known[cc] = true
			t.byCode[cc] = ccLengths{min: 1 << 30, max: 0}
		}
	}
	for _, md := range coll.GetMetadata() {
		cc := int(md.GetCountryCode())
		if cc <= 0 || cc >= len(t.known) {
			continue
		}
		if !t.known[cc] { // metadata for a code Parse does not know: stays unknown
			continue
		}
		b := &t.byCode[cc]
		lens := md.GetGeneralDesc().GetPossibleLength()
		lo, hi := 0, -1
		if len(lens) > 0 {
			lo, hi = int(lens[0]), int(lens[0])
			for _, l := range lens {
				lo, hi = min(lo, int(l)), max(hi, int(l))
			}
		}
		if md.GetNationalPrefixTransformRule() != "" {
			lo = 0
		}
		if p := md.GetNationalPrefixForParsing(); p != "" && hi >= 0 {
			if m := maxMatchLen(p); m < 0 {
				hi = -1
			} else {
				hi += m
			}
		}
		b.min = min(b.min, lo)
		if b.max >= 0 {
			if hi < 0 {
				b.max = -1
			} else {
				b.max = max(b.max, hi)
			}
		}
	}
	for cc := range t.byCode {
		if t.known[cc] && t.byCode[cc].min == 1<<30 { // a code without metadata: no bound
			t.byCode[cc] = ccLengths{0, -1}
		}
	}
	return t
}

// possible reports whether the international candidate c (a '+', then
// digits and the separators phoneAt allows) may be a valid number: its
// calling code, the first one to three digits that are one as Parse takes
// it, is known, and the digits after it are as many as its plans allow.
func (t *intlLengthTable) possible(c []byte) bool {
	var d [32]byte
	n := 0
	for _, b := range c {
		if isDigit(b) {
			if n == len(d) {
				return true // longer than phoneAt lets through: leave it to Parse
			}
			d[n] = b
			n++
		}
	}
	if n == 0 || d[0] == '0' {
		return false // Parse: a calling code never starts with 0
	}
	cc := 0
	for k := 0; k < 3 && k < n; k++ {
		cc = cc*10 + int(d[k]-'0')
		if t.known[cc] {
			b := t.byCode[cc]
			rest := n - k - 1
			return rest >= b.min && (b.max < 0 || rest <= b.max)
		}
	}
	return false
}
