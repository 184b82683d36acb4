package pii

import (
	"slices"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// numberDesc is one of a region's number kinds (phonenumbers'
// PhoneNumberDesc) with its pattern compiled once: the library builds
// "^(?:…)$" and looks it up in its regexp cache twice for every kind it
// tries, which on logs dense with numbers was most of parseIntl's time.
type numberDesc struct {
	lengths []int32
	re      *digitMatcher
}

// newNumberDesc compiles d's pattern, or takes it from seen (the regions
// of a calling code repeat patterns: +1's 25 have 275, 87 of them
// distinct, "NA" 114 times).
func newNumberDesc(d *phonenumbers.PhoneNumberDesc, seen map[string]*digitMatcher) (numberDesc, error) {
	p := d.GetNationalNumberPattern()
	re, ok := seen[p]
	if !ok {
		var err error
		if re, err = newDigitMatcher(p, false); err != nil {
			return numberDesc{}, err
		}
		seen[p] = re
	}
	return numberDesc{lengths: d.GetPossibleLength(), re: re}, nil
}

// matches is the library's isNumberMatchingDesc.
func (d *numberDesc) matches(nsn string) bool {
	if len(d.lengths) > 0 && !slices.Contains(d.lengths, int32(len(nsn))) {
		return false
	}
	return d.re.match(nsn)
}

// regionPlan is what IsValidNumber reads of one region's metadata.
type regionPlan struct {
	leading *digitMatcher // nil for none
	general numberDesc
	kinds   []numberDesc // premium rate … voicemail, in the library's order
	fixed   numberDesc
	mobile  numberDesc
	same    bool // the same pattern for mobile and fixed line numbers
}

// known is the library's getNumberTypeHelper(…) != UNKNOWN.
func (p *regionPlan) known(nsn string) bool {
	if !p.general.matches(nsn) {
		return false
	}
	for k := range p.kinds {
		if p.kinds[k].matches(nsn) {
			return true
		}
	}
	return p.fixed.matches(nsn) || !p.same && p.mobile.matches(nsn)
}

// callingPlan is the regions of one country calling code, in the
// library's order, or nil when IsValidNumber cannot be answered here.
type callingPlan struct{ regions []regionPlan }

// valid is phonenumbers.IsValidNumber for a number of this calling code
// whose national significant number is nsn (no leading zero): the first
// region whose leading digits or number kinds take it (GetRegionCodeFor-
// Number), then that region's kinds (IsValidNumberForRegion).
func (c *callingPlan) valid(nsn string) bool {
	if len(c.regions) == 1 {
		return c.regions[0].known(nsn)
	}
	for k := range c.regions {
		p := &c.regions[k]
		if p.leading != nil {
			if p.leading.match(nsn) {
				return p.known(nsn)
			}
		} else if p.known(nsn) {
			return true
		}
	}
	return false
}

// callingPlans holds a plan for each calling code, each compiled on its
// first number (a host's files have numbers of a few countries).
var callingPlans = func() (t [1000]func() *callingPlan) {
	for cc := range t {
		t[cc] = sync.OnceValue(func() *callingPlan { return newCallingPlan(cc) })
	}
	return t
}()

// newCallingPlan reads cc's regions from the library's metadata; nil when
// some region's metadata is not where IsValidNumber would find it or a
// pattern does not compile (the library is asked then).
func newCallingPlan(cc int) *callingPlan {
	regions := phonenumbers.GetRegionCodesForCountryCode(cc)
	if len(regions) == 0 {
		return nil
	}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil
	}
	plan := &callingPlan{}
	seen := map[string]*digitMatcher{}
	for _, region := range regions {
		var md *phonenumbers.PhoneMetadata
		for _, m := range coll.GetMetadata() {
			if m.GetId() == region && (region != "001" || int(m.GetCountryCode()) == cc) {
				md = m
				break
			}
		}
		if md == nil || int(md.GetCountryCode()) != cc {
			return nil
		}
		p := regionPlan{same: md.GetSameMobileAndFixedLinePattern()}
		var errs [3]error
		p.general, errs[0] = newNumberDesc(md.GetGeneralDesc(), seen)
		p.fixed, errs[1] = newNumberDesc(md.GetFixedLine(), seen)
		p.mobile, errs[2] = newNumberDesc(md.GetMobile(), seen)
		if errs != [3]error{} {
			return nil
		}
		if ld := md.GetLeadingDigits(); ld != "" {
			if p.leading, err = newDigitMatcher(ld, true); err != nil {
				return nil
			}
		}
		for _, d := range []*phonenumbers.PhoneNumberDesc{md.GetPremiumRate(), md.GetTollFree(), md.GetSharedCost(), md.GetVoip(),
			md.GetPersonalNumber(), md.GetPager(), md.GetUan(), md.GetVoicemail()} {
			nd, err := newNumberDesc(d, seen)
			if err != nil {
				return nil
			}
			p.kinds = append(p.kinds, nd)
		}
		plan.regions = append(plan.regions, p)
	}
	return plan
}

// validIntl is phonenumbers.IsValidNumber of +cc nsn (nsn without a
// leading zero), from callingPlans where it can.
func validIntl(cc int, nsn string, national uint64) bool {
	if cc > 0 && cc < len(callingPlans) {
		if p := callingPlans[cc](); p != nil {
			return p.valid(nsn)
		}
	}
	code := int32(cc)
	return phonenumbers.IsValidNumber(&phonenumbers.PhoneNumber{CountryCode: &code, NationalNumber: &national})
}
