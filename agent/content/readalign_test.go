package content

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/pii"
)

// BenchmarkReadAlign reads a file in the page cache with readSize reads
// into a destination 0, 8 and 64 bytes past a page boundary: the cost
// detectStream's readAlign avoids (a partial line moved before the next
// read put its destination a few bytes past a boundary). Compare the
// MB/s of the three on the same run.
func BenchmarkReadAlign(b *testing.B) {
	path := filepath.Join(b.TempDir(), "data")
	require.NoError(b, os.WriteFile(path, bytes.Repeat([]byte("2026-11-01T10:13:23.520Z INFO GET /api/v2/items/335279 200\n"), 16<<20/60), 0o600))
	buf := make([]byte, readSize+2*4096)
	for _, off := range []int{0, 8, 64} {
		b.Run("dst+"+strconv.Itoa(off), func(b *testing.B) {
			f, err := os.Open(path)
			require.NoError(b, err)
			defer f.Close()
			st, err := f.Stat()
			require.NoError(b, err)
			b.SetBytes(st.Size())
			for b.Loop() {
				_, err := f.Seek(0, io.SeekStart)
				require.NoError(b, err)
				for {
					if _, err := io.ReadFull(f, buf[4096+off:4096+off+readSize]); err != nil {
						break
					}
				}
			}
		})
	}
}

// A stream read in many reads whose partial lines move before each next
// read (lines of every length around the read size's boundaries) is
// detected as one text: the same values on the same lines.
func TestAlignedReadsKeepLines(t *testing.T) {
	var text bytes.Buffer
	for i := 0; text.Len() < 3*readSize; i++ {
		text.WriteString(strings.Repeat("x", i%97))
		if i%50 == 0 {
			text.WriteString(" mail j.okafor@example.com")
		}
		text.WriteByte('\n')
	}
	tok := pii.NewTokenizer([]byte("0123456789abcdef0123456789abcdef"))
	s := NewScanner(Options{Detector: pii.NewDefault(), Tokenizer: tok})
	ms, n, err := s.Read(context.Background(), "a.log", bytes.NewReader(text.Bytes()), nil, int64(text.Len()))
	require.NoError(t, err)
	require.Equal(t, int64(text.Len()), n)
	require.Len(t, ms, 1)
	want := pii.NewAggregator(tok)
	pii.NewDefault().Detect(text.Bytes(), want.Add)
	require.Equal(t, want.Results(), ms[0].Results)
}
