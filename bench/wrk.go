package main

// wrk, the HTTP load generator, is the one tool run through its own
// script language: each run gets a Lua script whose done() prints wrk's
// exact totals on one line, so nothing parses wrk's rounded summary.

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// wrkDone prints the totals of a run; appended to every script.
const wrkDone = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d bytes=%d micros=%d errors=%d status=%d timeouts=%d p50=%d p99=%d\n",
    summary.requests, summary.bytes, summary.duration,
    e.connect + e.read + e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`

// wrkRotate makes wrk request the paths listed in the file named by
// BENCH_PATHS in turn.
const wrkRotate = `
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
`

// Wrk is one wrk run's settings.
type Wrk struct {
	URL      string
	Threads  int           // default 1
	Conns    int           // default 16
	Duration time.Duration // default 10 s
	Timeout  time.Duration // wrk's per-request timeout; default 10 s
	CPUs     string        // taskset list; empty: not pinned
	Script   string        // Lua run before wrkDone (request shaping)
	Env      []string
}

// WrkResult is what a run did.
type WrkResult struct {
	Requests, Bytes int64
	Elapsed         time.Duration
	Errors          int64 // connect, read, write errors
	Status          int64 // answers that were not 2xx or 3xx
	Timeouts        int64
	P50, P99        time.Duration
	CPU             float64 // wrk's own user+sys seconds
}

// RPS is requests per second.
func (r WrkResult) RPS() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// MBps is megabytes (10^6) per second received, headers included.
func (r WrkResult) MBps() float64 { return float64(r.Bytes) / r.Elapsed.Seconds() / 1e6 }

// RunWrk runs wrk to its end. Errors other than timeouts, and non-2xx/3xx
// answers, fail the run: a figure made of error pages measures nothing.
func (b *B) RunWrk(ctx context.Context, w Wrk) (WrkResult, error) {
	var res WrkResult
	threads, conns := cmp.Or(w.Threads, 1), cmp.Or(w.Conns, 16)
	dur, timeout := cmp.Or(w.Duration, 10*time.Second), cmp.Or(w.Timeout, 10*time.Second)
	script := filepath.Join(b.Work, fmt.Sprintf("wrk.%d.lua", b.seq()))
	if err := os.WriteFile(script, []byte(w.Script+wrkDone), 0o644); err != nil {
		return res, err
	}
	args := []string{"wrk", "-t" + strconv.Itoa(threads), "-c" + strconv.Itoa(conns),
		"-d" + strconv.FormatFloat(dur.Seconds(), 'f', -1, 64) + "s",
		"--timeout", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64) + "s", "-s", script, w.URL}
	if w.CPUs != "" {
		args = append([]string{"taskset", "-c", w.CPUs}, args...)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), w.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return res, fmt.Errorf("wrk %s: %w: %s", w.URL, err, out.String())
	}
	res.CPU = cpuOf(cmd.ProcessState)
	var line string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "BENCH ") {
			line = l
		}
	}
	if line == "" {
		return res, fmt.Errorf("wrk %s printed no totals: %s", w.URL, out.String())
	}
	v := map[string]int64{}
	for _, kv := range strings.Fields(line)[1:] {
		k, s, _ := strings.Cut(kv, "=")
		v[k], _ = strconv.ParseInt(s, 10, 64)
	}
	res.Requests, res.Bytes = v["requests"], v["bytes"]
	res.Elapsed = time.Duration(v["micros"]) * time.Microsecond
	res.Errors, res.Status, res.Timeouts = v["errors"], v["status"], v["timeouts"]
	res.P50, res.P99 = time.Duration(v["p50"])*time.Microsecond, time.Duration(v["p99"])*time.Microsecond
	if res.Errors > 0 || res.Status > 0 || res.Requests == 0 {
		return res, fmt.Errorf("wrk %s: %d requests, %d connection errors, %d non-2xx/3xx answers: %s",
			w.URL, res.Requests, res.Errors, res.Status, out.String())
	}
	return res, nil
}
