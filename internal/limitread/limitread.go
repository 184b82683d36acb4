// Package limitread bounds how much is read from a stream that came from
// outside (a request body after decompression, a cloud API's answer), so
// a peer that sends without end costs a bounded number of bytes. It is the
// one definition of "at most n bytes, and say so when there were more":
// io.LimitReader alone ends quietly at n, which would pass a truncated
// body off as a whole one.
package limitread

import "io"

// Reader returns a reader of the first n bytes of r. A stream of exactly n
// bytes reads as it is; when r holds more, the read past n fails with
// tooLarge (checked with one byte, so at most n+1 bytes are read).
func Reader(r io.Reader, n int64, tooLarge error) io.Reader {
	return &reader{r: r, left: n, tooLarge: tooLarge}
}

// ReadCloser is Reader for a body that must be closed.
func ReadCloser(r io.ReadCloser, n int64, tooLarge error) io.ReadCloser {
	return struct {
		io.Reader
		io.Closer
	}{Reader(r, n, tooLarge), r}
}

type reader struct {
	r        io.Reader
	left     int64
	tooLarge error
}

func (l *reader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			return 0, l.tooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// All reads r to its end when it holds at most n bytes; when it holds
// more, it returns tooLarge (having read n+1 bytes at most) and no data.
func All(r io.Reader, n int64, tooLarge error) ([]byte, error) {
	data, err := io.ReadAll(Reader(r, n, tooLarge))
	if err != nil {
		return nil, err
	}
	return data, nil
}
