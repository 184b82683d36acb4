package pii

import (
	"bytes"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// afterVersionWord's first check is the last byte of every version word:
// each ends in one of the bytes it lets through, and each is still found
// before an address, in both cases.
func TestAfterVersionWordLastByte(t *testing.T) {
	for _, w := range versionWords {
		require.Contains(t, "nedrv", string(lower(w[len(w)-1])), "%s", w)
		up := bytes.Map(func(r rune) rune { // ASCII letters: hasPrefixFold's folding
			if r >= 'a' && r <= 'z' {
				return r - 32
			}
			return r
		}, w)
		for _, form := range [][]byte{w, up} {
			for _, sep := range []string{" ", ": ", "=", " . "} {
				text := []byte("x " + string(form) + sep + "10.1.2.3")
				require.True(t, afterVersionWord(text, strings.Index(string(text), "10.")), "%q", text)
			}
		}
	}
	for _, text := range []string{"from 10.1.2.3", "client=10.1.2.3", "10.1.2.3", "server 10.1.2.3", "prever 10.1.2.3"} {
		require.False(t, afterVersionWord([]byte(text), strings.Index(text, "10.")), "%q", text)
	}
}

// plainIPv4 says true only of what netip.ParseAddr reads as an IPv4
// address and prints back the same, ipOne's match then being the text.
func TestPlainIPv4IsParseAddrs(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 5))
	alphabet := []byte("0123456789..:a ")
	yes := 0
	check := func(tok []byte) {
		addr, err := netip.ParseAddr(string(tok))
		want := err == nil && addr.Is4() && addr.String() == string(tok)
		require.Equal(t, want, plainIPv4(tok), "%q", tok)
		if want {
			yes++
		}
	}
	for _, s := range []string{"10.1.2.3", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.1.1.1", "1.1.1", "1.1.1.1.", ".1.1.1.1",
		"1..1.1", "1.1.1.1.1", "1000.1.1.1", "", "1.2.3.04", "192.168.0.1"} {
		check([]byte(s))
	}
	for range 200000 {
		var tok []byte
		for range 4 {
			tok = append(tok, []byte(strconv.Itoa(r.IntN(300)))...)
			if r.IntN(8) == 0 {
				tok = append(tok, alphabet[r.IntN(len(alphabet))])
			}
			tok = append(tok, '.')
		}
		check(tok[:len(tok)-r.IntN(2)])
		for range 3 {
			check(tok[:r.IntN(len(tok)+1)])
		}
	}
	require.Greater(t, yes, 10000)
}

// keyKinds answers as keyValueKind for keys met in turn, the memo kept
// across them: keys of one length replace each other, a key met again
// is answered from the memo, and one longer than 16 bytes is asked.
func TestKeyKindsIsKeyValueKind(t *testing.T) {
	keys := []string{"card", "iban", "name", "ssn", "phone", "email", "payment card", "customer card", "Name/Surname/Nom",
		"date of birth", "dob", "user_id", "order id", "Prénom", "password", "pwd", "encrypted_password", "telephone number",
		"a", "", "Geburtsdatum", "address1", "street_2", "Surnames", "x.y", "medical record number", "passport_no"}
	var kk keyKinds
	r := rand.New(rand.NewPCG(3, 9))
	asked := map[fieldKind]bool{}
	for range 5000 {
		k := []byte(keys[r.IntN(len(keys))])
		want := keyValueKind(k)
		require.Equal(t, want, kk.of(k), "%q", k)
		asked[want] = true
	}
	require.Greater(t, len(asked), 3, "the keys name several kinds")
}

