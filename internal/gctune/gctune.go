// Package gctune sets the Go garbage collector's target (GOGC) and soft
// memory limit (GOMEMLIMIT) for a long-running process from its
// configuration, the way Prometheus does with runtime.gogc and
// --auto-gomemlimit.
//
// Why: the collector allocates for every record it decodes and inserts,
// and at Go's default target (100) the collector spent about a fifth of
// its ingest CPU in the garbage collector (make bench-ingest -cpuprofile). A higher
// target collects less often; the soft limit keeps the heap bounded anyway
// (near it, Go collects as often as it must). GOGC and GOMEMLIMIT in the
// environment always win: the runtime has applied them already.
package gctune

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// Options are what the configuration asks for.
type Options struct {
	// Percent is the GC target; 0 keeps Go's default (100).
	Percent int
	// LimitBytes is the soft memory limit. 0: 90% of the cgroup's memory
	// limit when the process runs under one, else FallbackLimitBytes.
	LimitBytes         int64
	FallbackLimitBytes int64
	// LookupEnv and CgroupRoot are os.LookupEnv and /sys/fs/cgroup unless
	// set (tests).
	LookupEnv  func(string) (string, bool)
	CgroupRoot string
}

// Settings is what Apply set, for the log.
type Settings struct {
	Percent    int
	LimitBytes int64
	// From says where the limit came from: "GOMEMLIMIT", "config",
	// "cgroup", "fallback" or "none".
	From string
}

// Resolve works out the settings without applying them.
func Resolve(o Options) Settings {
	env := o.LookupEnv
	if env == nil {
		env = os.LookupEnv
	}
	s := Settings{Percent: o.Percent, LimitBytes: o.LimitBytes, From: "config"}
	if v, ok := env("GOGC"); ok && v != "" {
		s.Percent = -1 // the environment's, left as the runtime read it
	}
	switch v, ok := env("GOMEMLIMIT"); {
	case ok && v != "":
		s.LimitBytes, s.From = -1, "GOMEMLIMIT"
	case o.LimitBytes > 0:
	default:
		root := o.CgroupRoot
		if root == "" {
			root = "/sys/fs/cgroup"
		}
		if l, ok := cgroupLimit(root); ok {
			s.LimitBytes, s.From = l/10*9, "cgroup"
		} else if o.FallbackLimitBytes > 0 {
			s.LimitBytes, s.From = o.FallbackLimitBytes, "fallback"
		} else {
			s.LimitBytes, s.From = -1, "none"
		}
	}
	return s
}

// Apply resolves and applies the settings (a negative field is left as
// the runtime has it).
func Apply(o Options) Settings {
	s := Resolve(o)
	if s.Percent > 0 {
		debug.SetGCPercent(s.Percent)
	}
	if s.LimitBytes > 0 {
		debug.SetMemoryLimit(s.LimitBytes)
	}
	return s
}

// String is the settings as a log line shows them.
func (s Settings) String() string {
	p := "GOGC from the environment"
	if s.Percent > 0 {
		p = fmt.Sprintf("gc_percent %d", s.Percent)
	} else if s.Percent == 0 {
		p = "gc_percent 100 (Go's default)"
	}
	if s.LimitBytes <= 0 {
		return fmt.Sprintf("%s, memory limit: %s", p, s.From)
	}
	return fmt.Sprintf("%s, memory limit %d MiB (%s)", p, s.LimitBytes>>20, s.From)
}

// cgroupLimit reads the memory limit of the process's cgroup (v2's
// memory.max, else v1's memory.limit_in_bytes); "max" or a v1 value of
// about 2^63 mean none.
func cgroupLimit(root string) (int64, bool) {
	for _, f := range []string{"memory.max", filepath.Join("memory", "memory.limit_in_bytes")} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			continue
		}
		v := strings.TrimSpace(string(b))
		if v == "max" {
			return 0, false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n >= math.MaxInt64/2 {
			return 0, false
		}
		return n, true
	}
	return 0, false
}
