package content

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/pii/evalcorpus"
)

// columnDetector runs the default detector and records, per field name
// the reader passed as context, how many values of each type it found:
// what each column's cells yielded under that column's header.
type columnDetector struct {
	pii.FieldDetector
	mu  sync.Mutex
	got map[[2]string]int // field, type
}

func (d *columnDetector) DetectField(field, text []byte, emit func(pii.Match)) {
	d.FieldDetector.DetectField(field, text, func(m pii.Match) {
		d.mu.Lock()
		d.got[[2]string{string(field), m.Type}]++
		d.mu.Unlock()
		emit(m)
	})
}

// TestTablesPerColumn reads a 300-row German customer export saved in
// each dialect people save tables in and asserts, column by column, that
// each header speaks only for its own column: the phone column yields
// exactly its 300 phone numbers, the IBAN, card and IP columns none, and
// so on. Read as one column, a ';' export gave 545 phone numbers.
func TestTablesPerColumn(t *testing.T) {
	tb := evalcorpus.GermanCustomers(7, 300)
	for _, d := range evalcorpus.Dialects {
		t.Run(d.Name, func(t *testing.T) {
			det := &columnDetector{FieldDetector: pii.NewDefault().(pii.FieldDetector), got: map[[2]string]int{}}
			o := options()
			o.Detector = det
			data := evalcorpus.RenderTable(tb, d)
			ms, _, err := NewScanner(o).Read(context.Background(), "export/kunden."+d.Ext, bytes.NewReader(data), nil, int64(len(data)))
			require.NoError(t, err)
			require.Len(t, ms, 1)
			require.Empty(t, ms[0].Partial)

			planted := map[string]bool{}
			for _, typ := range tb.Want {
				if typ != "" {
					planted[typ] = true
				}
			}
			for c, col := range tb.Header {
				for typ := range planted {
					want := 0
					if typ == tb.Want[c] {
						want = len(tb.Rows)
					}
					require.Equal(t, want, det.got[[2]string{col, typ}], "column %q, type %s", col, typ)
				}
			}
			for k := range det.got {
				require.Contains(t, tb.Header, k[0], "a value detected under a field that is no column: %q", k[0])
			}
			totals := map[string]int{}
			for _, r := range ms[0].Results {
				totals[r.Type] = int(r.Count)
			}
			for typ := range planted {
				require.Equal(t, len(tb.Rows), totals[typ], "%s in the file", typ)
			}
			require.Contains(t, ms[0].Results[0].Where[0], "row ")
		})
	}
}

func TestSniffDialect(t *testing.T) {
	tests := []struct {
		name, sample string
		preferred    rune
		want         dialect
	}{
		{"semicolon", "name;email;phone\nAnna;a@example.de;030 1234567\n", ',', dialect{comma: ';'}},
		{"semicolon with decimal commas", "name;price;total\nA;1,50;2,50\nB;3,00;4,25\n", ',', dialect{comma: ';'}},
		{"comma with semicolons in text", "id,note\n1,\"see; there\"\n2,a;b;c\n", ',', dialect{comma: ','}},
		{"quoted separators are data", "\"a;b\",c\n\"d;e\",f\n", ',', dialect{comma: ','}},
		{"tab", "a\tb\tc\n1\t2\t3\n", ',', dialect{comma: '\t'}},
		{"pipe", "a|b\n1|2\n", ',', dialect{comma: '|'}},
		{"tie keeps the name's", "a,b;c\n1,2;3\n", ',', dialect{comma: ','}},
		{"tsv named, comma inside", "a\tb\n1,5\t2,5\n", '\t', dialect{comma: '\t'}},
		{"excel sep line", "sep=;\r\nname;email\r\n", ',', dialect{comma: ';', sepLine: true}},
		{"bom then sep line", "\ufeffsep=|\nname|email\n", ',', dialect{comma: '|', sepLine: true}},
		{"sep line naming a digit is text", "sep=0\na;b\n", ',', dialect{comma: ','}},
		{"one column", "email\na@example.de\n", ',', dialect{comma: ','}},
		{"prose", "Hello; this is text.\nNo table, here | at all\n", ',', dialect{comma: ','}},
		{"empty", "", '\t', dialect{comma: '\t'}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, sniffDialect([]byte(tc.sample), true, tc.preferred))
		})
	}
}

// FuzzSniffDialect: any bytes give one of the candidates, and reading
// the table with it never fails or hangs.
func FuzzSniffDialect(f *testing.F) {
	for _, d := range evalcorpus.Dialects {
		f.Add(evalcorpus.RenderTable(evalcorpus.GermanCustomers(1, 3), d), d.Comma == '\t')
	}
	f.Add([]byte("sep=\"\n\"a\"\"\n"), false)
	f.Add([]byte("\"unterminated;a\nb;c"), true)
	sc := NewScanner(options()) // one buffer for every run
	f.Fuzz(func(t *testing.T, data []byte, complete bool) {
		preferred := ','
		if len(data)%2 == 1 {
			preferred = '\t'
		}
		d := sniffDialect(data, complete, preferred)
		if d.sepLine {
			require.True(t, validSep(d.comma), fmt.Sprintf("%q", d.comma))
		} else {
			require.Contains(t, append([]rune{preferred}, dialectCandidates...), d.comma, fmt.Sprintf("%q", d.comma))
		}
		ms, _, err := sc.Read(context.Background(), "t.csv", bytes.NewReader(data), nil, int64(len(data)))
		require.NoError(t, err)
		for _, m := range ms {
			require.NotContains(t, m.Partial, "panic")
		}
	})
}