// ibanGroupsBefore's first look (a lower-case letter five or ten bytes
// back) spares only walks that find nothing: the walk itself, on every
// group of four after a space in texts of IBAN-like pieces, agrees.
func TestIBANGroupsBeforeFirstLook(t *testing.T) {
	walk := ibanWalkBack // ibanGroupsBefore without its first look
	pieces := []string{"fr76", "de89", "DE89", "gb44", "loyd", "LOYD", "1027", "4111", "x", "-", "_", "=", "ab12", "zz99", "it60", "x054"}
	r := rand.New(rand.NewPCG(7, 8))
	found := 0
	for range 20000 {
		var b []byte
		for range 6 {
			b = append(b, pieces[r.IntN(len(pieces))]...)
			if r.IntN(4) > 0 {
				b = append(b, ' ')
			}
		}
		for i := 5; i < len(b); i++ {
			if b[i-1] == ' ' {
				want := walk(b, i)
				require.Equal(t, want, ibanGroupsBefore(b, i), "%q at %d", b, i)
				if want >= 0 {
					found++
				}
			}
		}
	}
	require.Greater(t, found, 1000)
}

// birthAt returns before its stems when the third byte is a digit: no
// stem has one there, or is shorter.
func TestBirthStemsThirdByte(t *testing.T) {
	for _, w := range birthStems {
		require.GreaterOrEqual(t, len(w), 3, "%s", w)
		require.False(t, isDigit(w[2]), "%s", w)
	}
}

// quietStarts keeps a port's colon after a dotted quad (ipv4AfterSlash
// reads its address; the pass kept it in fromBlocks before) and drops a
// time's, in Go and in the vector code.
func TestQuietStartsKeepPortColons(t *testing.T) {
	line := "GET host/10.1.2.3:5432 at 2026-11-01T10:13:23 ok  /10.0.0.1:80 /1.2.3.44:8 v1.2.3:9\n"
	var text []byte
	for len(text) < 64*8 {
		text = append(text, line...)
	}
	var q quietIn
	n := candMasks(text, &q, false)
	var vec, long, goq, goLong [64]uint64
	quietStartsN(&q, false, n, &vec, &long, false)
	quietStartsGo(&q, n, &goq, &goLong)
	ports, times := 0, 0
	for b := range n {
		require.Equal(t, goq[b], vec[b], "block %d", b)
		for m := q.colon[b]; m != 0; m &= m - 1 {
			off := bits.TrailingZeros64(m)
			k := b*64 + off
			if off < 5 || k+1 >= len(text) {
				continue // the bytes before it are the block before's
			}
			_, port := ipv4AfterSlash(text, k)
			if port {
				ports++
				require.Zero(t, goq[b]&(1<<uint(off)), "port colon at %d of %q", k, text[k-off:k-off+64])
			} else if isDigit(text[k-1]) && goq[b]&(1<<uint(off)) != 0 {
				times++
			}
		}
	}
	require.Greater(t, ports, 5)
	require.Greater(t, times, 5)
}

// quietColon's first look for a dotted quad (a '.' two to four bytes
// before the colon) spares only walks that find none: ipv4AfterSlash is
// false at every colon after a digit without one, on texts of address,
// time and path pieces.
func TestIPv4AfterSlashNeedsNearDot(t *testing.T) {
	pieces := []string{"/10.1.2.3", "/1.2.3.44", "/10.1.2", "x10.1.2.3", "/10.1.2.3.4", "/1.2.3.4567", ":80", ":5432", "T10", ":13",
		"/v1", "1.2", "/", ".", "10", " ", "host"}
	r := rand.New(rand.NewPCG(11, 12))
	found := 0
	for range 50000 {
		var b []byte
		for range 12 {
			b = append(b, pieces[r.IntN(len(pieces))]...)
		}
		for k := 1; k+1 < len(b); k++ {
			if b[k] != ':' || !isDigit(b[k-1]) {
				continue
			}
			_, ok := ipv4AfterSlash(b, k)
			near := k >= 4 && (b[k-2] == '.' || b[k-3] == '.' || b[k-4] == '.')
			if ok {
				found++
				require.True(t, near, "%q at %d", b, k)
			}
		}
	}
	require.Greater(t, found, 100)
}
