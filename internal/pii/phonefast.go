package pii

import (
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
	if p := plans[cc]; p != nil && p.match(ns) {
		return nil, false, false // Parse may strip a national prefix
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
// metadata: a national number this matches is left to Parse.
var intlPlans = sync.OnceValue(func() map[int]*digitMatcher {
	plans := map[int]*digitMatcher{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return plans // no fast path: every number goes to Parse
	}
	for cc := 1; cc < 1000; cc++ {
		region := phonenumbers.GetRegionCodeForCountryCode(cc)
		if region == "ZZ" {
			continue
		}
		for _, md := range coll.GetMetadata() {
			if int(md.GetCountryCode()) != cc || md.GetId() != region {
				continue
			}
			var re *digitMatcher
			if p := md.GetNationalPrefixForParsing(); p != "" {
				if re, err = newDigitMatcher(p, true); err != nil {
					break // unknown to this check: Parse decides
				}
			}
			plans[cc] = re
			break
		}
	}
	return plans
})
