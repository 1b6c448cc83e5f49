package main

// The API on PostgreSQL against SQLite: 10,000 ready videos in each
// database, one `reel serve --workers 0` on each, wrk (1 thread, 16
// connections) on three requests, the two servers interleaved.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"reel/pgtest"
)

func dbBenchmark() benchmark {
	return benchmark{
		Name: "db", Title: "Benchmark: the API on PostgreSQL and SQLite",
		About: "API requests per second with 10,000 videos, PostgreSQL against SQLite",
		Runs:  3, QuickRuns: 2,
		Run: runDB,
	}
}

func runDB(ctx context.Context, b *B, d *Doc) error {
	videos, secs := 10000, 10*time.Second
	if b.Quick {
		videos, secs = 2000, 5*time.Second
	}
	pg, err := pgtest.Create(ctx)
	if err != nil {
		return err
	}
	defer pg.Drop()
	type backend struct {
		name, db      string
		url, id, deep string
		pid           int
		seed          time.Duration
	}
	backends := []*backend{
		{name: "SQLite", db: filepath.Join(b.Work, "SQLite", "reel.db")},
		{name: "PostgreSQL", db: pg.URL},
	}
	for _, be := range backends {
		data := filepath.Join(b.Work, be.name)
		if err := os.MkdirAll(data, 0o755); err != nil {
			return err
		}
		if err := b.Exec(ctx, b.Reel, "migrate", "--data", data, "--db", be.db); err != nil {
			return err
		}
		logf("   %s: seeding %d videos", be.name, videos)
		start := time.Now()
		be.id, be.deep, err = seedVideos(ctx, be.db, videos)
		if err != nil {
			return err
		}
		be.seed = time.Since(start)
		addr, err := localAddr()
		if err != nil {
			return err
		}
		p, err := b.Start("reel-"+be.name, ProcOpts{}, b.Reel, "serve", "--data", data, "--db", be.db,
			"--addr", addr, "--workers", "0", "--signing-key", "bench-signing-key-0123456789abcdef0123",
			"--log-level", "error", "--api-rate", "0")
		if err != nil {
			return err
		}
		// --log-level error logs no address: wait on the health check.
		if err := p.WaitHTTP("http://"+addr, "/healthz", 30*time.Second); err != nil {
			return err
		}
		be.url, be.pid = p.URL+"/api/videos", p.PID()
	}
	type kase struct {
		label string
		url   func(*backend) string
	}
	kases := []kase{
		{"`GET /api/videos/{id}`", func(be *backend) string { return be.url + "/" + be.id }},
		{"`GET /api/videos` (first page)", func(be *backend) string { return be.url }},
		{"`GET /api/videos?cursor=` (after 90 %)", func(be *backend) string { return be.url + "?cursor=" + be.deep }},
	}
	rps := map[string]Sample{}
	for run := range b.RunCount {
		for _, k := range kases {
			for j := range backends {
				be := backends[(run+j)%2] // who goes first alternates
				m := b.Measure(false, be.pid)
				res, err := b.RunWrk(ctx, Wrk{URL: k.url(be), Duration: secs})
				if err != nil {
					return err
				}
				r := b.Record(m.Stop(res.CPU))
				rps[be.name+k.label] = append(rps[be.name+k.label], res.RPS())
				logf("   %s %s: %.0f req/s (other processes, PostgreSQL included, %.0f %% of the CPUs)", be.name, k.label, res.RPS(), 100*r.OtherShare())
			}
		}
	}
	d.P(fmt.Sprintf("%d ready public videos per database; wrk -t1 -c16 for %s per case, requests per second.", videos, secs),
		"Neither reel nor PostgreSQL is pinned: on a shared machine both servers compete with wrk for the same",
		"cores, PostgreSQL's processes included. The two servers run side by side and take turns, case by case.")
	t := &Table{Header: []string{"request", "SQLite", "PostgreSQL", "PostgreSQL / SQLite, per run"}, Align: "lrrr"}
	for _, k := range kases {
		s, p := rps["SQLite"+k.label], rps["PostgreSQL"+k.label]
		t.Add(k.label, s.Fig(0), p.Fig(0), Ratios(p, s).Fig(2))
	}
	d.Table(t)
	d.P(fmt.Sprintf("Seeding %d videos one transaction each through the store: SQLite %.1f s, PostgreSQL %.1f s.",
		videos, backends[0].seed.Seconds(), backends[1].seed.Seconds()),
		"The \"other processes\" share below counts PostgreSQL's server processes too (reel and wrk are the run's own).")
	return nil
}
