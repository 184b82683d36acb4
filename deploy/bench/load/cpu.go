package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of /proc CPU times: 100 on every Linux
// the project runs on (it is fixed in the kernel's ABI, not configurable).
const clockTicks = 100

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

// procCPU is a process's user+system time in seconds (/proc/PID/stat
// fields 14 and 15, counted after the command name, which may hold spaces).
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): utime is field 14, stime 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad cpu times", pid)
	}
	return (ut + st) / clockTicks, nil
}

// machineCPU is the machine's busy and total CPU seconds from /proc/stat.
func machineCPU() (busy, total float64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: unexpected first line")
	}
	// user nice system idle iowait irq softirq steal ...
	for i, v := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %w", err)
		}
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy / clockTicks, total / clockTicks, nil
}

// readPID reads a pid file (e.g. DIR/clickhouse.pid from clickhouse-start.sh).
func readPID(path string) (int, error) {
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
