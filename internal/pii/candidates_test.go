package pii

import (
	"bytes"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The vector masks are the byte-at-a-time ones, for every byte value.
func TestCandMasksAgree(t *testing.T) {
	all := make([]byte, 256*3)
	for k := range all {
		all[k] = byte(k)
	}
	r := rand.New(rand.NewPCG(3, 4))
	rnd := make([]byte, 64*100)
	for k := range rnd {
		rnd[k] = byte(r.IntN(256))
	}
	for _, text := range [][]byte{all, rnd, []byte(string(corpus(1 << 14)))} {
		for b := 0; b < len(text); b += 64 * 64 {
			masksAgree(t, text[b:])
		}
	}
}

// masksAgree requires the vector masks of text's first 64 blocks, with
// and without the phone pairs, and quietStarts' of them, to be the Go
// reference's.
func masksAgree(t *testing.T, text []byte) {
	t.Helper()
	want := make([]rawMasks, min(blocksIn(text), 64))
	got := make([]rawMasks, len(want))
	var qw, qg quietIn
	require.Equal(t, len(want), candMasksGo(text, want, &qw))
	require.Equal(t, len(got), candMasks(text, &qg, true))
	for b := range got {
		got[b] = qg.raw(b)
	}
	require.Equal(t, want, got)
	require.Equal(t, qw, qg)
	var qg2 quietIn
	candMasks(text, &qg2, false) // all but pp
	qg2.pp = qw.pp
	require.Equal(t, qw, qg2)
	var sw, sg, lw, lg [64]uint64
	quietStartsGo(&qw, len(want), &sw, &lw)
	quietStartsN(&qg, false, len(want), &sg, &lg, true)
	require.Equal(t, sw[:len(want)], sg[:len(want)])
	require.Equal(t, lw[:len(want)], lg[:len(want)])
	// fireN: the vector code as fireGo, and fireGo as fireMask over the
	// blocks' own masks.
	for _, cr := range []carry{0, carryOf('1', '2'), carryOf('a', ':'), carryOf('x', '-'), 0x3f} {
		var fw, fg [64]uint64
		fireGo(&qw, len(want), cr, &fw)
		fireN(&qg, len(want), cr, &fg)
		require.Equal(t, fw[:len(want)], fg[:len(want)])
		c := cr
		for b := range want {
			var f uint64
			f, c = fireMask(&want[b], c)
			require.Equal(t, f, fw[b], "block %d", b)
		}
	}
}

// fireN's vector code answers as fireGo on any masks and carry.
func TestFireVectorAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for range 300 {
		var q quietIn
		for _, a := range []*[64]uint64{&q.digit, &q.alpha, &q.colon, &q.dash, &q.upper, &q.marker, &q.stem, &q.glue} {
			for b := range a {
				a[b] = r.Uint64() & r.Uint64()
				if r.IntN(2) == 0 {
					a[b] |= r.Uint64()
				}
			}
		}
		n := 1 + r.IntN(64)
		cr := carry(r.Uint64() & 0x3f)
		var want, got [64]uint64
		fireGo(&q, n, cr, &want)
		fireN(&q, n, cr, &got)
		require.Equal(t, want[:n], got[:n], "n=%d cr=%#x", n, cr)
	}
}

// fireMask marks exactly the bytes firePair says may start a candidate,
// but for a digit after a digit and a colon and a stem letter stemKeep
// drops.
func TestFireMaskIsFirePair(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	text := make([]byte, 4+64*200)
	for k := range text {
		text[k] = byte(r.IntN(256))
		if r.IntN(2) == 0 { // more of the bytes that matter
			text[k] = "aZd09-.:=@+(/_ \n"[r.IntN(16)]
		}
	}
	raw := make([]rawMasks, 200)
	for b := 0; b < 200; b += 50 {
		var q quietIn
		require.Equal(t, 50, candMasks(text[2+b*64:b*64+2+50*64+2], &q, b%100 == 0))
		for j := range 50 {
			raw[b+j] = q.raw(j)
		}
	}
	cr := carryOf(text[0], text[1])
	for b := range raw {
		var m uint64
		m, cr = fireMask(&raw[b], cr)
		for j := range 64 {
			k := 2 + b*64 + j
			want := firePair[uint16(text[k])<<8|uint16(text[k-1])] != 0 && !(isDigit(text[k]) && text[k-1] == ':' && isDigit(text[k-2])) &&
				(byteClass[text[k]] != clsStem || stemKeep(text[k], text[k+1], text[k+2]))
			require.Equal(t, want, m&(1<<j) != 0, "byte %q after %q", text[k], text[k-1])
		}
	}
}

