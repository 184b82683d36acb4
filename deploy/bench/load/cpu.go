package main

import (
	"os"

	"github.com/sightline-dev/sightline/deploy/bench/internal/benchrun"
)

// cpuSnapshot is CPU time used so far, in seconds: by the collector,
// ClickHouse (when its pid is known), this process (the simulated agents
// and API clients), and the whole machine (busy and total).
type cpuSnapshot struct {
	Collector, ClickHouse, Bench float64
	MachineBusy, MachineTotal    float64
}

// CPUShare is where the machine's CPU went during the window, in cores
// (CPU seconds per second).
type CPUShare struct {
	Collector, ClickHouse, Bench, Other, Busy, Cores float64
	ClickHouseKnown                                  bool
}

func takeCPU(collectorPID, clickhousePID int) cpuSnapshot {
	var s cpuSnapshot
	s.Collector, _ = procCPU(collectorPID)
	if clickhousePID > 0 {
		s.ClickHouse, _ = procCPU(clickhousePID)
	}
	s.Bench, _ = procCPU(os.Getpid())
	s.MachineBusy, s.MachineTotal, _ = machineCPU()
	return s
}

// share turns two snapshots taken secs apart into cores used.
func share(a, b cpuSnapshot, secs float64, clickhouseKnown bool) CPUShare {
	if secs <= 0 {
		return CPUShare{}
	}
	c := CPUShare{
		Collector:       (b.Collector - a.Collector) / secs,
		ClickHouse:      (b.ClickHouse - a.ClickHouse) / secs,
		Bench:           (b.Bench - a.Bench) / secs,
		Busy:            (b.MachineBusy - a.MachineBusy) / secs,
		Cores:           (b.MachineTotal - a.MachineTotal) / secs,
		ClickHouseKnown: clickhouseKnown,
	}
	c.Other = max(c.Busy-c.Collector-c.ClickHouse-c.Bench, 0)
	return c
}

// procCPU is a process's user+system time in seconds.
func procCPU(pid int) (float64, error) {
	d, err := benchrun.ProcessCPU(pid)
	return d.Seconds(), err
}

// machineCPU is the machine's busy and total CPU seconds from /proc/stat.
func machineCPU() (busy, total float64, err error) {
	b, t, err := benchrun.MachineCPU()
	return b.Seconds(), t.Seconds(), err
}
