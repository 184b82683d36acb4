package evalcorpus

import (
	"math/big"
	"net/netip"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/stretchr/testify/require"
)

// TestGermanCustomersValid checks every generated value against its
// standard independently of the detectors: a table of invalid values
// would measure nothing.
func TestGermanCustomersValid(t *testing.T) {
	tb := GermanCustomers(1, 300)
	require.Len(t, tb.Rows, 300)
	for i, row := range tb.Rows {
		require.Len(t, row, len(tb.Header))
		num, err := phonenumbers.Parse(row[2], "DE")
		require.NoError(t, err, "row %d", i)
		require.True(t, phonenumbers.IsValidNumberForRegion(num, "DE"), "row %d: %s", i, row[2])

		iban := strings.ReplaceAll(row[3], " ", "")
		require.Len(t, iban, 22)
		var digits strings.Builder
		for _, ch := range iban[4:] + iban[:4] {
			if ch >= 'A' && ch <= 'Z' {
				digits.WriteString(big.NewInt(int64(ch - 'A' + 10)).String())
			} else {
				digits.WriteRune(ch)
			}
		}
		v, ok := new(big.Int).SetString(digits.String(), 10)
		require.True(t, ok)
		require.EqualValues(t, 1, new(big.Int).Mod(v, big.NewInt(97)).Int64(), "row %d: IBAN mod 97", i)

		card := strings.NewReplacer(" ", "", "-", "").Replace(row[4])
		sum := 0
		for k := len(card) - 1; k >= 0; k-- {
			d := int(card[k] - '0')
			if (len(card)-1-k)%2 == 1 {
				if d *= 2; d > 9 {
					d -= 9
				}
			}
			sum += d
		}
		require.Zero(t, sum%10, "row %d: Luhn", i)

		ip, err := netip.ParseAddr(row[5])
		require.NoError(t, err)
		require.True(t, ip.IsGlobalUnicast(), row[5])
		require.Contains(t, row[1], "@")
	}
}
