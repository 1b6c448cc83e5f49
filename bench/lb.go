package main

// One reel API process behind the shipped load balancer (docs/nginx-lb.conf,
// Debian's nginx) against two, on one SQLite file and local stores: small
// uploads per second and signed segment requests per second.

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func lbBenchmark() benchmark {
	return benchmark{
		Name: "lb", Title: "Load balancer: one API process against two",
		About: "uploads and segments per second through nginx in front of one reel API process and of two",
		Runs:  3, QuickRuns: 2,
		Run: runLB,
	}
}

// lbUpload is wrk's request for a 64 KiB multipart upload; %s is the key.
const lbUpload = `
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer %s"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=benchboundary"
wrk.body = "--benchboundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"small.mp4\"\r\n" ..
	"Content-Type: application/octet-stream\r\n\r\n" .. string.rep("x", 65536) .. "\r\n--benchboundary--\r\n"
`

func runLB(ctx context.Context, b *B, d *Doc) error {
	secs := 10 * time.Second
	if b.Quick {
		secs = 5 * time.Second
	}
	data := filepath.Join(b.Work, "data")
	// reel keys creates no database: reel migrate makes it first.
	if _, err := commandOutput(ctx, b.Reel, "migrate", "--data", data); err != nil {
		return err
	}
	out, err := commandOutput(ctx, b.Reel, "keys", "create", "--data", data, "--name", "bench", "--role", "admin")
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	key := strings.TrimSpace(lines[len(lines)-1])
	serve := func(workers string) (*Proc, error) {
		addr, err := localAddr()
		if err != nil {
			return nil, err
		}
		p, err := b.Start("reel", ProcOpts{}, b.Reel, "serve", "--data", data, "--addr", addr, "--workers", workers,
			"--upload-rate", "0", "--api-rate", "0", "--log-level", "warn")
		if err != nil {
			return nil, err
		}
		return p, p.WaitHTTP("http://"+addr, "/healthz", 60*time.Second)
	}

	// A transcoded clip, for its segments: uploaded to a reel with a worker.
	clip := filepath.Join(b.Work, "clip.mp4")
	if err := makeClip(ctx, b, []string{"ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=12",
		"-f", "lavfi", "-i", "sine=duration=12", "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "3M", "-c:a", "aac", "-shortest", clip}); err != nil {
		return err
	}
	p0, err := serve("1")
	if err != nil {
		return err
	}
	c := Client{URL: p0.URL, Key: key}
	v, _, err := c.Upload(ctx, clip)
	if err != nil {
		return err
	}
	if v, err = c.WaitReady(ctx, v.ID, 500*time.Millisecond, 10*time.Minute, nil); err != nil {
		return err
	}
	segPath, segSize, err := firstSegment(v.Playback.URL)
	if err != nil {
		return err
	}
	p0.Stop()

	// Two API processes, no workers, and two nginx load balancers: one in
	// front of the first process, one in front of both.
	pa, err := serve("0")
	if err != nil {
		return err
	}
	pb, err := serve("0")
	if err != nil {
		return err
	}
	tmpl, err := os.ReadFile(filepath.Join(b.Root, "docs", "nginx-lb.conf"))
	if err != nil {
		return err
	}
	lb := func(name string, upstreams ...*Proc) (string, error) {
		addr, err := localAddr()
		if err != nil {
			return "", err
		}
		var servers []string
		for _, u := range upstreams {
			servers = append(servers, "server "+strings.TrimPrefix(u.URL, "http://")+";")
		}
		dir := filepath.Join(b.Work, name)
		conf := strings.NewReplacer("@LISTEN@", addr, "@TEMP_DIR@", dir, "server @UPSTREAM@;", strings.Join(servers, " ")).Replace(string(tmpl))
		conf = fmt.Sprintf("daemon off;\npid %s/nginx.pid;\nerror_log stderr;\n%s\n", dir, nginxUser()) + conf
		p, _, err := startNginx(b, name, conf, "")
		if err != nil {
			return "", err
		}
		return "http://" + addr, p.WaitHTTP("http://"+addr, "/healthz", 30*time.Second)
	}
	one, err := lb("lb-one", pa)
	if err != nil {
		return err
	}
	two, err := lb("lb-two", pa, pb)
	if err != nil {
		return err
	}

	cases := []struct {
		name, path, script string
	}{
		{"upload", "/api/videos", fmt.Sprintf(lbUpload, key)},
		{"segment", segPath, ""},
	}
	rps := map[string]Sample{}
	for run := range b.RunCount {
		for _, cs := range cases {
			for j, base := range []string{one, two} {
				if run%2 == 1 { // who goes first alternates
					base = []string{two, one}[j]
				}
				label := cs.name + map[string]string{one: ", 1 process", two: ", 2 processes"}[base]
				m := b.Measure(false, pa.PID(), pb.PID())
				res, err := b.RunWrk(ctx, Wrk{URL: base + cs.path, Duration: secs, Script: cs.script})
				if err != nil {
					return fmt.Errorf("%s: %w (reel: %s)", label, err, pa.Tail())
				}
				r := b.Record(m.Stop(res.CPU))
				rps[label] = append(rps[label], res.RPS())
				logf("   %s: %.0f req/s (other processes, nginx included, %.0f %% of the CPUs)", label, res.RPS(), 100*r.OtherShare())
			}
		}
	}
	d.P("nginx with docs/nginx-lb.conf in front of one `reel serve --workers 0`, or of two on the same SQLite file and",
		fmt.Sprintf("local stores (rate limits off); wrk 1 thread, 16 connections, %s per case; the cases interleaved,", secs),
		"one process and two taking turns.")
	t := &Table{Header: []string{"requests per second", "1 process", "2 processes", "2 / 1, per run"}, Align: "lrrr"}
	t.Add("upload, 64 KiB multipart, 201 each", rps["upload, 1 process"].Fig(0), rps["upload, 2 processes"].Fig(0),
		Ratios(rps["upload, 2 processes"], rps["upload, 1 process"]).Fig(2))
	t.Add(fmt.Sprintf("signed segment, %d bytes", segSize), rps["segment, 1 process"].Fig(0), rps["segment, 2 processes"].Fig(0),
		Ratios(rps["segment, 2 processes"], rps["segment, 1 process"]).Fig(2))
	d.Table(t)
	d.P("Two processes on one 2-core machine share its cores with nginx and wrk, so the ratio shows",
		"what the balancer and a second process cost or give on the same cores, not what a second",
		"machine gives. Projection: API processes share nothing but the database and the stores,",
		"so with a machine each, segments (a state query per video at most every 3 s) scale with the processes until the",
		"store, the balancer or the network saturates; uploads write one row and one job per video,",
		"so they scale until the database's writes do: one SQLite file takes one writer at a time,",
		"which is why several machines use PostgreSQL. The \"other processes\" share below counts nginx's",
		"workers too (the reel processes and wrk are the run's own): this benchmark does not pin.")
	return nil
}

// firstSegment follows a master playlist's URL to its first variant's
// first media segment and returns that segment's URL path and size.
func firstSegment(master string) (string, int, error) {
	u, err := url.Parse(master)
	if err != nil {
		return "", 0, err
	}
	body, code, err := get(master)
	if err != nil || code != 200 {
		return "", 0, fmt.Errorf("master playlist: status %d, %v", code, err)
	}
	variants := uris(string(body))
	if len(variants) == 0 {
		return "", 0, fmt.Errorf("master playlist lists no variant")
	}
	variant := variants[0]
	vu := u.ResolveReference(&url.URL{Path: variant})
	body, code, err = get(vu.String())
	if err != nil || code != 200 {
		return "", 0, fmt.Errorf("media playlist %s: status %d, %v", variant, code, err)
	}
	segs := uris(string(body))
	if len(segs) == 0 {
		return "", 0, fmt.Errorf("media playlist %s lists no segment", variant)
	}
	su := vu.ResolveReference(&url.URL{Path: segs[0]})
	seg, code, err := get(su.String())
	if err != nil || code != 200 {
		return "", 0, fmt.Errorf("segment %s: status %d, %v", su, code, err)
	}
	return su.Path, len(seg), nil
}

// commandOutput runs a setup command and returns its standard output.
func commandOutput(ctx context.Context, args ...string) (string, error) {
	out, err := execOutput(ctx, args...)
	if err != nil {
		return "", fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	return out, nil
}
