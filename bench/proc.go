package main

// Processes under test: started with their output in a log file of the
// work dir, optionally pinned to CPUs with taskset, killed with the bench
// process if it dies (Pdeathsig), waited for until they answer, stopped
// with SIGINT (as reel's own tests stop reel).

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Proc is a running process of a benchmark.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	Log  string // path of its stdout and stderr
	// URL is the base URL it serves, once known (WaitAddr, WaitHTTP).
	URL    string
	exited chan struct{}
}

// ProcOpts are the optional settings of a process.
type ProcOpts struct {
	CPUs string   // taskset's CPU list, such as "0"; empty: not pinned
	Env  []string // added to the environment
	// MinimalEnv gives the process only PATH and HOME besides Env (for
	// versitygw, which reads many VGW_* variables).
	MinimalEnv bool
	Dir        string
}

// Start runs args[0] with args[1:] as a process of the benchmark; it is
// stopped when the benchmark ends, if not before.
func (b *B) Start(name string, opts ProcOpts, args ...string) (*Proc, error) {
	if opts.CPUs != "" {
		args = append([]string{"taskset", "-c", opts.CPUs}, args...)
	}
	logPath := filepath.Join(b.Work, fmt.Sprintf("%s.%d.log", name, b.seq()))
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child keeps its own descriptor
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = opts.Dir
	if opts.MinimalEnv {
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, opts.Env...)
	} else {
		cmd.Env = append(os.Environ(), opts.Env...)
	}
	// Killed with the bench process, even on a crash or SIGKILL.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, Cmd: cmd, Log: logPath, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(p.exited) }()
	b.Defer(p.Stop)
	return p, nil
}

// PID returns the process id (taskset execs the command, so it is the
// command's).
func (p *Proc) PID() int { return p.Cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// Stop sends SIGINT and waits up to 15 s for the process to end, then
// kills it. Stopping a stopped process does nothing.
func (p *Proc) Stop() {
	p.StopWith(syscall.SIGINT)
}

// StopWith stops the process with another signal (nginx: SIGQUIT).
func (p *Proc) StopWith(sig syscall.Signal) {
	if p.Exited() {
		return
	}
	p.Cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		p.Cmd.Process.Kill()
		<-p.exited
	}
}

// Tail returns the last KiB of the process's log, for error messages.
func (p *Proc) Tail() string {
	b, _ := os.ReadFile(p.Log)
	if len(b) > 1024 {
		b = b[len(b)-1024:]
	}
	return string(bytes.TrimSpace(b))
}

// addrLine finds the "addr=http://HOST:PORT" that reel and the reference
// servers log once listening.
var addrLine = regexp.MustCompile(`addr=(http://[0-9.:]+)`)

// WaitAddr waits for the process to log its address and sets URL.
func (p *Proc) WaitAddr(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		b, _ := os.ReadFile(p.Log)
		if m := addrLine.FindSubmatch(b); m != nil {
			p.URL = string(m[1])
			return nil
		}
		if p.Exited() {
			return fmt.Errorf("%s exited at start: %s", p.Name, p.Tail())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s logged no address within %s: %s", p.Name, timeout, p.Tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitHTTP waits until GET url answers a status below 500 and sets URL to
// base.
func (p *Proc) WaitHTTP(base, path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: time.Second}
	for {
		resp, err := c.Get(base + path)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				p.URL = base
				return nil
			}
		}
		if p.Exited() {
			return fmt.Errorf("%s exited at start: %s", p.Name, p.Tail())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer %s within %s: %v %s", p.Name, path, timeout, err, p.Tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freePort returns a TCP port of 127.0.0.1 that nobody listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// localAddr returns "127.0.0.1:PORT" of a free port.
func localAddr() (string, error) {
	p, err := freePort()
	if err != nil {
		return "", err
	}
	return "127.0.0.1:" + strconv.Itoa(p), nil
}

// runTimed runs a command to its end and returns its wall time and CPU
// (user+sys of it and its children, from rusage).
func runTimed(ctx context.Context, dir string, args ...string) (time.Duration, float64, error) {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		tail := stderr.Bytes()
		if len(tail) > 2048 {
			tail = tail[len(tail)-2048:]
		}
		return wall, 0, fmt.Errorf("%s: %w: %s", filepath.Base(args[0]), err, bytes.TrimSpace(tail))
	}
	return wall, cpuOf(cmd.ProcessState), nil
}

// cpuOf returns user+sys seconds of a finished process.
func cpuOf(ps *os.ProcessState) float64 {
	if ps == nil {
		return 0
	}
	return ps.UserTime().Seconds() + ps.SystemTime().Seconds()
}

// Exec runs a setup command to its end (not measured); its output goes to
// the error when it fails.
func (b *B) Exec(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// execOutput runs a command and returns its standard output; its standard
// error goes into the error when it fails.
func execOutput(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return string(out), nil
}

// output is what execOutputEnv returns: standard output and CPU.
type output struct {
	stdout string
	cpu    float64 // user+sys seconds (rusage)
}

// execOutputEnv runs a measured command with env added to the
// environment and returns its standard output and CPU.
func execOutputEnv(ctx context.Context, env []string, args ...string) (output, error) {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return output{}, fmt.Errorf("%s: %w: %s", filepath.Base(args[0]), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return output{stdout: string(out), cpu: cpuOf(cmd.ProcessState)}, nil
}
