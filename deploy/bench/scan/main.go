// Command scan writes a directory of log-like text with sparse personal
// data for the scanner benchmark (make bench-scan). Deterministic per seed.
//
// Three shapes: "access" (the original corpus: access-log lines, one in eight
// followed by a line with a value), "small" (the same lines in a tree of
// files of 0.5–4 KiB) and "kv" (structured service logs dense
// with ISO timestamps, 8-hex-digit request ids and key=value pairs of
// numbers, where about 5% of lines carry a personal value drawn at random:
// the digit-dense text that makes every digit run a candidate).
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/sightline-dev/sightline/deploy/bench/internal/benchrun"
)

func main() {
	dir := flag.String("dir", "", "output directory")
	mb := flag.Int("mb", 256, "total size in MiB")
	files := flag.Int("files", 16, "number of files")
	shape := flag.String("shape", "access", "corpus shape: access, kv or small")
	benchrun.Fixture("scan fixture", func(context.Context) error {
		if *shape == "small" {
			return writeSmall(*dir, *mb)
		}
		line, ok := shapes[*shape]
		if !ok {
			return fmt.Errorf("unknown -shape %q: use access, kv, small or csv", *shape)
		}
		return write(*dir, *mb, *files, line, cmp.Or(names[*shape], "app-%02d.log"), headers[*shape])
	}, "dir")
}

// writeSmall writes the "small" shape: a tree of small files, as home
// directories and document shares hold them — 500 files a directory, each
// of 0.5 to 4 KiB of access-log lines (the access shape's, values
// included), so the cost of each file (listing, opening, sniffing its
// format) weighs as much as the bytes. -files is ignored.
func writeSmall(dir string, mb int) error {
	r := rand.New(rand.NewPCG(7, 11))
	var total int64
	var buf bytes.Buffer
	for n := 0; total < int64(mb)<<20; n++ {
		sub := filepath.Join(dir, fmt.Sprintf("d%04d", n/500))
		if n%500 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return err
			}
		}
		buf.Reset()
		for size := 512 + r.IntN(3585); buf.Len() < size; {
			accessLines(&buf, r)
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%03d.log", n%500)), buf.Bytes(), 0o644); err != nil {
			return err
		}
		total += int64(buf.Len())
	}
	return nil
}

// A shape writes one or more lines and returns the bytes written.
type shapeFunc func(w io.Writer, r *rand.Rand) int

var shapes = map[string]shapeFunc{"access": accessLines, "kv": kvLine, "csv": customerRow}

// names are the files of each shape: a table's name says it is one.
var names = map[string]string{"csv": "customers-%02d.csv"}

// customerRow writes one row of the "csv" shape, a customer export (the
// header first in each file, see write): every row a person's name,
// e-mail address, phone number and city, with an id, a date and an
// amount; where a scanner's per-value cost (column context, validation,
// tokens) is the whole cost.
func customerRow(w io.Writer, r *rand.Rand) int {
	first := []string{"Anna", "Jan", "Li", "Omar", "Élodie", "Jürgen", "María", "Pieter", "Sofia", "Lukas"}
	last := []string{"Berg", "Müller", "Nguyen", "Rossi", "Dubois", "Jansen", "García", "Smith", "Kowalski", "Novak"}
	fn, ln := first[r.IntN(len(first))], last[r.IntN(len(last))]
	k, _ := fmt.Fprintf(w, "%d,%s,%s,%s.%s%d@example.com,+49 30 %d,Berlin,2026-11-%02dT10:00:00Z,%d.%02d,active\n",
		r.IntN(1e8), fn, ln, strings.ToLower(fn), strings.ToLower(ln), r.IntN(1e5), 1000000+r.IntN(9000000), 1+r.IntN(28), r.IntN(1e4), r.IntN(100))
	return k
}

// headers are written first in each file of a shape.
var headers = map[string]string{"csv": "id,first_name,last_name,email,phone,city,created_at,amount,status\n"}

func write(dir string, mb, files int, line shapeFunc, name, header string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(7, 11))
	per := int64(mb) << 20 / int64(files)
	for f := 0; f < files; f++ {
		fh, err := os.Create(filepath.Join(dir, fmt.Sprintf(name, f)))
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(fh, 1<<20)
		k, _ := w.WriteString(header)
		n := int64(k)
		for n < per {
			n += int64(line(w, r))
		}
		if err := w.Flush(); err != nil {
			fh.Close()
			return err
		}
		if err := fh.Close(); err != nil {
			return err
		}
	}
	return nil
}

