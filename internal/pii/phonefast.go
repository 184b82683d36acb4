package pii

import (
	"regexp/syntax"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// parseIntl is parsePhone(cand, "ZZ") for the candidates the pass finds:
// a '+' then digits and the separators " -.()/". phonenumbers.Parse spends
// most of its time on what such text cannot hold (an extension, which
// needs a letter, '#', ',' or ';'; letters to convert; an IDD prefix), so
// the number is taken apart here as Parse would (the country code is the
// first one to three digits that name one) and only its validation is the
// library's. Whatever this does not decide the way Parse does is handed to
// Parse: a national number that a national prefix may start (Parse may
// strip it), one with a leading zero (Italy keeps it), a too short or too
// long one, and any other byte. FuzzParseIntl and TestParseIntlAgrees
// compare the two.
func parseIntl(cand []byte) ([]byte, bool) {
	v, ok, decided := parseIntlFast(cand)
	if !decided {
		return parsePhone(cand, "ZZ")
	}
	return v, ok
}

// parseIntlFast returns parseIntl's answer and whether it could decide.
func parseIntlFast(cand []byte) (v []byte, ok, decided bool) {
	if len(cand) < 2 || cand[0] != '+' {
		return nil, false, false
	}
	var buf [24]byte
	digits := buf[:0]
	for _, c := range cand[1:] {
		switch {
		case isDigit(c):
			if len(digits) == len(buf) {
				return nil, false, false
			}
			digits = append(digits, c)
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/':
		default:
			return nil, false, false
		}
	}
	if len(digits) < 3 || digits[0] == '0' {
		return nil, false, false
	}
	plans := intlPlans()
	cc, nsn := 0, []byte(nil)
	n := 0
	for i := 1; i <= 3 && i < len(digits); i++ {
		n = n*10 + int(digits[i-1]-'0')
		if _, known := plans[n]; known {
			cc, nsn = n, digits[i:]
			break
		}
	}
	if cc == 0 || len(nsn) < 2 || len(nsn) > 17 || nsn[0] == '0' {
		return nil, false, false
	}
	ns := string(nsn) // once: each conversion was an allocation
	if p := plans[cc]; p != nil {
		if m := p(); m == nil || m.match(ns) {
			return nil, false, false // Parse may strip a national prefix
		}
	}
	national, err := strconv.ParseUint(ns, 10, 64)
	if err != nil {
		return nil, false, false
	}
	if !validIntl(cc, ns, national) {
		return nil, false, true
	}
	return append(append([]byte{'+'}, digits[:len(digits)-len(nsn)]...), nsn...), true, true
}

// intlPlans maps every country calling code to the start of its national
// prefix for parsing (nil for none), read once from the library's
// metadata: a national number this matches is left to Parse. Each is
// compiled when a number of its code is first met (a host's files have
// numbers of a few countries; compiling all 215 cost 2 ms of CPU at a
// scan's first international number); a pattern that does not compile
// then leaves every number of its code to Parse (nil).
var intlPlans = sync.OnceValue(func() map[int]func() *digitMatcher {
	plans := map[int]func() *digitMatcher{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return plans // no fast path: every number goes to Parse
	}
	for _, md := range coll.GetMetadata() {
		cc := int(md.GetCountryCode())
		if cc < 1 || cc >= 1000 {
			continue
		}
		if _, done := plans[cc]; done || md.GetId() != phonenumbers.GetRegionCodeForCountryCode(cc) {
			continue
		}
		var re func() *digitMatcher
		if p := md.GetNationalPrefixForParsing(); p != "" {
			if _, err := syntax.Parse(p, syntax.Perl); err != nil {
				continue // unknown to this check: Parse decides
			}
			re = sync.OnceValue(func() *digitMatcher {
				m, err := newDigitMatcher(p, true)
				if err != nil {
					return nil
				}
				return m
			})
		}
		plans[cc] = re
	}
	return plans
})
