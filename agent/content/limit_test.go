package content

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The structured and line readers, like the text reader, read no byte
// past MaxFileSize: a value past it is not detected, even when one read
// brought it in; the member is partial and the bytes read are the limit.
func TestFileSizeLimitIsExactForEveryReader(t *testing.T) {
	// before is what the limit lets be read, after what lies past it.
	tests := []struct{ stream, before, after string }{
		{"a.html", "<p>ann@example.com\n", " carl@example.net\n</p>"},
		{"a.xml", "<r><m>ann@example.com\n", " carl@example.net\n</m></r>"},
		{"a.json", `["ann@example.com",`, `"carl@example.net"]`},
		{".bash_history", "echo ann@example.com\n", "echo carl@example.net\n"},
		{".netrc", "machine h login ann@example.com\n", "machine i login carl@example.net\n"},
		{"a.csv", "mail\nann@example.com\n", "carl@example.net\n"},
	}
	for _, tc := range tests {
		t.Run(tc.stream, func(t *testing.T) {
			data := []byte(tc.before + tc.after)
			o := options()
			o.MaxFileSize = int64(len(tc.before))
			ms, read, err := NewScanner(o).Read(context.Background(), tc.stream, bytes.NewReader(data), nil, int64(len(data)))
			require.NoError(t, err)
			require.EqualValues(t, o.MaxFileSize, read)
			require.Len(t, ms, 1)
			require.Equal(t, "file-size limit reached", ms[0].Partial)
			var n int64
			for _, r := range ms[0].Results {
				n += r.Count
			}
			require.EqualValues(t, 1, n, "only the e-mail before the limit")
		})
	}
}

// A stream of exactly MaxFileSize bytes is read whole, not partial.
func TestFileSizeLimitExactlyMet(t *testing.T) {
	for stream, text := range map[string]string{"a.html": "<p>ann@example.com</p>\n", "a.xml": "<m>ann@example.com</m>\n",
		".bash_history": "echo ann@example.com\n", "a.csv": "mail\nann@example.com\n", "notes.txt": "ann@example.com\n"} {
		t.Run(stream, func(t *testing.T) {
			data := []byte(text)
			o := options()
			o.MaxFileSize = int64(len(data))
			ms, read, err := NewScanner(o).Read(context.Background(), stream, bytes.NewReader(data), nil, int64(len(data)))
			require.NoError(t, err)
			require.EqualValues(t, len(data), read)
			require.Len(t, ms, 1)
			require.Empty(t, ms[0].Partial)
		})
	}
}

// TestHugeLineKeepsValues: a line longer than a window (minified JSON, a
// log without line ends) is cut between values, not through one: every
// address of a 5 MiB line is counted (a cut at the window's end lost the
// one it went through, one per MiB).
func TestHugeLineKeepsValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		item func(i int) string
	}{
		{"words", func(i int) string { return fmt.Sprintf("word%d user%d@example.org ", i, i) }},
		{"minified JSON", func(i int) string {
			return fmt.Sprintf(`{"id":%d,"email":"user%d@example.org","n":"xxxxxxxxxxxx"},`, i, i)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			n := 0
			for b.Len() < 5<<20 {
				b.WriteString(tc.item(n))
				n++
			}
			data := []byte(b.String())
			ms, _, err := NewScanner(options()).Read(context.Background(), "one.log", bytes.NewReader(data), nil, int64(len(data)))
			require.NoError(t, err)
			require.Len(t, ms, 1)
			var emails int64
			for _, r := range ms[0].Results {
				if r.Type == "email" {
					emails = r.Count
				}
			}
			require.Equal(t, int64(n), emails, "every address on the line")
		})
	}
}
