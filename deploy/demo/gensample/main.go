// Command gensample writes a small directory of files holding fake personal
// data (made-up people, test card numbers, SSNs from valid ranges that belong
// to no one known) for the demo. Output is deterministic for a seed.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

var (
	first = []string{"alice", "bruno", "chloe", "dmitri", "elena", "farid", "grace", "hiro", "ines", "jonas"}
	last  = []string{"martin", "schmidt", "rossi", "garcia", "nowak", "dubois", "silva", "jensen", "kowalski", "moreau"}
	// Issuers' published test numbers: Luhn-valid, never real accounts.
	cards = []string{"4111111111111111", "5555555555554444", "378282246310005", "6011111111111117", "3530111333300000", "4012888888881881"}
)

func main() {
	dir := flag.String("dir", "sample", "directory to write")
	seed := flag.Uint64("seed", 1, "random seed")
	rows := flag.Int("rows", 200, "rows in the customer CSV")
	flag.Parse()
	r := rand.New(rand.NewPCG(*seed, 42))
	must(os.MkdirAll(filepath.Join(*dir, "crm"), 0o755))
	must(os.MkdirAll(filepath.Join(*dir, "logs"), 0o755))
	must(os.MkdirAll(filepath.Join(*dir, "docs"), 0o755))

	var csv strings.Builder
	csv.WriteString("id,name,email,card,ssn\n")
	for i := 0; i < *rows; i++ {
		f, l := first[r.IntN(len(first))], last[r.IntN(len(last))]
		fmt.Fprintf(&csv, "%d,%s %s,%s.%s%d@example.com,%s,%s\n", i+1, f, l, f, l, i, cards[r.IntN(len(cards))], ssn(r))
	}
	write(filepath.Join(*dir, "crm", "customers.csv"), csv.String())

	var log strings.Builder
	for i := 0; i < 500; i++ {
		if i%10 == 0 {
			fmt.Fprintf(&log, "2026-11-01T10:%02d:%02dZ INFO login ok user=%s@example.org\n", i%60, i%60, first[r.IntN(len(first))])
		} else {
			fmt.Fprintf(&log, "2026-11-01T10:%02d:%02dZ INFO request served in %d ms, build 4.%d.%d\n", i%60, i%60, r.IntN(900), r.IntN(20), r.IntN(99))
		}
	}
	write(filepath.Join(*dir, "logs", "app.log"), log.String())

	write(filepath.Join(*dir, "docs", "hr-note.txt"),
		"Employee onboarding\nSSN: "+ssn(r)+"\nContact: hr-team@example.net\nOrder no. 1234-5678-9012-3456 (not a card)\n")
	write(filepath.Join(*dir, "docs", "readme.txt"), "Nothing personal in here: version v1.2.3.4, order 4111-1111-1111-1112.\n")
}

// ssn returns a well-formed SSN in ranges the SSA issues (area 001–665).
func ssn(r *rand.Rand) string {
	return fmt.Sprintf("%03d-%02d-%04d", 1+r.IntN(665), 1+r.IntN(99), 1+r.IntN(9999))
}

func write(path, s string) { must(os.WriteFile(path, []byte(s), 0o644)) }

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "gensample:", err)
		os.Exit(1)
	}
}
