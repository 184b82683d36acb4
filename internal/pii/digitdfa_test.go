package pii

import (
	"math/rand/v2"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/stretchr/testify/require"
)

// TestDigitMatcherAgrees: on every pattern of the phone metadata that
// validIntl and parseIntlFast compile, the DFA answers as the regexp for
// digit strings of every length up to 18 (random ones and the library's
// example numbers with digits changed, cut and extended), and for
// strings with a byte that is no digit.
func TestDigitMatcherAgrees(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	require.NoError(t, err)
	type pat struct {
		p       string
		prefix  bool
		example string
	}
	var pats []pat
	for _, md := range coll.GetMetadata() {
		descs := []*phonenumbers.PhoneNumberDesc{md.GetGeneralDesc(), md.GetFixedLine(), md.GetMobile(), md.GetPremiumRate(),
			md.GetTollFree(), md.GetSharedCost(), md.GetVoip(), md.GetPersonalNumber(), md.GetPager(), md.GetUan(), md.GetVoicemail()}
		for _, d := range descs {
			if d != nil {
				pats = append(pats, pat{d.GetNationalNumberPattern(), false, d.GetExampleNumber()})
			}
		}
		if ld := md.GetLeadingDigits(); ld != "" {
			pats = append(pats, pat{ld, true, ""})
		}
		if p := md.GetNationalPrefixForParsing(); p != "" {
			pats = append(pats, pat{p, true, ""})
		}
	}
	r := rand.New(rand.NewPCG(17, 18))
	digits := func(n int) string {
		b := make([]byte, n)
		for k := range b {
			b[k] = byte('0' + r.IntN(10))
		}
		return string(b)
	}
	withDFA, matched := 0, 0
	for _, pt := range pats {
		m, err := newDigitMatcher(pt.p, pt.prefix)
		require.NoError(t, err, pt.p)
		if m.dfa != nil {
			withDFA++
		}
		forms := []string{"", "0", "1", "1a2", "12 34", "+12"}
		for n := 1; n <= 18; n++ {
			for range 40 {
				forms = append(forms, digits(n))
			}
		}
		if ex := pt.example; ex != "" {
			forms = append(forms, ex, ex[:len(ex)-1], ex+"5", ex+"x")
			for range 200 {
				b := []byte(ex)
				for range 1 + r.IntN(2) {
					b[r.IntN(len(b))] = byte('0' + r.IntN(10))
				}
				forms = append(forms, string(b), string(b[:r.IntN(len(b)+1)]))
			}
		}
		for _, f := range forms {
			want := m.re().MatchString(f)
			require.Equal(t, want, m.match(f), "%q on %q (prefix %v)", pt.p, f, pt.prefix)
			if want {
				matched++
			}
		}
	}
	require.Greater(t, len(pats), 2000)
	require.Greater(t, withDFA, len(pats)*99/100, "patterns the DFA takes")
	require.Greater(t, matched, len(pats)*10)
}
