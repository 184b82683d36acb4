// Command cputime runs a command and writes its wall time, user and
// system CPU time in seconds (microseconds, from the kernel's rusage) and
// peak RSS in KiB, space-separated, to the file -o: what make bench-scan
// compares. GNU time prints CPU time in steps of 10 ms, 3-6 % of a 128
// MiB run, more than the differences the benchmark reports.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	out := flag.String("o", "", "file to write \"wall user sys maxrss_kib\" to")
	flag.Parse()
	if err := run(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "cputime:", err)
		os.Exit(1)
	}
}

func run(out string, args []string) error {
	if out == "" || len(args) == 0 {
		return errors.New("usage: cputime -o FILE CMD [ARG...]")
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return fmt.Errorf("run %s: %w", args[0], err)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return errors.New("no resource usage on this system")
	}
	sec := func(tv syscall.Timeval) float64 { return float64(tv.Sec) + float64(tv.Usec)/1e6 }
	line := fmt.Sprintf("%.6f %.6f %.6f %d\n", wall.Seconds(), sec(ru.Utime), sec(ru.Stime), ru.Maxrss)
	if werr := os.WriteFile(out, []byte(line), 0o644); werr != nil {
		return fmt.Errorf("write %s: %w", out, werr)
	}
	if err != nil {
		os.Exit(ee.ExitCode()) // the command's status, as time(1) returns it
	}
	return nil
}