func FuzzCandMasks(f *testing.F) {
	f.Add([]byte("2026-11-01T10:13:23.520Z INFO [worker-1] GET /api/v2/items/335279 200 226ms bytes=65448 build=v4.4.70 a@b.c +49"))
	f.Fuzz(masksAgree)
}

func BenchmarkCandMasks(b *testing.B) {
	text := corpus(1 << 20)
	var q quietIn
	b.SetBytes(int64(len(text) / 4096 * 4096))
	for b.Loop() {
		for i := 0; i+4096 <= len(text); i += 4096 {
			candMasks(text[i:i+4096], &q, false)
		}
	}
}

// The stem filter keeps every stem letter stemPrefix says starts a
// context word, for every pair of bytes after it.
func TestStemKeepCoversStemPrefix(t *testing.T) {
	for _, c0 := range []byte("bdegnrsxf") {
		for c1 := range 256 {
			for c2 := range 256 {
				text := []byte{c0, byte(c1), byte(c2)}
				if stemPrefix(text, 0) {
					require.True(t, stemKeep(c0, byte(c1), byte(c2)), "%q", text)
				}
			}
		}
	}
	require.False(t, stemKeep('s', 't', 'a'), "status")
	require.False(t, stemKeep('f', 'o', 'r'), "for")
	require.False(t, stemKeep('f', 'i', 'l'), "file")
	require.True(t, stemKeep('d', 'e', '6'), "de60 …, a lower-case IBAN")
	require.False(t, stemKeep('b', '9', '5'), "b95d…, a hex id: no IBAN country")
}

// The stem filter's tables are stemPrefix's: print them when it changes.
func TestStemTabsBuilt(t *testing.T) {
	want := stemTabsBuild()
	var b strings.Builder
	for k := range want {
		b.WriteString("\t{")
		for j, c := range want[k][:16] {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%#02x", c)
		}
		b.WriteString("},\n")
	}
	require.Equal(t, want, stemTabs, "paste into stemTabs (cand_stem.go):\n%s", b.String())
}

// stemTabsBuild computes stemTabs from stemPrefix: the bits of each stem
// letter and of the bytes that may follow it as a context word's second
// and third.
func stemTabsBuild() [6][32]byte {
	const stems = "bdegnrsx"
	var fHi, fLo, gHi, gLo, hHi, hLo [16]byte
	var text [3]byte
	for j := range len(stems) {
		c0 := stems[j]
		bit := byte(1) << j
		fHi[c0>>4] |= bit
		fLo[c0&15] |= bit
		for c1 := range 256 {
			for c2 := range 256 {
				text = [3]byte{c0, byte(c1), byte(c2)}
				// x after '#' (&#x40;) looks one byte further back.
				if c0 == 'x' || !isDigit(byte(c2)) && stemPrefix(text[:], 0) {
					gHi[c1>>4] |= bit
					gLo[c1&15] |= bit
					hHi[c2>>4] |= bit
					hLo[c2&15] |= bit
				}
			}
		}
	}
	// f (fiscale) shares g's bit: f's words (fis) add nothing to g's second
	// and third bytes, and 0x66 and 0x67 share the high nibble no other
	// letter on that bit has, so the bit stays exact on the first byte.
	const g = 1 << 3
	fLo['f'&15] |= g
	for c1 := range 256 {
		for c2 := range 256 {
			if text := []byte{'f', byte(c1), byte(c2)}; !isDigit(byte(c2)) && stemPrefix(text, 0) {
				gHi[c1>>4] |= g
				gLo[c1&15] |= g
				hHi[c2>>4] |= g
				hLo[c2&15] |= g
			}
		}
	}
	return stemTabsOf([6][16]byte{fHi, fLo, gHi, gLo, hHi, hLo})
}

