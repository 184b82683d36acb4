package content

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// patternReader streams head, then body repeated to n bytes in all, then
// tail: a hostile file of any size without holding it.
type patternReader struct {
	head, body, tail string
	n, off           int64
}

func (p *patternReader) Read(b []byte) (int, error) {
	total := int64(len(p.head)) + p.n + int64(len(p.tail))
	if p.off >= total {
		return 0, io.EOF
	}
	k := 0
	for k < len(b) && p.off < total {
		var c byte
		switch o := p.off; {
		case o < int64(len(p.head)):
			c = p.head[o]
		case o < int64(len(p.head))+p.n:
			c = p.body[(o-int64(len(p.head)))%int64(len(p.body))]
		default:
			c = p.tail[o-int64(len(p.head))-p.n]
		}
		b[k] = c
		k++
		p.off++
	}
	return k, nil
}

// genReader streams gen(0), gen(1), ... until n bytes or a few more (the
// last part whole): a hostile file
// whose parts differ (distinct names), without holding it.
type genReader struct {
	gen  func(i int) string
	n    int64
	i    int
	part string
}

func (g *genReader) Read(b []byte) (int, error) {
	k := 0
	for k < len(b) && (g.n > 0 || g.part != "") {
		if g.part == "" {
			g.part = g.gen(g.i)
			g.i++
		}
		c := copy(b[k:], g.part)
		g.part = g.part[c:]
		g.n -= int64(c)
		k += c
	}
	if k == 0 {
		return 0, io.EOF
	}
	return k, nil
}

// peakHeap runs f and returns the most heap in use above what was in use
// before, sampled while f runs.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var s runtime.MemStats
		for {
			runtime.ReadMemStats(&s)
			if s.HeapInuse > base && s.HeapInuse-base > peak {
				peak = s.HeapInuse - base
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	wg.Wait() // the sampler has stopped: peak is this goroutine's now
	runtime.ReadMemStats(&ms)
	if ms.HeapInuse > base && ms.HeapInuse-base > peak {
		peak = ms.HeapInuse - base
	}
	return peak
}

// hostile is one hostile stream: its name, what it is made of, and its
// size.
type hostile struct {
	name, stream     string
	head, body, tail string
	n                int64
	gen              func(i int) string // instead of body, when set
}

// readHostile reads h with the default limits and returns its members and
// the peak heap above the scanner's own buffer.
func readHostile(t *testing.T, h hostile) ([]Member, uint64) {
	t.Helper()
	s := NewScanner(options())
	var ms []Member
	var err error
	peak := peakHeap(func() {
		var r io.Reader = &patternReader{head: h.head, body: h.body, tail: h.tail, n: h.n}
		if h.gen != nil {
			r = io.MultiReader(strings.NewReader(h.head), &genReader{gen: h.gen, n: h.n}, strings.NewReader(h.tail))
		}
		ms, _, err = s.Read(context.Background(), h.stream, r, nil, -1)
	})
	require.NoError(t, err)
	return ms, peak
}

const mib = 1 << 20

// TestHostileFilesBoundedMemory reads files made to make a reader hold
// what it reads (a row of a million cells, an element of a million
// attributes or of a million names of children, a 40 MiB attribute) and
// checks the heap stays bounded and the reason a file was cut is named.
func TestHostileFilesBoundedMemory(t *testing.T) {
	tests := []struct {
		hostile
		maxHeap uint64 // MiB
		partial string
	}{
		{hostile{name: "html row of td cells", stream: "a.html", head: "<table><tr>", body: "<td>\n", n: 8 * mib}, 48, ""},
		{hostile{name: "html th row never ends", stream: "a.html", head: "<table><tr>", body: "<th>x\n", n: 8 * mib}, 48, ""},
		{hostile{name: "html nested tables of long cells", stream: "a.html", head: strings.Repeat("<table><tr><td>", 64), body: "x <i>y</i>\n", n: 8 * mib}, 48, ""},
		{hostile{name: "minified html", stream: "a.html", head: "<p>", body: "<b>a</b> ", n: 4 * mib}, 48, ""},
		{hostile{name: "html text token past the chunk", stream: "a.html", head: "<p>", body: "x", n: 4 * mib}, 48, errTokenLimit.Error()},
		{hostile{name: "xml element of a million attributes", stream: "a.xml", head: "<a ", body: `b="" `, n: 16 * mib}, 64, errTokenLimit.Error()},
		{hostile{name: "xml attribute of 16 MiB", stream: "a.xml", head: `<a b="`, body: "x", n: 16 * mib}, 64, errTokenLimit.Error()},
		{hostile{name: "sql dump of tables of 1024 columns", stream: "a.sql", gen: func(i int) string {
			switch i % 1026 {
			case 0:
				return "create table t" + strconv.Itoa(i) + " (\n"
			case 1025:
				return ");\n"
			}
			return "column_with_a_longer_name_" + strconv.Itoa(i) + " int,\n"
		}, n: 48 * mib}, 64, ""},
		{hostile{name: "sql insert of 500k columns", stream: "a.sql", head: "insert into t (", body: "a,", n: mib - 64, tail: ") values (1);\n"}, 16, ""},
		{hostile{name: "sql copy of 500k columns", stream: "a.sql", head: "copy t (", body: "a,", n: mib - 64, tail: ") from stdin;\n"}, 16, ""},
		{hostile{name: "markdown header of 500k cells", stream: "a.md", head: "|", body: "a|", n: mib - 64, tail: "\n|-|\n"}, 16, ""},
		{hostile{name: "xml children of distinct names", stream: "a.xml", head: "<a>", gen: func(i int) string { return "<b" + strconv.Itoa(i) + "/>" }, n: 16 * mib, tail: "</a>"}, 64, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, peak := readHostile(t, tt.hostile)
			require.Less(t, peak, tt.maxHeap*mib, "peak heap")
			_, partial := types(ms)
			require.Equal(t, tt.partial, partial[""])
		})
	}
}

