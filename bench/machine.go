package main

// What the machine and the processes under test did, from /proc: CPU
// ticks of one process (and the children it waited for), the whole
// machine's busy ticks, load average, peak RSS, bytes written. A run's
// "other CPU" is the machine's busy time minus the CPU of the processes
// the run is made of: the work of whoever else shares the machine.

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// clkTck is USER_HZ, the unit of /proc's CPU times: 100 on every Linux
// architecture Go supports (sysconf(_SC_CLK_TCK) reports the same).
const clkTck = 100

// procTicks returns the CPU a process used, in clock ticks: utime+stime,
// plus cutime+cstime (the children it waited for) when children is set.
// reel waits for every ffmpeg it runs, so with children a delta around a
// transcode is the transcode's whole CPU.
func procTicks(pid int, children bool) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the ")" that ends the command name; utime is the 14th
	// field of the line, the 12th after the name.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 15 {
		return 0, fmt.Errorf("/proc/%d/stat: short line", pid)
	}
	n := 2
	if children {
		n = 4
	}
	var sum int64
	for _, v := range f[11 : 11+n] {
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, err
		}
		sum += x
	}
	return sum, nil
}

// busyTicks returns the clock ticks all CPUs spent busy since boot (user,
// nice, system, irq, softirq, steal) from /proc/stat.
func busyTicks() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	var sum int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		if i < len(f) {
			x, _ := strconv.ParseInt(f[i], 10, 64)
			sum += x
		}
	}
	return sum
}

// loadAvg returns /proc/loadavg's three averages as "1.07 1.37 1.56".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// load1 returns the 1-minute load average.
func load1() float64 {
	f := strings.Fields(loadAvg())
	if len(f) == 0 {
		return 0
	}
	x, _ := strconv.ParseFloat(f[0], 64)
	return x
}

// procStatus returns a field of /proc/PID/status in KiB (VmHWM, VmRSS).
func procStatus(pid int, field string) (int64, error) {
	return procField(fmt.Sprintf("/proc/%d/status", pid), field+":")
}

// procWriteBytes returns the bytes the process made the kernel write to
// storage (write_bytes of /proc/PID/io).
func procWriteBytes(pid int) (int64, error) {
	return procField(fmt.Sprintf("/proc/%d/io", pid), "write_bytes:")
}

// procField returns the first number after the line starting with key.
func procField(path, key string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				return strconv.ParseInt(fields[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("%s: no %s", path, key)
}

// Meter measures one run: wall time, the CPU of the processes the run is
// made of, and what the rest of the machine took meanwhile.
type Meter struct {
	start    time.Time
	busy0    int64
	pids     []int
	children []bool
	ticks0   []int64
}

// Measure starts a Meter over the given processes; children says for each
// whether its waited-for children count too.
func Measure(pids []int, children []bool) *Meter {
	m := &Meter{pids: pids, children: children, ticks0: make([]int64, len(pids))}
	for i, p := range pids {
		m.ticks0[i], _ = procTicks(p, m.children[i])
	}
	m.busy0 = busyTicks()
	m.start = time.Now()
	return m
}

// Reading is what a Meter saw between Measure and Stop.
type Reading struct {
	Wall  time.Duration
	CPU   []float64 // seconds, per process given to Measure
	Other float64   // seconds of CPU the rest of the machine took
}

// Stop ends the measure. extraCPU is CPU (in seconds) of processes that
// are part of the run but were not given to Measure, such as a client
// timed with rusage: it is taken out of Other.
func (m *Meter) Stop(extraCPU float64) Reading {
	wall := time.Since(m.start)
	busy := busyTicks()
	r := Reading{Wall: wall, CPU: make([]float64, len(m.pids))}
	own := extraCPU
	for i, p := range m.pids {
		t, err := procTicks(p, m.children[i])
		if err != nil {
			continue // exited; its CPU is lost to Other
		}
		r.CPU[i] = float64(t-m.ticks0[i]) / clkTck
		own += r.CPU[i]
	}
	r.Other = max(0, float64(busy-m.busy0)/clkTck-own)
	return r
}

// OtherShare is the share of the machine's CPUs the rest of the machine
// took during the run: 0.5 on 2 cores means one core's worth.
func (r Reading) OtherShare() float64 {
	s := r.Wall.Seconds() * float64(runtime.NumCPU())
	if s == 0 {
		return 0
	}
	return r.Other / s
}

// cpuModel names the CPU, from /proc/cpuinfo.
func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// memTotal returns the machine's memory as "23.4 GiB".
func memTotal() string {
	kib, err := procField("/proc/meminfo", "MemTotal:")
	if err != nil {
		return "unknown"
	}
	return fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
}

// kernel returns `uname -sr`.
func kernel() string {
	out, err := exec.Command("uname", "-sr").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// toolVersion returns the first line of a tool's version output, "" if
// it does not run.
func toolVersion(name string, args ...string) string {
	out, _ := exec.Command(name, args...).CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	line, _, _ = strings.Cut(line, " Copyright")
	return line
}