// quietKey says false exactly where maybeKey does, for a '=' after two
// letters or digits no key ends in: on keys, separators and non-ASCII
// bytes before them.
func TestQuietKeyIsMaybeKey(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const bytesBefore = "ab_-. 19Z\"\xc3\xb1=:"
	quiet := 0
	for range 200000 {
		text := make([]byte, 2+r.IntN(10))
		for j := range text {
			text[j] = bytesBefore[r.IntN(len(bytesBefore))]
		}
		text = append(text, "ms"[r.IntN(2)], "sd"[r.IntN(2)], '=')
		k := len(text) - 1
		b, c := alnumIdx[text[k-2]], alnumIdx[text[k-1]]
		if quietKey(text, k, b, c) {
			quiet++
			require.False(t, maybeKey(text, k), "%q", text)
		}
	}
	require.Greater(t, quiet, 1000)
	for _, key := range []string{"dur_ms=", "retries=1 ts=", "status="} {
		k := len(key) - 1
		require.True(t, quietKey([]byte(key), k, alnumIdx[key[k-2]], alnumIdx[key[k-1]]), key)
	}
	nonASCII := []byte("añ ms=") // maybeKey walks back to the ñ
	require.False(t, quietKey(nonASCII, len(nonASCII)-1, alnumIdx['m'], alnumIdx['s']))
}

// The quick rejects of key=value logs (quietLong, shortDecimal,
// gluedGroups, quietColon's mask) agree with the byte pass on lines of
// the shapes they pass over, under keys that give a number its phone
// context and keys that do not, at every offset in a block.
func TestKeyValueRejectsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	keys := []string{"user_id", "ts", "dur_ms", "bytes", "phone", "tel", "Mobile", "fax_no", "handy", "callback", "cell",
		"x1", "a", "telefon_privat", "order", "DNI", "ssn", "id", "\"phone\":", "home tel", "Tel.", "PHONE_NUMBER", "phone no", "Tel privat", "bsn", "sofinummer", "nir", "ssn"}
	values := []func() string{
		func() string { return fmt.Sprint(1000000 + r.IntN(9000000)) },               // 7 digits
		func() string { return fmt.Sprint(10000000 + r.IntN(90000000)) },             // 8 digits
		func() string { return fmt.Sprintf("0%09d", r.IntN(1e9)) },                   // 10 with a trunk 0
		func() string { return fmt.Sprint(1764547200 + r.IntN(2592000)) },            // 10
		func() string { return fmt.Sprintf("%d.%03d", r.IntN(20000), r.IntN(1000)) }, // decimals
		func() string { return fmt.Sprintf("%d.%d", r.IntN(100), r.IntN(100)) },
		func() string { return fmt.Sprintf("03%d.%d", r.IntN(1000), r.IntN(100000)) },
		func() string { return fmt.Sprintf("%d %dms", r.IntN(600), r.IntN(1000)) }, // groups glued to a word
		func() string { return fmt.Sprintf("%d %d %dx", r.IntN(1000), r.IntN(1000), r.IntN(100)) },
		func() string { return fmt.Sprintf("2%d %d", r.IntN(100), r.IntN(1e6)) },
		func() string { return "48.273.615-L" },
		func() string { return "1234.56.782" },
		func() string { return "12345678 Z" },
		func() string { return "030 1234567" },
		func() string { return "n/a" },
		func() string { return fmt.Sprint(100000000 + r.IntN(900000000)) }, // 9: SSN, BSN
		func() string { return "123456782" },
		func() string { return "2 69 05 49 588 157 80" },
		func() string { return fmt.Sprintf("%d %02d %02d", 1+r.IntN(2), r.IntN(100), r.IntN(100)) },
		func() string { return fmt.Sprintf("T%02d:%02d:%02d", r.IntN(24), r.IntN(60), r.IntN(60)) },
		func() string { return fmt.Sprintf("fe%d:%d::1", r.IntN(10), r.IntN(10)) },
	}
	ends := []string{" retries=1", " Z", "\n", ",", "\"", ";", " 12", " (", " -", ".", "", "\t", " level=info", "-12", "-Z", "Z", "x", "-"}
	matched := 0
	for range 400 {
		var b []byte
		for range 6 + r.IntN(20) {
			b = append(b, keys[r.IntN(len(keys))]...)
			b = append(b, "= :"[r.IntN(3)])
			b = append(b, values[r.IntN(len(values))]()...)
			b = append(b, ends[r.IntN(len(ends))]...)
			b = append(b, ' ')
		}
		want := detectEach(b)
		matched += len(want)
		require.Equal(t, want, collect(b), "%q", b)
	}
	require.Greater(t, matched, 500, "the random lines hold too few values to compare the passes on")
	// The edges of the phone context: a word on the line before, past
	// the window, before a space in the key, before another value.
	for _, line := range []string{"phone=n/a\nid=0301234567 x", "phone no=0301234567 x", "tel\nid=0301234567\n",
		"handy_" + strings.Repeat("x", 36) + "=0301234567\n", "handy_" + strings.Repeat("x", 30) + "=0301234567\n",
		"phone=n/a a=0301234567\n", "phone=1 a=0301234567\n", "fax=- b.c=0301234567\n", "mobile=12 1234.567\n",
		"mobil=030.1234567\n", "Tel.=\n0301234567\n", "nir=2 69 05 49 588 157 80 12ab", "card=4111111111-111111 x",
		"dni=12345678 Z", "ssn=123456780 x",
		// keyContexts: keys of one length that differ in one byte, the
		// one without context first.
		"1 teX=0301234567 a 2 tel=0301234567 x", "1Xcell=0301234567 a 2 cell=0301234567 x",
		"1 abcdphonX=0301234567 a 2 abcdphone=0301234567 x", "1 fooXbar_telefoX=0301234567 a 2 fooXbar_telefon=0301234567 x"} {
		for pad := range 70 {
			b := []byte(strings.Repeat("-", pad) + "\n" + line + " level=info svc=auth req=3b3cf937 status=200 bytes=7404\n")
			require.Equal(t, detectEach(b), collect(b), "%q", b)
		}
	}
}

