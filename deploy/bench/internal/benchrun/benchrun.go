// Package benchrun is what the benchmark commands under deploy/bench share:
// how they start and fail, their logger, a migrated store to load into,
// and the CPU accounting that makes a timing on a shared machine readable.
package benchrun

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/cli"
	sharedconfig "github.com/sightline-dev/sightline/internal/config"
)

// Main runs fn with a context that ends on Ctrl-C or SIGTERM and exits 1
// with "name: error" on stderr when it fails, as every command does
// (cli.Main).
func Main(name string, fn func(ctx context.Context) error) { cli.Main(name, fn) }

// Required exits 2 with the usage when a flag that has no sensible default
// was not given.
func Required(names ...string) {
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, n := range names {
		if f := flag.Lookup(n); f != nil && !set[n] && f.Value.String() == "" {
			fmt.Fprintf(flag.CommandLine.Output(), "-%s is required\n", n)
			flag.Usage()
			os.Exit(2)
		}
	}
}

// Fixture is how the fixture writers (host, ldap, scan) start once their
// flags are declared: it parses the command line, exits 2 with the usage
// when a required flag was not given (Required), then runs fn as Main
// does.
func Fixture(name string, fn func(ctx context.Context) error, required ...string) {
	flag.Parse()
	Required(required...)
	Main(name, fn)
}

// WriteFile creates path and writes it through a 1 MiB buffer that fill
// writes to, as the fixture writers do; it returns the first error of
// creating, filling, flushing or closing the file.
func WriteFile(path string, fill func(w *bufio.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := fill(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Logger is the benchmarks' logger: warnings and errors only, on stderr,
// so the figures on stdout stay readable.
func Logger() *slog.Logger {
	return sharedconfig.Logger("warn", os.Stderr)
}

// OpenStore opens the collector's store on database db at addr and
// migrates it to the current schema.
func OpenStore(ctx context.Context, addr, db string, log *slog.Logger) (*store.Store, error) {
	st, err := store.Open(ctx, store.Options{Addr: addr, Database: db, Logger: log})
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrating benchmark database %s: %w", db, err)
	}
	return st, nil
}

// WaitMerges waits (up to two minutes) until the server runs no merge, so
// that a timed phase does not pay for the parts an earlier one left.
func WaitMerges(ctx context.Context, conn driver.Conn) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.merges").Scan(&n); err != nil {
			return fmt.Errorf("waiting for ClickHouse merges: %w", err)
		}
		if n == 0 || time.Now().After(deadline) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// SelfCPU is the CPU time (user and system) this process has used.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTick is USER_HZ, the unit of /proc CPU times: 100 per second on
// every Linux the project runs on (fixed in the kernel's ABI).
const clockTick = 10 * time.Millisecond

// ProcessCPU is the CPU time (user and system) process pid has used, read
// from /proc/PID/stat.
func ProcessCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	d, err := parseStat(string(b))
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return d, nil
}

// parseStat reads utime and stime (fields 14 and 15) of a /proc/PID/stat
// line. The command name (field 2) may hold spaces and parentheses, so
// fields are counted after its last ')'.
func parseStat(s string) (time.Duration, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("no command name")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state), so utime is f[11] and stime f[12].
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields after the command name, want at least 13", len(f))
	}
	var ticks int64
	for _, v := range f[11:13] {
		n, err := strconv.ParseInt(v, 10, 64)
		// A tick count past maxTicks is not a CPU time any process has
		// used (it would overflow a Duration), so it is refused rather than
		// wrapped into a negative figure.
		if err != nil || n < 0 || n > maxTicks-ticks {
			return 0, fmt.Errorf("CPU time %q is not a tick count", v)
		}
		ticks += n
	}
	return time.Duration(ticks) * clockTick, nil
}

// maxTicks is the largest tick count a Duration holds (about 2,900 years).
const maxTicks = int64(1<<63-1) / int64(clockTick)

// MachineCPU is the whole machine's busy and total CPU time since boot,
// from the first line of /proc/stat (idle and iowait are not busy).
func MachineCPU() (busy, total time.Duration, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, 0, errors.New("/proc/stat: unexpected first line")
	}
	// user nice system idle iowait irq softirq steal ...
	var b0, t0 int64
	for i, v := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %w", err)
		}
		if n < 0 || n > maxTicks-t0 {
			return 0, 0, fmt.Errorf("/proc/stat: CPU time %q is not a tick count", v)
		}
		t0 += n
		if i != 3 && i != 4 {
			b0 += n
		}
	}
	return time.Duration(b0) * clockTick, time.Duration(t0) * clockTick, nil
}

// ReadPID reads a pid file (e.g. DIR/clickhouse.pid from clickhouse-start.sh).
func ReadPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("reading the pid file %s: %w", path, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("pid file %s holds no pid", path)
	}
	return pid, nil
}
