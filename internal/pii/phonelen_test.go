package pii

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/stretchr/testify/require"
)

// The precheck must never reject an international number phonenumbers
// accepts: every example number of every region and type, as written with
// separators, and random digit strings after every calling code (most
// invalid, some valid). It must also reject something, or it saves nothing.
func TestIntlLengthsNeverRejectsValid(t *testing.T) {
	seps := []string{"", " ", "-", ".", " (", ") ", "/"}
	r := rand.New(rand.NewPCG(3, 5))
	check := func(cand string) (valid, passed bool) {
		_, valid = parsePhone([]byte(cand), "ZZ")
		passed = intlLengths.possible([]byte(cand))
		require.Falsef(t, valid && !passed, "precheck rejects valid number %s", cand)
		return valid, passed
	}
	examples := 0
	for region := range phonenumbers.GetSupportedRegions() {
		for _, typ := range []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
			phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER,
			phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL} {
			num := phonenumbers.GetExampleNumberForType(region, typ)
			if num == nil {
				continue
			}
			for _, f := range []phonenumbers.PhoneNumberFormat{phonenumbers.E164, phonenumbers.INTERNATIONAL} {
				if valid, _ := check(phonenumbers.Format(num, f)); valid {
					examples++
				}
			}
		}
	}
	for cc := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		if num := phonenumbers.GetExampleNumberForNonGeoEntity(cc); num != nil {
			if valid, _ := check(phonenumbers.Format(num, phonenumbers.INTERNATIONAL)); valid {
				examples++
			}
		}
	}
	require.Greater(t, examples, 1000, "too few example numbers were valid: the test checks nothing")

	codes := make([]int, 0, 300)
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		codes = append(codes, cc)
	}
	valid, rejected, total := 0, 0, 0
	for range 20000 {
		var b strings.Builder
		fmt.Fprintf(&b, "+%d", codes[r.IntN(len(codes))])
		if r.IntN(20) == 0 {
			b.Reset()
			fmt.Fprintf(&b, "+%d", r.IntN(1000)) // unknown codes too
		}
		for range 1 + r.IntN(15) {
			if r.IntN(4) == 0 {
				b.WriteString(seps[r.IntN(len(seps))])
			}
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		v, p := check(b.String())
		total++
		if v {
			valid++
		}
		if !p {
			rejected++
		}
	}
	// The shapes of the labeled corpus (internal/pii/evalcorpus) and of
	// make bench-scan's kv corpus, with random digits.
	shapes := []func() string{
		func() string { return fmt.Sprintf("+1 %03d 555 %04d", r.IntN(1000), r.IntN(10000)) },
		func() string { return fmt.Sprintf("+1 %d%02d-555-%04d", 2+r.IntN(8), r.IntN(100), r.IntN(1e4)) },
		func() string { return fmt.Sprintf("+44 20 7946 %04d", r.IntN(10000)) },
		func() string { return fmt.Sprintf("+49 30 %0*d", 5+r.IntN(5), r.IntN(1e9)) },
		func() string {
			return fmt.Sprintf("+33 %d %02d %02d %02d %02d", r.IntN(10), r.IntN(100), r.IntN(100), r.IntN(100), r.IntN(100))
		},
	}
	for range 2000 {
		if v, _ := check(shapes[r.IntN(len(shapes))]()); v {
			valid++
		}
	}
	require.Greater(t, valid, 100, "too few random numbers were valid: the test checks little")
	require.Greater(t, rejected, total/4, "the precheck rejects too little to be worth it")
	t.Logf("examples %d; random: %d valid, %d of %d rejected by the precheck", examples, valid, rejected, total)
}