// quietStartsCheck requires every start quietStarts drops from text's
// fire masks to be one the bit loop drops too (deadNumber, quietColon)
// and returns how many it dropped.
func quietStartsCheck(t *testing.T, text []byte) int {
	t.Helper()
	if len(text) < 3 {
		return 0
	}
	cr := carryOf(text[0], text[1])
	n := 0
	for base := 2; len(text)-base >= 66; base += 64 * 64 {
		raw := make([]rawMasks, min(blocksIn(text[base:]), 64))
		var qin quietIn
		candMasksGo(text[base:], raw, &qin)
		n += quietStartsCheckBlocks(t, text, base, raw, &qin, &cr)
	}
	return n
}

// quietStartsCheckBlocks is quietStartsCheck over the blocks from base.
func quietStartsCheckBlocks(t *testing.T, text []byte, base int, raw []rawMasks, qin *quietIn, cr *carry) int {
	n := 0
	for b := range raw {
		var m uint64
		alnum := raw[b].alpha | raw[b].digit
		m, *cr = fireMask(&raw[b], *cr)
		for q := m & quietLongStarts(qin, b); q != 0; q &= q - 1 {
			off := bits.TrailingZeros64(q)
			k := base + b*64 + off
			n++
			var keys keyContexts
			require.True(t, quietLong(text, k, off, alnum, raw[b].digit, false, &keys), "long number at %d of %q", k, text[k-off:k-off+64])
			require.False(t, keyPhoneContext(text, k), "long number at %d of %q", k, text[k-off:k-off+64])
		}
		for q := m & quietStarts(qin, b); q != 0; q &= q - 1 {
			off := bits.TrailingZeros64(q)
			k := base + b*64 + off
			n++
			switch {
			case isDigit(text[k]):
				require.True(t, deadNumber(text, k, off, alnum, raw[b].digit), "number at %d of %q", k, text[k-off:k-off+64])
			case text[k] == ':':
				require.True(t, quietColon(text, k, off, alnum), "colon at %d of %q", k, text[k-off:k-off+64])
			default:
				t.Fatalf("quietStarts dropped %q at %d of %q", text[k], k, text[k-off:k-off+64])
			}
		}
	}
	return n
}

