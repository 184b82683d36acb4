package admission_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/admission"
)

// FuzzRatioReader feeds arbitrary bodies (gzip or not) through the
// compressed counter, the inflater and the ratio check: it must never
// panic, and it refuses only what really expanded past the limit.
func FuzzRatioReader(f *testing.F) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write(bytes.Repeat([]byte(`{"kind":"asset"}`+"\n"), 5000))
	_ = zw.Close()
	f.Add(b.Bytes(), uint16(1024), uint8(10))
	f.Add([]byte("not gzip"), uint16(0), uint8(1))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}, uint16(1), uint8(100))
	f.Fuzz(func(t *testing.T, body []byte, grace uint16, maxRatio uint8) {
		cr := &admission.CountingReader{R: bytes.NewReader(body)}
		zr, err := gzip.NewReader(cr)
		if err != nil {
			return
		}
		rr := &admission.RatioReader{R: io.LimitReader(zr, 8<<20), Compressed: cr, Max: float64(maxRatio), Grace: int64(grace)}
		n, err := io.Copy(io.Discard, rr)
		require.Equal(t, n, rr.Decoded())
		require.LessOrEqual(t, cr.N, int64(len(body)))
		var re *admission.RatioError
		if errors.As(err, &re) {
			require.Positive(t, maxRatio, "refused with the check off")
			require.Greater(t, re.Decoded, int64(grace))
			require.Greater(t, float64(re.Decoded), float64(maxRatio)*float64(max(re.Compressed, 1)))
		}
	})
}
