// Package health answers the probes of load balancers and orchestrators:
// /healthz (the process is up) and /readyz (the dependencies it needs
// answer). Readiness runs every check at once under a short timeout and
// keeps the verdict a second, so that probes from many balancers cost the
// database and the stores one cheap call a second at most.
package health

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"reel"
)

// Check is one dependency: Probe returns nil when it is reachable.
type Check struct {
	Name  string
	Probe func(ctx context.Context) error
}

// Store checks a blob store by opening a key that does not exist: "not
// found" proves the store answers, any other error that it does not. A
// store in a local folder (with a Root method) must also still have it: a
// volume unmounted under it would otherwise answer "not found" too.
func Store(name string, s reel.BlobStore) Check {
	return Check{Name: name, Probe: func(ctx context.Context) error {
		if local, ok := s.(interface{ Root() string }); ok {
			if _, err := os.Stat(local.Root()); err != nil {
				return err
			}
		}
		b, err := s.Open(ctx, "readyz/probe")
		if err == nil {
			b.Close()
			return nil
		}
		if reel.ErrorCode(err) == reel.ENOTFOUND {
			return nil
		}
		return err
	}}
}

// Report is the body of /readyz: overall status, then each check's
// ("ok" or "failing"; the error itself goes to the log only).
type Report struct {
	Status  string            `json:"status"` // "ok" or "unavailable"
	Failing []string          `json:"failing,omitempty"`
	Checks  map[string]string `json:"checks"`
}

// Checker runs the readiness checks. Make one with New.
type Checker struct {
	checks  []Check
	timeout time.Duration
	every   time.Duration
	log     *slog.Logger

	mu     sync.Mutex
	at     time.Time
	report Report
}

// New returns a checker of checks, each given 2 s, the verdict kept 1 s.
func New(log *slog.Logger, checks ...Check) *Checker {
	if log == nil {
		log = slog.Default()
	}
	return &Checker{checks: checks, timeout: 2 * time.Second, every: time.Second, log: log}
}

// Check runs the checks, or returns the verdict of less than a second ago.
func (c *Checker) Check(ctx context.Context) Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < c.every {
		return c.report
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	defer cancel()
	errs := make([]error, len(c.checks))
	var wg sync.WaitGroup
	for i, ch := range c.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = ch.Probe(ctx)
		}()
	}
	wg.Wait()
	rep := Report{Status: "ok", Checks: map[string]string{}}
	for i, ch := range c.checks {
		if errs[i] != nil {
			rep.Status = "unavailable"
			rep.Failing = append(rep.Failing, ch.Name)
			rep.Checks[ch.Name] = "failing"
			c.log.Warn("readiness check failed", "dependency", ch.Name, "err", errs[i])
		} else {
			rep.Checks[ch.Name] = "ok"
		}
	}
	c.report, c.at = rep, time.Now()
	return rep
}

// ServeHTTP answers /readyz: 200 with the report when every check passes,
// 503 naming the failing dependencies otherwise.
func (c *Checker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep := c.Check(r.Context())
	status := http.StatusOK
	if rep.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(rep)
}

// Live answers /healthz: 200 "ok" while the process serves at all.
func Live(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("ok\n"))
}