// quietStarts drops only starts the bit loop would drop one at a time,
// and on logs most numbers and time colons.
func TestQuietStartsAreQuiet(t *testing.T) {
	require.Greater(t, quietStartsCheck(t, corpus(1<<16)), 1<<16/40)
	// Long numbers after keys: dropped unless a phone word may come before.
	var long []byte
	for _, key := range []string{"user_id", "ts", "tel", "phone", "mobile", "order", "handy_nr", "fax"} {
		long = fmt.Appendf(long, "%d 2026-11-07 level=info %s=12345678 x\n", len(long), key)
	}
	long = bytes.Repeat(long, 20)
	require.Greater(t, quietStartsCheck(t, long), 20*2)
	kv := []byte("2026-11-07T09:31:10.335279Z level=info svc=auth req=3b3cf937 trace=b659ea374f5b6151 span=2a7cbd49 method=POST path=/v1/orders/2063274 status=500 dur_ms=932.670 bytes=740424 user_id=92894735 retries=1 ts=1765317151\n")
	require.Greater(t, quietStartsCheck(t, bytes.Repeat(kv, 50)), 50*6)
	r := rand.New(rand.NewPCG(11, 12))
	pieces := []string{"0", "1", "9", "12", "123", "1234", "12345", "123456", "1234567", "a", "Z", "f", "ms", " ", "\n", "=", ".", ":", "-",
		"/", "%", "#", "(", "+", "_", "\t", ",", "3b3cf937", "b659ea374f5b6151", "0123456789abcdef", "12345678", "1234.5", "12.34.56",
		"932.670 x", "10:13:23", "01T10:", "fe80:", "a1:", "\xc2\xa0", "&", " user_id=", " ts=", " tel=", " phone=", " mobile_nr=",
		" fax ", "Tel ", "telefon", " id=", "1234567\n", "12345678 x", "12345678 X", "1234567890 a", "1061.311 a", "12.3\n", "x=1234567\n"}
	for range 2000 {
		var b []byte
		for len(b) < 300 {
			b = append(b, pieces[r.IntN(len(pieces))]...)
		}
		quietStartsCheck(t, b)
	}
}

func FuzzQuietStarts(f *testing.F) {
	f.Add([]byte("2026-11-07T09:31:10.335279Z level=info svc=auth req=3b3cf937 trace=b659ea374f5b6151 span=2a7cbd49 status=500 dur_ms=932.670 bytes=740424 retries=1\n"))
	f.Fuzz(func(t *testing.T, data []byte) { quietStartsCheck(t, data) })
}

// The vector quietStarts is the Go one on any masks, four blocks a step.
func TestQuietStartsVectorAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for range 200 {
		var q quietIn
		for _, a := range []*[64]uint64{&q.digit, &q.alpha, &q.colon, &q.space, &q.nl, &q.eq, &q.dot, &q.dash, &q.pp, &q.upper} {
			for b := range a {
				// Sparse and dense masks both.
				a[b] = r.Uint64() & r.Uint64()
				if r.IntN(2) == 0 {
					a[b] |= r.Uint64()
				}
			}
		}
		n := 1 + r.IntN(64)
		var want, got, wantL, gotL [64]uint64
		quietStartsGo(&q, n, &want, &wantL)
		quietStartsN(&q, false, n, &got, &gotL, true)
		require.Equal(t, want[:n], got[:n], "n=%d", n)
		require.Equal(t, wantL[:n], gotL[:n], "n=%d", n)
	}
}

// On key=value logs long enough for the pass to turn quietLongStarts on
// (a group of blocks with long numbers after keys), with keys that are
// phone words among them, the pass finds what the byte-at-a-time one does.
func TestFromAgreesOnKeyValueLogs(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	keys := []string{"user_id", "ts", "tel", "phone", "mobile", "order", "handy_nr", "fax", "dur_ms", "bytes", "ref", "telefon", "cell"}
	var b []byte
	for len(b) < 1<<17 {
		b = fmt.Appendf(b, "2026-11-%02dT10:13:23Z level=info req=%08x", 1+r.IntN(28), r.Uint32())
		for range 1 + r.IntN(4) {
			k := keys[r.IntN(len(keys))]
			switch r.IntN(4) {
			case 0:
				b = fmt.Appendf(b, " %s=%d", k, 1000000+r.IntN(9000000))
			case 1:
				b = fmt.Appendf(b, " %s=%d", k, 10000000+r.IntN(90000000))
			case 2:
				b = fmt.Appendf(b, " %s=%d.%03d", k, r.IntN(5000), r.IntN(1000))
			default:
				b = fmt.Appendf(b, " %s=%d", k, 1700000000+r.IntN(90000000))
			}
		}
		b = append(b, '\n')
	}
	want := detectEach(b)
	require.NotEmpty(t, want)
	require.Equal(t, want, collect(b))
}

