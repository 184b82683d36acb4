package pii

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/stretchr/testify/require"
)

// validIntl's compiled plans answer as phonenumbers.IsValidNumber for
// every calling code: the library's example numbers of each kind, each
// with digits changed, cut short and made longer.
func TestValidIntlAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	cases, valid := 0, 0
	for cc := 1; cc < 1000; cc++ {
		for _, region := range phonenumbers.GetRegionCodesForCountryCode(cc) {
			for typ := phonenumbers.FIXED_LINE; typ <= phonenumbers.VOICEMAIL; typ++ {
				var ex *phonenumbers.PhoneNumber
				if region == "001" {
					ex = phonenumbers.GetExampleNumberForNonGeoEntity(cc)
				} else {
					ex = phonenumbers.GetExampleNumberForType(region, typ)
				}
				if ex == nil {
					continue
				}
				nsn := phonenumbers.GetNationalSignificantNumber(ex)
				forms := []string{nsn, nsn[:len(nsn)-1], nsn + "7"}
				for range 6 {
					b := []byte(nsn)
					b[r.IntN(len(b))] = byte('0' + r.IntN(10))
					forms = append(forms, string(b))
				}
				for _, f := range forms {
					national, err := strconv.ParseUint(f, 10, 64)
					if err != nil || f == "" || f[0] == '0' {
						continue
					}
					code := int32(cc)
					want := phonenumbers.IsValidNumber(&phonenumbers.PhoneNumber{CountryCode: &code, NationalNumber: &national})
					require.Equal(t, want, validIntl(cc, f, national), "+%d %s", cc, f)
					cases++
					if want {
						valid++
					}
				}
			}
		}
	}
	require.Greater(t, cases, 5000)
	require.Greater(t, valid, cases/5)
}
