package content

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// plainTextRef is plainText a byte at a time: the definition the word at a
// time version is held to.
func plainTextRef(head []byte) bool {
	for _, c := range head {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r' && c != 0x1b || c == 0x7f {
			return false
		}
	}
	for k := 1; k < utf8.UTFMax && k <= len(head); k++ {
		if c := head[len(head)-k]; c >= 0xC0 {
			if !utf8.FullRune(head[len(head)-k:]) {
				head = head[:len(head)-k]
			}
			break
		} else if c < 0x80 {
			break
		}
	}
	return utf8.Valid(head)
}

func TestPlainText(t *testing.T) {
	log := strings.Repeat("2026-11-01T10:23:00Z INFO request 123456 ok bytes=12345\n", 40)
	for _, tc := range []struct {
		name string
		head string
		want bool
	}{
		{"log lines", log, true},
		{"tabs, CR LF, form feed", "a\tb\r\nc\fd\ve", true},
		{"coloured log", "\x1b[32mINFO\x1b[0m ok\n", true},
		{"UTF-8", "München, Zürich, Łódź, 東京\n", true},
		{"UTF-8 cut in a rune at the end", "München 東"[:len("München 東")-1], true},
		{"UTF-8 cut after two of four bytes", "ok \U0001F600"[:5], true},
		{"Latin-1", "caf\xe9 cr\xe8me\n", false},
		{"a bare continuation byte", "ok \x80 ok", false},
		{"a control character", "ok \x01 ok", false},
		{"DEL", strings.Repeat("a", 20) + "\x7f", false},
		{"a control character past the first words", log + "\x02", false},
		{"empty", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, plainText([]byte(tc.head)))
			require.Equal(t, tc.want, plainTextRef([]byte(tc.head)))
		})
	}
}

// What mimetype calls binary stays binary unless its head is plain text:
// images, audio and archives carry bytes no text has within their first
// 8 KiB; a PostScript document or a playlist is now read as the text it is.
func TestIsBinaryPlainHeads(t *testing.T) {
	for _, tc := range []struct {
		head string
		want bool
	}{
		{"GIF89a\x01\x00\x01\x00\x80\x00\x00", true},
		{"ID3\x04\x00\x00\x00\x00\x00\x23TSSE", true},
		{"BM\x36\x00\x0c\x00\x00\x00", true},
		{"MThd\x00\x00\x00\x06\x00\x01", true},
		{"RIFF\x24\x08\x00\x00WAVEfmt ", true},
		{"#!AMR\n\x3c\x91\x17\x16\xbe\x66\x78", true},
		{"%!PS-Adobe-3.0\n%%Title: invoice\n", false},
		{"#EXTM3U\n#EXTINF:-1,Radio\nhttp://example.com/a\n", false},
		{"{\"email\":\"anna@example.com\"}", false},
		{"caf\xe9 latin1 text\n", false},
		{"\x00\x00", true},
	} {
		require.Equal(t, tc.want, isBinary([]byte(tc.head)), "%q", tc.head)
	}
}

func FuzzPlainText(f *testing.F) {
	f.Add([]byte("2026-11-01 INFO ok\n"))
	f.Add([]byte("München \xe6\x9d"))
	f.Add([]byte("a\x7fb"))
	f.Add([]byte("\x1b[0m\t\r\n"))
	f.Fuzz(func(t *testing.T, head []byte) {
		require.Equal(t, plainTextRef(head), plainText(head))
	})
}

// slowLines yields lines with an address, as many as asked for, every
// delay, without end.
type slowLines struct{ delay time.Duration }

func (s slowLines) Read(p []byte) (int, error) {
	time.Sleep(s.delay)
	const line = "contact jane@example.com\n"
	n := 0
	for n+len(line) <= len(p) {
		n += copy(p[n:], line)
	}
	return n, nil
}

// A stream that takes longer than MaxFileTime ends with the reason and
// keeps what was read; the Scanner then reads the next stream whole (its
// reader is reset, not left on the slow one).
func TestMaxFileTime(t *testing.T) {
	o := options()
	o.MaxFileTime = 300 * time.Millisecond
	sc := NewScanner(o)
	members, read, err := sc.Read(context.Background(), "slow.log", slowLines{20 * time.Millisecond}, nil, -1)
	require.NoError(t, err)
	require.Positive(t, read)
	require.Len(t, members, 1)
	require.Equal(t, errTimeLimit.Error(), members[0].Partial)
	require.Len(t, members[0].Results, 1)
	require.Positive(t, members[0].Results[0].Count)

	members, _, err = sc.Read(context.Background(), "next.log", strings.NewReader("SSN 123-45-6780\nann@example.com\n"), nil, -1)
	require.NoError(t, err)
	require.Len(t, members, 1)
	require.Empty(t, members[0].Partial)
	var types []string
	for _, r := range members[0].Results {
		types = append(types, r.Type)
	}
	require.ElementsMatch(t, []string{"us_ssn", "email"}, types)
}

// The JSON reader reads what encoding/json read: names that repeat,
// strings with bytes that are not UTF-8, several documents in one stream;
// a syntax error keeps what came before it and says where.
func TestJSONReaderTolerance(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		types     []string
		partial   string
	}{
		{"repeated names", `{"email":"a@example.com","email":"b@example.com","ssn":"123-45-6780"}`, []string{"email", "us_ssn"}, ""},
		{"invalid UTF-8", "{\"note\":\"caf\xe9\",\"email\":\"ann@example.com\"}", []string{"email"}, ""},
		{"documents in a row", `{"email":"a@example.com"} {"phone":"+49 30 12345678"}` + "\n" + `[{"iban":"DE89 3704 0044 0532 0130 00"}]`, []string{"email", "iban", "phone_number"}, ""},
		{"syntax error", `{"email":"a@example.com"} {"x": tru}`, []string{"email"}, "json syntax error at byte"},
		{"truncated", `{"email":"a@example.com", "more": [1, 2`, []string{"email"}, "json: truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			members, _, err := NewScanner(options()).Read(context.Background(), "doc.json", strings.NewReader(tc.doc), nil, -1)
			require.NoError(t, err)
			require.Len(t, members, 1)
			var types []string
			for _, r := range members[0].Results {
				types = append(types, r.Type)
			}
			require.Equal(t, tc.types, types)
			if tc.partial == "" {
				require.Empty(t, members[0].Partial)
			} else {
				require.Contains(t, members[0].Partial, tc.partial)
			}
		})
	}
}
