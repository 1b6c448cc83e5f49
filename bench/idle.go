package main

// Idle CPU per process: reel serve with one in-process worker, reel serve
// --workers 0 (API only) and reel worker, side by side on one SQLite
// file, then on one PostgreSQL database; beside them `bench ref ticker`,
// a Go program that only wakes every 50 ms as River's job completer does:
// the floor of every process that works jobs.

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"reel/pgtest"
)

func idleBenchmark() benchmark {
	return benchmark{
		Name: "idle", Title: "Idle CPU per process",
		About: "CPU of idle reel processes (serve, API only, worker) on SQLite and PostgreSQL, against a 50 ms ticker",
		Runs:  3, QuickRuns: 2,
		Run: runIdle,
	}
}

// idleTarget is the most CPU an idle process may take, in % of one core.
const idleTarget = 0.2

func runIdle(ctx context.Context, b *B, d *Doc) error {
	window := 30 * time.Second
	if b.Quick {
		window = 15 * time.Second
	}
	t := &Table{Header: []string{"database", "process", "CPU, % of one core", "runs", "under 0.2 %"}, Align: "llrll"}
	sqlite := filepath.Join(b.Work, "reel.db")
	if err := idleOn(ctx, b, t, "SQLite", sqlite, window); err != nil {
		return err
	}
	db, err := pgtest.Create(ctx)
	var down *pgtest.ServerDownError
	switch {
	case errors.As(err, &down):
		d.P(fmt.Sprintf("No PostgreSQL answered (%v): SQLite only.", err))
	case err != nil:
		return err
	default:
		defer db.Drop()
		if err := idleOn(ctx, b, t, "PostgreSQL", db.URL, window); err != nil {
			return err
		}
	}
	d.P(fmt.Sprintf("All of a database's processes run side by side, measured %d times over %s each, from 15 s after",
		b.RunCount, window), "start; CPU is utime+stime from /proc/PID/stat (one clock tick is "+
		num(100/clkTck/window.Seconds(), 3)+" % over a window).")
	d.Table(t)
	d.P("The reference is the floor for every process that works jobs: River v0.51.1's batch",
		"completer wakes every 50 ms in each such client (not configurable). An API process",
		"(`--workers 0`) runs no River client. See docs/decisions.md (Processes) for what was tuned.")
	return nil
}

// idleOn measures the idle processes on one database.
func idleOn(ctx context.Context, b *B, t *Table, label, db string, window time.Duration) error {
	logf("   %s: starting the processes", label)
	dir := filepath.Join(b.Work, label)
	common := []string{"--db", db, "--originals", filepath.Join(dir, "originals"),
		"--outputs", filepath.Join(dir, "outputs"), "--log-level", "warn"}
	// The first to start migrates the database; the others wait for it.
	if err := b.Exec(ctx, append([]string{b.Reel, "migrate", "--data", filepath.Join(dir, "m")}, common[:2]...)...); err != nil {
		return err
	}
	type proc struct {
		name string
		args []string
	}
	ticker, err := refArgs("ticker")
	if err != nil {
		return err
	}
	procs := []proc{
		{"serve --workers 1", append([]string{b.Reel, "serve", "--data", filepath.Join(dir, "a"), "--addr", "127.0.0.1:0", "--workers", "1"}, common...)},
		{"serve --workers 0", append([]string{b.Reel, "serve", "--data", filepath.Join(dir, "b"), "--addr", "127.0.0.1:0", "--workers", "0"}, common...)},
		{"worker", append([]string{b.Reel, "worker", "--data", filepath.Join(dir, "c"), "--concurrency", "1"}, common...)},
		{"reference: 50 ms ticker", ticker},
	}
	var pids []int
	var started []*Proc
	for _, p := range procs {
		pr, err := b.Start("idle", ProcOpts{}, p.args...)
		if err != nil {
			return err
		}
		pids = append(pids, pr.PID())
		started = append(started, pr)
	}
	defer func() {
		for _, p := range started {
			p.Stop()
		}
	}()
	select {
	case <-time.After(15 * time.Second):
	case <-ctx.Done():
		return ctx.Err()
	}
	for _, p := range started {
		if p.Exited() {
			return fmt.Errorf("%s exited: %s", p.Name, p.Tail())
		}
	}
	pct := make([]Sample, len(procs))
	for run := range b.RunCount {
		m := b.Measure(false, pids...)
		select {
		case <-time.After(window):
		case <-ctx.Done():
			return ctx.Err()
		}
		r := b.Record(m.Stop(0))
		var line []string
		for i, c := range r.CPU {
			pct[i] = append(pct[i], 100*c/r.Wall.Seconds())
			line = append(line, fmt.Sprintf("%s %.3f %%", procs[i].name, pct[i][run]))
		}
		logf("   %s run %d: %s of a core", label, run+1, strings.Join(line, ", "))
	}
	for i, p := range procs {
		v := "(floor)"
		if i < 3 {
			v = verdict(pct[i].Median() < idleTarget)
		}
		t.Add(label, p.name, pct[i].Fig(3), pct[i].Runs(3), v)
	}
	return nil
}
