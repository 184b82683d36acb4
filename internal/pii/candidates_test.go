package pii

import (
	"math/rand/v2"
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
		want := make([]rawMasks, blocksIn(text))
		got := make([]rawMasks, blocksIn(text))
		require.Equal(t, len(want), candMasksGo(text, want))
		require.Equal(t, len(got), candMasks(text, got))
		require.Equal(t, want, got)
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
	require.Equal(t, 200, candMasks(text[2:], raw))
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
	f.Fuzz(func(t *testing.T, data []byte) {
		want := make([]rawMasks, blocksIn(data))
		got := make([]rawMasks, blocksIn(data))
		candMasksGo(data, want)
		candMasks(data, got)
		require.Equal(t, want, got)
	})
}

func BenchmarkCandMasks(b *testing.B) {
	text := corpus(1 << 20)
	raw := make([]rawMasks, 64)
	b.SetBytes(int64(len(text) / 4096 * 4096))
	for b.Loop() {
		for i := 0; i+4096 <= len(text); i += 4096 {
			candMasks(text[i:i+4096], raw)
		}
	}
}

// The stem filter keeps every stem letter stemPrefix says starts a
// context word, for every pair of bytes after it.
func TestStemKeepCoversStemPrefix(t *testing.T) {
	for _, c0 := range []byte("bdegnrsx") {
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
	require.True(t, stemKeep('d', 'e', '6'), "de60 …, a lower-case IBAN")
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
