package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"reel/tus"
)

// WorkerCommand runs transcodes and the periodic jobs (rescue of stalled
// transcodes, sweep of abandoned multipart uploads, expiry of resumable
// uploads), with no HTTP API. Any number of workers and servers share one
// database and one set of stores.
type WorkerCommand struct {
	coreFlags
	Concurrency int

	// Lookup reads the environment; nil means os.LookupEnv.
	Lookup func(string) (string, bool)
	// Ready, if set, is called once the worker runs.
	Ready func()
}

// cmdLine returns reel worker's flags, bound to c's fields.
func (c *WorkerCommand) cmdLine() *cmdLine {
	cl := newCmdLine("reel worker", "reel worker [flags]", `Runs transcodes, webhook deliveries and the periodic jobs, with no HTTP API,
beside any number of reel serve and reel worker processes on the same
database (--db) and stores (--originals, --outputs).`)
	fs := cl.FlagSet
	c.coreFlags.register(fs)
	fs.IntVar(&c.Concurrency, "concurrency", max(1, runtime.NumCPU()/2), "transcodes running at once in this process")
	return cl
}

// ParseFlags reads flags, then REEL_* variables for flags not given, then
// validates.
func (c *WorkerCommand) ParseFlags(args []string) error {
	cl := c.cmdLine()
	fs := cl.FlagSet
	rest, err := cl.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{msg: fmt.Sprintf("reel worker takes no arguments, got %q", rest), hint: flagHint("reel worker")}
	}
	lookup := c.Lookup
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if err := envDefaults(fs, lookup); err != nil {
		return err
	}
	if c.Concurrency < 1 {
		return errors.New("--concurrency must be at least 1")
	}
	return c.coreFlags.validate()
}

// Run works until ctx ends, then stops gracefully: running transcodes go
// back to the queue at once, for another worker.
func (c *WorkerCommand) Run(ctx context.Context) error {
	log := c.logger()
	p, err := c.build(ctx, log, c.Concurrency, tus.Config{})
	if err != nil {
		return err
	}
	defer p.release()
	_, stopOps, err := serveOps(c.MetricsAddr, p)
	if err != nil {
		return err
	}
	if err := p.runner.Start(ctx); err != nil {
		stopOps(ctx)
		return fmt.Errorf("start workers: %w", err)
	}
	log.Info("reel worker running", "data", c.Data, "concurrency", c.Concurrency)
	if c.Ready != nil {
		c.Ready()
	}
	<-ctx.Done()
	log.Info("shutting down")
	err = p.stopRunner(ctx)
	last, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	stopOps(last)
	log.Info("stopped")
	return err
}
