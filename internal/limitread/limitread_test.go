package limitread

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

var errBig = errors.New("too large")

func TestReader(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		n    int64
		want string
		err  error
	}{
		{"shorter", "abc", 5, "abc", nil},
		{"exactly n", "abcde", 5, "abcde", nil},
		{"one more", "abcdef", 5, "abcde", errBig},
		{"much more", strings.Repeat("x", 1<<20), 10, strings.Repeat("x", 10), errBig},
		{"empty", "", 0, "", nil},
		{"zero limit, some bytes", "a", 0, "", errBig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One byte at a time too: the bound holds however the
			// stream is cut.
			for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
				got, err := io.ReadAll(Reader(r, tc.n, errBig))
				require.Equal(t, tc.want, string(got))
				if tc.err == nil {
					require.NoError(t, err)
				} else {
					require.ErrorIs(t, err, tc.err)
				}
			}
			// All: the whole stream or tooLarge, never a truncated one.
			all, err := All(strings.NewReader(tc.in), tc.n, errBig)
			if tc.err == nil {
				require.NoError(t, err)
				require.Equal(t, tc.want, string(all))
			} else {
				require.ErrorIs(t, err, tc.err)
				require.Nil(t, all)
			}
		})
	}
}

type closer struct {
	io.Reader
	closed bool
}

func (c *closer) Close() error { c.closed = true; return nil }

func TestReadCloser(t *testing.T) {
	c := &closer{Reader: strings.NewReader("abcdef")}
	rc := ReadCloser(c, 3, errBig)
	got, err := io.ReadAll(rc)
	require.ErrorIs(t, err, errBig)
	require.Equal(t, "abc", string(got))
	require.NoError(t, rc.Close())
	require.True(t, c.closed)
}