// upperMemo answers as quietUpper for every capital of texts made of the
// words logs and documents have, the memo kept across them (hits on
// words met before, in other contexts), both its hit (the pass's inline
// look-up) and quiet.
func TestUpperMemoIsQuietUpper(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	pieces := []string{"INFO", "GET", "POST", "DELETE", "IBAN", "Iban", "IB", "DE89", "GB82 WEST", "P<UTO", "X", "XOX", "&#X40;", "&#x40;",
		"BIRTH", "Geb", "GEB", "Nat", "NAT", "RES", "DOB", "D.O.B", "EYJ", "AKIAIOSFODNN7EXAMPLE", "ABCDEFGH", "ABCDEFGHI", "Hello", "A-1",
		"A1", "AB1", "AB 1", "12345 Berlin", "75001 PARIS", " ", "  ", "\n", "=", "[", "0", "12", "x", "é", "\xc2\xa0"}
	hits, checks := 0, 0
	for range 500 {
		var um upperMemo
		var text []byte
		for len(text) < 1000 {
			text = append(text, pieces[r.IntN(len(pieces))]...)
		}
		raw := make([]rawMasks, min(blocksIn(text), 64))
		var q quietIn
		candMasksGo(text, raw, &q)
		for b := range raw {
			alnum := raw[b].alpha | raw[b].digit
			for m := raw[b].upper; m != 0; m &= m - 1 {
				off := bits.TrailingZeros64(m)
				k := b*64 + off
				if k == 0 {
					continue
				}
				want := quietUpper(text, k, off, alnum)
				if q, ok := um.hit(text, k, off, alnum); ok {
					require.Equal(t, want, q, "hit at %d of %q", k, text[max(k-8, 0):min(k+12, len(text))])
					hits++
				}
				checks++
				require.Equal(t, want, um.quiet(text, k, off, alnum), "at %d of %q", k, text[max(k-8, 0):min(k+12, len(text))])
			}
		}
	}
	require.Greater(t, checks, 10000)
	require.Greater(t, hits, 1000)
}

// TestPhoneStartMaybe holds phoneTabs to the phone words: at the first
// three bytes of every word, in every case hasPrefixFold takes (any bytes
// after a shorter word), phoneStartMaybe is true, so the vector pass's
// pairs mask (quietLongStarts) never hides a word keyPhoneContext finds;
// and it is false at the keys of key=value logs it was tightened for.
func TestPhoneStartMaybe(t *testing.T) {
	for _, w := range phoneWordSet.words {
		for _, b := range foldVariants(w[0]) {
			cs := make([]byte, 256)
			for c := range cs {
				cs[c] = byte(c)
			}
			if len(w) > 1 {
				cs = foldVariants(w[1])
			}
			for _, c := range cs {
				for d := range 256 {
					if len(w) > 2 && !bytes.Contains(foldVariants(w[2]), []byte{byte(d)}) {
						continue
					}
					require.True(t, phoneStartMaybe(b, c, byte(d)), "%q at %q", w, []byte{b, c, byte(d)})
				}
			}
		}
	}
	for _, key := range []string{" user_id=", " dur_ms=", " ts="} {
		for m := 0; m+2 < len(key); m++ {
			require.False(t, phoneStartMaybe(key[m], key[m+1], key[m+2]), "%q at %d", key, m)
		}
	}
}

// The halfway view of a group's masks is the masks of the text 32 bytes
// on, block for block, but the last (whose high half no pass classified):
// what the pass's second quietStarts reads.
func TestHalfwayIsTheTextThirtyTwoOn(t *testing.T) {
	text := corpus(1 << 14)
	for _, pairs := range []bool{false, true} {
		var q, on quietIn
		n := candMasks(text, &q, pairs)
		candMasks(text[32:], &on, pairs)
		require.Equal(t, 64, n)
		h := q.halfway()
		for b := range n - 1 {
			require.Equal(t, on.raw(b), h.raw(b), "block %d", b)
			require.Equal(t, []uint64{on.space[b], on.nl[b], on.eq[b], on.dot[b]},
				[]uint64{h.space[b], h.nl[b], h.eq[b], h.dot[b]}, "block %d", b)
			if pairs {
				require.Equal(t, on.pp[b], h.pp[b], "block %d", b)
			}
			require.Equal(t, quietStarts(&on, b), quietStarts(&h, b), "block %d", b)
		}
		// What the pass reads in place (the vector code four bytes into
		// each array) is the copy's.
		var got, gotL, want, wantL [64]uint64
		quietStartsN(&q, true, n-1, &got, &gotL, true)
		quietStartsGo(&h, n-1, &want, &wantL)
		require.Equal(t, want[:n-1], got[:n-1])
		require.Equal(t, wantL[:n-1], gotL[:n-1])
	}
}
