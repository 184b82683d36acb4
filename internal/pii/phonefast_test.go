package pii

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/stretchr/testify/require"
)

// parseIntl answers as phonenumbers.Parse with region ZZ does, on numbers
// of every calling code in the forms people write them (groups, dashes,
// dots, an area code in parentheses, a national prefix kept as "(0)"),
// valid and not; and it decides most of them itself (or it would be no
// faster).
func TestParseIntlAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var codes []int
	for cc := 1; cc < 1000; cc++ {
		if phonenumbers.GetRegionCodeForCountryCode(cc) != "ZZ" {
			codes = append(codes, cc)
		}
	}
	require.Greater(t, len(codes), 200)
	seps := []string{" ", "-", ".", "", "", "/", " (0) ", " (", ") "}
	cases, valid, decided := 0, 0, 0
	check := func(cand string) {
		want, wantOK := parsePhone([]byte(cand), "ZZ")
		got, gotOK := parseIntl([]byte(cand))
		require.Equal(t, wantOK, gotOK, "%q", cand)
		require.Equal(t, string(want), string(got), "%q", cand)
		if _, _, d := parseIntlFast([]byte(cand)); d {
			decided++
		}
		if wantOK {
			valid++
		}
		cases++
	}
	for _, cc := range codes {
		region := phonenumbers.GetRegionCodeForCountryCode(cc)
		// The library's own examples are valid numbers: each written in
		// groups, and with one digit changed.
		for _, typ := range []phonenumbers.PhoneNumberType{phonenumbers.MOBILE, phonenumbers.FIXED_LINE, phonenumbers.TOLL_FREE} {
			ex := phonenumbers.GetExampleNumberForType(region, typ)
			if ex == nil {
				continue
			}
			nsn := phonenumbers.GetNationalSignificantNumber(ex)
			for range 4 {
				b := []byte("+" + strconv.Itoa(cc))
				for k := 0; k < len(nsn); k++ {
					if r.IntN(3) == 0 {
						b = append(b, seps[r.IntN(len(seps))]...)
					}
					c := nsn[k]
					if r.IntN(8) == 0 {
						c = byte('0' + r.IntN(10))
					}
					b = append(b, c)
				}
				check(string(b))
			}
		}
		// Random digits of every length.
		for range 6 {
			b := []byte("+" + strconv.Itoa(cc))
			for range 2 + r.IntN(14) {
				if r.IntN(4) == 0 {
					b = append(b, seps[r.IntN(len(seps))]...)
				}
				b = append(b, byte('0'+r.IntN(10)))
			}
			check(string(b))
		}
	}
	for _, c := range []string{"+", "+0", "+00 123 4567", "+999 1234567", "+1", "+12", "+1 (212) 555-0123", "+44 (0)20 7946 0958",
		"+39 06 6988 1234", "+49 30 12345678 9", "+1 212 555 0123 ext 4", "+49 30 1234567#", "+61 (0)2 9374 4000", "+7 800 555 35 35"} {
		check(c)
	}
	t.Logf("%d candidates, %d valid, %d decided without Parse", cases, valid, decided)
	require.Greater(t, valid, cases/5)
	require.Greater(t, decided, cases/2)
}

// FuzzParseIntl: on any input, parseIntl answers as Parse does.
func FuzzParseIntl(f *testing.F) {
	for _, s := range []string{"+49 30 1234567", "+1 (212) 555-0123", "+44 (0)20 7946 0958", "+39 06 6988 1234", "+0", "+", "+91-98765-43210"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cand string) {
		if len(cand) > 64 {
			return
		}
		want, wantOK := parsePhone([]byte(cand), "ZZ")
		got, gotOK := parseIntl([]byte(cand))
		if wantOK != gotOK || string(want) != string(got) {
			t.Fatalf("%q: Parse %q %v, parseIntl %q %v", cand, want, wantOK, got, gotOK)
		}
	})
}