// A header cell naming several columns, left whole because no separator
// splits the table consistently, lends context to none of them.
func TestHeaderNamingSeveralColumnsSpeaksForNone(t *testing.T) {
	data := []byte("name;phone\nsee 030 12345678 below\nJana Krüger\nnothing here either\n")
	ms, _, err := NewScanner(options()).Read(context.Background(), "x.csv", bytes.NewReader(data), nil, int64(len(data)))
	require.NoError(t, err)
	require.Empty(t, ms, "a bare national number has no phone context here")
	data = []byte("phone\nsee 030 12345678 below\n")
	ms, _, err = NewScanner(options()).Read(context.Background(), "x.csv", bytes.NewReader(data), nil, int64(len(data)))
	require.NoError(t, err)
	require.Len(t, ms, 1, "its own column's header does lend it")
}

// A text file whose name names no format is read as a table only when its
// content is one: a header row of names over records split alike.
func TestTextTable(t *testing.T) {
	tests := []struct {
		name, sample string
		want         rune
		ok           bool
	}{
		{"tab table", "Vorname\tNachname\tTelefon\nJana\tKrüger\t030 1234567\nOle\tBerg\t040 7654321\nAnna\tWeiß\t089 123456\n", '\t', true},
		{"semicolon table", "name;phone;city\nJana;030 1234567;Berlin\nOle;040 7654321;Hamburg\nAnna;089 123456;München\n", ';', true},
		{"sep line", "sep=;\nname;phone\nJana;030 1234567\n", ';', true},
		{"two columns are too few", "name\tphone\nJana\t030 1234567\nOle\t040 7654321\nAnna\t089 123456\n", 0, false},
		{"tab log", "2026-12-03T10:14:22Z\tINFO\tstarted\n2026-12-03T10:14:23Z\tINFO\tready\n2026-12-03T10:14:24Z\tWARN\tslow\n", 0, false},
		{"prose with semicolons", "We met; we talked; we left.\nThen it rained; we stayed inside; fine.\nNo table here; just text; really.\n", 0, false},
		{"comma table", "First Name,Last Name,Birth Date\nEmily,Clark,1990-08-17\nJohn,Doe,1985-03-15\nAnna,Weiß,1983-07-14\n", ',', true},
		{"prose with commas", "Dear Anna, thanks, we met.\nYes, we did, and it rained.\nWell, fine, see you soon.\n", 0, false},
		{"ragged", "a\tb\tc\n1\t2\n3\t4\t5\t6\n7\n", 0, false},
		{"header of numbers", "1\t2\t3\n4\t5\t6\n7\t8\t9\n10\t11\t12\n", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := textTable([]byte(tc.sample), true)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, c)
		})
	}
	data := []byte("Vorname\tNachname\tTelefon\r\nJana\tKrüger\t030 1234567\r\nOle\tBerg\t040 7654321\r\n")
	ms, _, err := NewScanner(options()).Read(context.Background(), "export.txt", bytes.NewReader(data), nil, int64(len(data)))
	require.NoError(t, err)
	require.Len(t, ms, 1)
	where := map[string]string{}
	for _, r := range ms[0].Results {
		where[r.Type] = r.Where[0]
	}
	require.Equal(t, "row 2, column Telefon", where["phone_number"], "read as a table, its header is the context")
}

// FuzzTextTable: any bytes named .txt are read, as a table or as text,
// without an error; textTable only ever answers tab, ';' or a "sep=" hint.
func FuzzTextTable(f *testing.F) {
	f.Add([]byte("Vorname\tNachname\tTelefon\nJana\tKrüger\t030 1234567\nOle\tBerg\t040 7654321\nAnna\tWeiß\t089 123456\n"))
	f.Add([]byte("sep=|\na|b\n"))
	f.Add([]byte("\xff\xfeV\x00\t\x00"))
	sc := NewScanner(options())
	f.Fuzz(func(t *testing.T, data []byte) {
		if c, ok := textTable(data, true); ok {
			require.True(t, c == '\t' || c == ';' || validSep(c), fmt.Sprintf("%q", c))
		}
		ms, _, err := sc.Read(context.Background(), "t.txt", bytes.NewReader(data), nil, int64(len(data)))
		require.NoError(t, err)
		for _, m := range ms {
			require.NotContains(t, m.Partial, "panic")
		}
	})
}