// TestLongLineReadOn checks a line-by-line reader given a line longer than
// the chunk size (a pasted blob, a line of quotes) reads the first chunk of
// it and goes on with the lines after, and says so; no planted value shows
// in a member's name or reason.
func TestLongLineReadOn(t *testing.T) {
	long := strings.Repeat(`'"\`, 700_000) // 2.1 MiB: quotes and backslashes
	tests := []struct {
		name, stream, data string
		want               map[string]int64
	}{
		{"history", "/home/jd/.bash_history", "mysql -u root -pS3cretRootPw crm\n" + long + "\nsshpass -p 'Welcome123!' ssh deploy@10.0.4.12\n",
			map[string]int64{"password": 2, "ip_address": 1}},
		{"history, long last line", ".zsh_history", "mysql -u root -pS3cretRootPw crm\n" + long, map[string]int64{"password": 1}},
		{"netrc", ".netrc", "machine a login u password Hunter2Secret!\n" + long + "\nmachine b login v password Zebra9Secret?\n",
			map[string]int64{"password": 2}},
		{"pgpass", ".pgpass", long + "\ndb.internal:5432:crm:crm_app:S3cure!Passw0rd\n", map[string]int64{"password": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms, _, err := NewScanner(options()).Read(context.Background(), tc.stream, strings.NewReader(tc.data), nil, int64(len(tc.data)))
			require.NoError(t, err)
			got := map[string]int64{}
			for _, m := range ms {
				require.Equal(t, errLinesCut.Error(), m.Partial)
				require.Empty(t, m.Name)
				for _, r := range m.Results {
					got[r.Type] += r.Count
				}
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// TestNoPlantedValueInNamesOrReasons plants personal values where the new
// readers take names from (XML element and attribute names, labels, HTML
// headers, SQL and Markdown column names, a history's long line) and
// checks none shows in a member's name, its reason or a where-string.
func TestNoPlantedValueInNamesOrReasons(t *testing.T) {
	const email, ssn = "jane.doe@example.com", "078-05-1120"
	long := strings.Repeat("x", chunkSize+10)
	tests := []struct{ stream, data string }{
		{"a.xml", `<r><mail>` + email + `</mail><n a="` + email + `" ` + email + `="` + email + `"/><` + email + `>` + email + `</` + email + `></r>`},
		{"a.xml", `<r><add key="` + email + `" value="` + ssn + `"/><p>` + long + `</p></r>`},
		{"a.html", `<table><tr><th>` + email + `<th>` + ssn + `</tr><tr><td>` + email + `<td>` + ssn + `</table><p>` + long},
		{"a.sql", "CREATE TABLE t (\n`" + email + "` int,\n);\nINSERT INTO t VALUES ('" + email + "');\nINSERT INTO u (`" + ssn + "`) VALUES ('" + email + "');\n"},
		{"a.md", "| " + email + " | " + ssn + " |\n|---|---|\n| " + email + " | " + ssn + " |\n"},
		{".bash_history", "curl -u " + email + ":" + ssn + " x\n" + long + email + "\n"},
		{".netrc", "machine h login " + email + " password " + ssn + "\n" + long + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.stream, func(t *testing.T) {
			ms, _, err := NewScanner(options()).Read(context.Background(), tc.stream, strings.NewReader(tc.data), nil, int64(len(tc.data)))
			require.NoError(t, err)
			require.NotEmpty(t, ms)
			found := false
			for _, m := range ms {
				found = found || len(m.Results) > 0
				shown := []string{m.Name, m.Partial}
				for _, r := range m.Results {
					shown = append(shown, r.Where...)
				}
				for _, s := range shown {
					for _, v := range []string{email, ssn} {
						require.NotContains(t, s, v)
					}
				}
			}
			require.True(t, found, "the planted values are found")
		})
	}
}

// TestManyEmptyMembersBounded: every member read is kept until its file
// is done, and an empty member costs none of the expansion budget, so
// archives of empty files nested in an archive (a 14 MB zip of 200 zips
// of 10,000 empty files gave two million members, 730 MiB of heap) grew
// the agent's memory with the file size. One file yields at most ten
// archives' worth of members in all, and says where it stopped.
func TestManyEmptyMembersBounded(t *testing.T) {
	zipOf := func(n int, member func(i int) (string, []byte)) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for i := range n {
			name, data := member(i)
			w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
			require.NoError(t, err)
			_, err = w.Write(data)
			require.NoError(t, err)
		}
		require.NoError(t, zw.Close())
		return b.Bytes()
	}
	o := options()
	o.MaxMembers = 2000
	inner := zipOf(o.MaxMembers, func(i int) (string, []byte) { return strconv.Itoa(i), nil })
	outer := zipOf(30, func(i int) (string, []byte) { return "z" + strconv.Itoa(i) + ".zip", inner })
	ms, _, err := NewScanner(o).Read(context.Background(), "a.zip", bytes.NewReader(outer), bytes.NewReader(outer), int64(len(outer)))
	require.NoError(t, err)
	require.LessOrEqual(t, len(ms), 10*o.MaxMembers+1, "members of one file")
	var cut []string
	for _, m := range ms {
		if strings.Contains(m.Partial, "in all") {
			cut = append(cut, m.Name)
		}
	}
	require.Len(t, cut, 1, "the file says once where it stopped")
}
