package admission

import "io"

// CountingReader counts the bytes read through it: the compressed side of
// a gzip body.
type CountingReader struct {
	R io.Reader
	N int64
}

func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}

// RatioReader reads the decompressed side of a body and fails with a
// *RatioError once more than Grace bytes have come out and they exceed
// Max times the compressed bytes read so far. The inflater reads its input
// ahead in small blocks, so early on the compressed count runs ahead of
// what was really used and the check is lenient: a bomb is caught a few
// MiB in, never after the whole expansion.
type RatioReader struct {
	R          io.Reader
	Compressed *CountingReader
	Max        float64 // <= 0: no check
	Grace      int64
	decoded    int64
}

func (r *RatioReader) Read(p []byte) (int, error) {
	n, err := r.R.Read(p)
	r.decoded += int64(n)
	if r.Max > 0 && r.decoded > r.Grace && float64(r.decoded) > r.Max*float64(max(r.Compressed.N, 1)) {
		return n, &RatioError{Decoded: r.decoded, Compressed: r.Compressed.N, Max: r.Max}
	}
	return n, err
}

// Decoded is how many bytes came out so far.
func (r *RatioReader) Decoded() int64 { return r.decoded }