func accessLines(w io.Writer, r *rand.Rand) int {
	k, _ := fmt.Fprintf(w, "2026-11-01T10:%02d:%02d.%03dZ INFO [worker-%d] GET /api/v2/items/%d 200 %dms bytes=%d build=v4.%d.%d\n",
		r.IntN(60), r.IntN(60), r.IntN(1000), r.IntN(16), r.IntN(1e6), r.IntN(900), r.IntN(1e5), r.IntN(20), r.IntN(99))
	var extra string
	switch r.IntN(40) {
	case 0:
		extra = fmt.Sprintf("login ok email=user%d@example.com from 10.%d.%d.%d\n", r.IntN(1e4), r.IntN(256), r.IntN(256), r.IntN(256))
	case 1:
		extra = "payment card=4111 1111 1111 1111 status=ok\n"
	case 2:
		extra = fmt.Sprintf("hr record ssn %03d-%02d-%04d\n", 1+r.IntN(600), 1+r.IntN(98), 1+r.IntN(9998))
	case 3:
		extra = "refund to DE89 3704 0044 0532 0130 00 ok\n"
	case 4:
		extra = "decoy order 4111-1111-1111-1112 id 550e8400-e29b-41d4-a716-446655440000\n"
	}
	k2, _ := io.WriteString(w, extra)
	return k + k2
}

var (
	services = []string{"checkout", "billing", "search", "auth", "inventory", "gateway"}
	levels   = []string{"info", "info", "info", "debug", "warn", "error"}
	methods  = []string{"GET", "POST", "PUT", "DELETE"}
)

// kvLine writes one structured log line: a timestamp, request and trace
// ids in hex, and numeric fields; one line in twenty ends in a personal
// value (or, as often as real logs have them, a decoy of the same shape).
func kvLine(w io.Writer, r *rand.Rand) int {
	k, _ := fmt.Fprintf(w, "2026-11-%02dT%02d:%02d:%02d.%06dZ level=%s svc=%s req=%08x trace=%08x%08x span=%08x method=%s path=/v1/orders/%d status=%d dur_ms=%d.%03d bytes=%d user_id=%d retries=%d ts=%d",
		1+r.IntN(30), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e6), levels[r.IntN(len(levels))], services[r.IntN(len(services))],
		r.Uint32(), r.Uint32(), r.Uint32(), r.Uint32(), methods[r.IntN(len(methods))], r.IntN(1e7),
		[]int{200, 200, 200, 201, 204, 400, 404, 500}[r.IntN(8)], r.IntN(2000), r.IntN(1000), r.IntN(1e6), r.IntN(1e8), r.IntN(4), 1764547200+r.IntN(2592000))
	var extra string
	switch r.IntN(20) {
	case 0:
		switch r.IntN(8) {
		case 0:
			extra = fmt.Sprintf(" email=%s.%d@example.%s", []string{"anna", "jan", "li", "omar"}[r.IntN(4)], r.IntN(1e4), []string{"com", "de", "org"}[r.IntN(3)])
		case 1:
			extra = " card=" + card(r, []string{" ", "-", ""}[r.IntN(3)])
		case 2:
			extra = fmt.Sprintf(" ssn=%03d-%02d-%04d", 1+r.IntN(600), 1+r.IntN(98), 1+r.IntN(9998))
		case 3:
			extra = fmt.Sprintf(" phone=+1 %d%02d-555-%04d", 2+r.IntN(8), r.IntN(100), r.IntN(1e4))
		case 4:
			extra = fmt.Sprintf(" client_ip=%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254))
		case 5:
			extra = fmt.Sprintf(" phone=+49 30 %d", 1000000+r.IntN(9000000))
		case 6:
			extra = " iban=DE89 3704 0044 0532 0130 00"
		case 7:
			// Decoys: a 16-digit order number failing Luhn, a UUID.
			extra = fmt.Sprintf(" order=%016d uuid=%08x-%04x-4%03x-a%03x-%012x", r.Int64N(1e16), r.Uint32(), r.IntN(1<<16), r.IntN(1<<12), r.IntN(1<<12), r.Int64N(1<<48))
		}
	}
	k2, _ := io.WriteString(w, extra+"\n")
	return k + k2
}

// card returns a random Visa or Mastercard number with a valid Luhn digit,
// grouped by sep.
func card(r *rand.Rand, sep string) string {
	d := make([]byte, 16)
	d[0] = '4'
	if r.IntN(2) == 0 {
		d[0], d[1] = '5', byte('1'+r.IntN(5))
	}
	for i := range d[:15] {
		if d[i] == 0 {
			d[i] = byte('0' + r.IntN(10))
		}
	}
	sum := 0
	for i := 14; i >= 0; i-- {
		v := int(d[i] - '0')
		if (14-i)%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	d[15] = byte('0' + (10-sum%10)%10)
	s := string(d)
	return s[:4] + sep + s[4:8] + sep + s[8:12] + sep + s[12:]
}
