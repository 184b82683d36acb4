// Command scan writes a directory of log-like text with sparse personal
// data for the scanner benchmark (make bench-scan). Deterministic per seed.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/sightline-dev/sightline/deploy/bench/internal/benchrun"
)

func main() {
	dir := flag.String("dir", "", "output directory")
	mb := flag.Int("mb", 256, "total size in MiB")
	files := flag.Int("files", 16, "number of files")
	flag.Parse()
	benchrun.Required("dir")
	benchrun.Main("scan fixture", func(context.Context) error { return write(*dir, *mb, *files) })
}

func write(dir string, mb, files int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(7, 11))
	per := int64(mb) << 20 / int64(files)
	for f := 0; f < files; f++ {
		fh, err := os.Create(filepath.Join(dir, fmt.Sprintf("app-%02d.log", f)))
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(fh, 1<<20)
		var n int64
		for n < per {
			k, _ := fmt.Fprintf(w, "2026-11-01T10:%02d:%02d.%03dZ INFO [worker-%d] GET /api/v2/items/%d 200 %dms bytes=%d build=v4.%d.%d\n",
				r.IntN(60), r.IntN(60), r.IntN(1000), r.IntN(16), r.IntN(1e6), r.IntN(900), r.IntN(1e5), r.IntN(20), r.IntN(99))
			n += int64(k)
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
			k, _ = w.WriteString(extra)
			n += int64(k)
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
