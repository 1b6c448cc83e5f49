package main

// Signed delivery: one 1 MiB segment and one media playlist, served by
//
//	reel      `reel serve --signing nginx`: the whole server
//	signed    `bench ref play --signing-key`: reel's /play/ handler alone,
//	          checking the same tokens
//	unsigned  `bench ref play`: the same handler, a signer that accepts all
//	nginx     Debian's nginx serving the same files from disk, checking the
//	          same token with secure_link (1 worker)
//
// each server pinned to core 0 (Go with GOMAXPROCS=1, nginx one worker) and
// wrk (1 thread, 16 connections) to core 1.

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"reel"
	"reel/nginx"
)

func playBenchmark() benchmark {
	return benchmark{
		Name: "play", Title: "Signed delivery benchmark",
		About: "serving a 1 MiB segment and a playlist through signed URLs, against nginx secure_link",
		Runs:  5, QuickRuns: 3,
		Run: runPlay,
	}
}

// playSecret and playID are the benchmark's signing key and video id (the
// shape of a reel id).
const (
	playSecret = "bench-secret-0123456789abcdef0123456789"
	playKeyID  = "b1"
	playID     = "benchbenchbench2"
)

// playServer is one server under test.
type playServer struct {
	name string
	url  string
	pid  int    // the process that serves (nginx: its worker)
	wrk  string // wrk's CPUs: "1" when the server is pinned to "0", else none
	// kinds it serves in the rounds; a factor server only what it tests.
	kinds []string
	// secs is its time per case (factors get less).
	secs time.Duration
}

// playFactor is one thing that may move the delivery figure: a variant
// server measured beside the one it differs from, in the same rounds.
type playFactor struct {
	label         string
	variant, base string // server names
	kind          string
}

func runPlay(ctx context.Context, b *B, d *Doc) error {
	if runtime.NumCPU() < 2 {
		return fmt.Errorf("needs 2 cores to pin server and client apart")
	}
	secs, factorSecs := 10*time.Second, 5*time.Second
	if b.Quick {
		secs = 5 * time.Second
	}
	data := filepath.Join(b.Work, "data")
	out := filepath.Join(data, "outputs", playID, "v0")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	seg := make([]byte, 1<<20)
	rand.Read(seg) // as media: incompressible
	if err := os.WriteFile(filepath.Join(out, "seg1.m4s"), seg, 0o644); err != nil {
		return err
	}
	var pl bytes.Buffer
	pl.WriteString("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:6\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MAP:URI=\"init.mp4\"\n")
	for i := 1; i <= 600; i++ { // an hour of video
		fmt.Fprintf(&pl, "#EXTINF:6.000000,\nseg%d.m4s\n", i)
	}
	pl.WriteString("#EXT-X-ENDLIST\n")
	if err := os.WriteFile(filepath.Join(out, "index.m3u8"), pl.Bytes(), 0o644); err != nil {
		return err
	}
	// reel serves a video's files only while the video exists: one ready
	// row in its database, made through its own store.
	if err := b.Exec(ctx, b.Reel, "migrate", "--data", data); err != nil {
		return err
	}
	if _, _, err := seedVideos(ctx, filepath.Join(data, "reel.db"), 1, playID); err != nil {
		return err
	}
	servers, err := startPlayServers(b, data, secs, factorSecs)
	if err != nil {
		return err
	}
	factors := []playFactor{
		{"copy through a 32 KiB buffer instead of sendfile (unsigned, `--no-sendfile`)", "unsigned, no sendfile", "unsigned", "segment"},
		{"a log line per request: `--log-level warn` against reel's default `info`", "reel, log warn", "reel", "segment"},
		{"a log line per request: `--log-level warn` against reel's default `info`", "reel, log warn", "reel", "playlist"},
		{"GC: `GOGC=400` against the default 100", "reel, GOGC=400", "reel", "segment"},
		{"pinning: reel unpinned (GOMAXPROCS 2, wrk unpinned too) against pinned", "reel, unpinned", "reel", "segment"},
		{"pinning: nginx unpinned (1 worker, wrk unpinned too) against pinned", "nginx, unpinned", "nginx", "segment"},
	}
	if b.Quick {
		factors = nil
	}

	signer, err := nginx.New(reel.SigningKey{ID: playKeyID, Secret: []byte(playSecret)})
	if err != nil {
		return err
	}
	token := signer.Sign(playID, time.Now().Add(3*time.Hour))
	files := map[string]string{"segment": "v0/seg1.m4s", "playlist": "v0/index.m3u8"}
	want := map[string][]byte{"segment": seg, "playlist": pl.Bytes()}
	// Every server must answer 200 with the same bytes, and refuse a bad
	// token, before it is timed.
	for _, s := range servers {
		for kind, f := range files {
			got, code, err := get(s.url + "/play/" + token + "/" + playID + "/" + f)
			if err != nil || code != 200 || !bytes.Equal(got, want[kind]) {
				return fmt.Errorf("%s %s: status %d, %d bytes, %v", s.name, kind, code, len(got), err)
			}
		}
		if strings.HasPrefix(s.name, "unsigned") {
			continue
		}
		bad := strings.Replace(token, token[3:8], "AAAAA", 1)
		if _, code, _ := get(s.url + "/play/" + bad + "/" + playID + "/" + files["segment"]); code != 403 {
			return fmt.Errorf("%s accepted a bad token (status %d)", s.name, code)
		}
	}

	type key struct{ server, kind string }
	rps, mbps, p99, cpuPerK, cold := map[key]Sample{}, map[key]Sample{}, map[key]Sample{}, map[key]Sample{}, map[key]Sample{}
	kinds := []string{"segment", "playlist"}
	one := func(s playServer, kind string, d time.Duration, record bool) error {
		m := b.Measure(false, s.pid)
		res, err := b.RunWrk(ctx, Wrk{URL: s.url + "/play/" + token + "/" + playID + "/" + files[kind], Duration: d, CPUs: s.wrk})
		if err != nil {
			return err
		}
		r := m.Stop(res.CPU)
		k := key{s.name, kind}
		if !record {
			cold[k] = append(cold[k], res.RPS())
			return nil
		}
		b.Record(r)
		rps[k] = append(rps[k], res.RPS())
		mbps[k] = append(mbps[k], res.MBps())
		p99[k] = append(p99[k], float64(res.P99)/float64(time.Millisecond))
		cpuPerK[k] = append(cpuPerK[k], r.CPU[0]/float64(res.Requests)*1e6) // ms per 1000
		logf("   %s %s: %.0f req/s, %.0f MB/s, p99 %.2f ms; server CPU %.0f µs per request; other processes %.0f %% of the CPUs",
			s.name, kind, res.RPS(), res.MBps(), float64(res.P99)/1e6, cpuPerK[k][len(cpuPerK[k])-1], 100*r.OtherShare())
		return nil
	}
	// Warm-up: each server serves each file for 2 s first, so no server's
	// first round pays for first-touch costs the others paid before (page
	// faults, the playlist cache, TCP buffers, Go's heap growing to its
	// working size). These cold runs are kept apart, as a factor.
	for _, kind := range kinds {
		for _, s := range servers {
			if slices.Contains(s.kinds, kind) {
				if err := one(s, kind, 2*time.Second, false); err != nil {
					return err
				}
			}
		}
	}
	// Rounds interleave the servers, the order rotating each round, so a
	// burst of other load hits them alike and no server always follows
	// the same one.
	for round := range b.RunCount {
		for _, kind := range kinds {
			for i := range servers {
				s := servers[(round+i)%len(servers)]
				if !slices.Contains(s.kinds, kind) {
					continue
				}
				if err := one(s, kind, s.secs, true); err != nil {
					return err
				}
			}
		}
	}

	d.P(fmt.Sprintf("wrk 1 thread, 16 connections, %s per case on loopback; each server pinned to core 0 (Go with", secs),
		"GOMAXPROCS=1, nginx 1 worker), wrk to core 1; each server warmed up for 2 s per file first.",
		fmt.Sprintf("Segment: 1 MiB; playlist: a 600-segment VOD media playlist (%d bytes, identity). reel runs as", pl.Len()),
		"shipped (`--log-level info`: a log line per request); nginx with `access_log off`, as before.")
	t := &Table{Header: []string{"case", "req/s", "MB/s", "p99 ms", "server CPU µs per request", "runs, req/s"}, Align: "lrrrrl"}
	for _, kind := range kinds {
		for _, s := range servers[:4] {
			k := key{s.name, kind}
			t.Add(s.name+" "+kind, rps[k].Fig(0), mbps[k].Fig(0), p99[k].Fig(2), cpuPerK[k].Fig(0), rps[k].Runs(0))
		}
	}
	d.Table(t)
	rt := &Table{Header: []string{"ratio (req/s)", "ratio of medians", "per round: median (range)", "server CPU per request, per round", "target", ""}, Align: "lrrrrl"}
	ratio := func(label string, a, c key, target float64) {
		r := rps[a].Median() / rps[c].Median()
		rt.Add(label, num(r, 2), Ratios(rps[a], rps[c]).Fig(2), Ratios(cpuPerK[a], cpuPerK[c]).Fig(2), "≥ "+num(target, 2), verdict(r >= target))
	}
	ratio("signed / unsigned, segment", key{"signed", "segment"}, key{"unsigned", "segment"}, 0.95)
	ratio("signed / unsigned, playlist", key{"signed", "playlist"}, key{"unsigned", "playlist"}, 0.95)
	ratio("reel / nginx secure_link, segment", key{"reel", "segment"}, key{"nginx", "segment"}, 1.0)
	ratio("reel / nginx secure_link, playlist", key{"reel", "playlist"}, key{"nginx", "playlist"}, 0.6)
	d.Table(rt)
	d.P("Per-round ratios divide the two servers' runs of the same round, a few seconds apart: their range is",
		"the spread of the comparison itself, narrower than that of either server's req/s when other load comes",
		"and goes. Server CPU is the serving process's utime+stime (nginx: its worker) per request; it moves",
		"least with other load, since it counts only the server's own work, and it is what limits a server",
		"whose core is shared or saturated.")
	if b.RunCount > 0 && !b.Quick {
		d.H("What moves the figure")
		ft := &Table{Header: []string{"factor", "file", "variant / base, req/s per round", "variant / base, server CPU per request, per round"}, Align: "llrr"}
		for _, f := range factors {
			a, c := key{f.variant, f.kind}, key{f.base, f.kind}
			ft.Add(f.label, f.kind, Ratios(rps[a], rps[c]).Fig(2), Ratios(cpuPerK[a], cpuPerK[c]).Fig(2))
		}
		for _, name := range []string{"reel", "nginx"} {
			for _, kind := range kinds {
				c := key{name, kind}
				ft.Add("warm-up: "+name+"'s first 2 s against its warmed rounds", kind, num(cold[c].Median()/rps[c].Median(), 2), "")
			}
		}
		rn, rnu := Ratios(rps[key{"reel", "segment"}], rps[key{"nginx", "segment"}]), Ratios(rps[key{"reel, unpinned", "segment"}], rps[key{"nginx, unpinned", "segment"}])
		ft.Add("pinning: reel / nginx, both unpinned, against both pinned", "segment", num(rnu.Median()/rn.Median(), 2), "")
		d.Table(ft)
		d.P(fmt.Sprintf("Each variant ran %s per round beside the server it differs from, in the same rounds. A ratio", factorSecs),
			"near 1 means the factor does not move the figure here. The page cache is no factor: the one segment",
			"and playlist are read thousands of times a second, so after the first request both servers send them",
			"from memory (sendfile from the page cache, the playlist from reel's own cache). Keep-alive neither: wrk",
			"keeps its 16 connections open against both.")
		d.P("**Found:** until commit 9e249e5, `reel serve` sent segments through a 32 KiB buffer (read from the",
			"file, written to the socket) instead of sendfile(2): the listener that caps connections per client",
			"address wrapped each connection in a type without `ReadFrom`, and net/http only uses sendfile when the",
			"connection has one. That tripled reel's CPU per 1 MiB segment (the `--no-sendfile` row prices it on the",
			"bare handler). With a core to itself and wrk the bottleneck, the copy hardly shows in req/s; where the",
			"server's core is shared (no pinning, other load) req/s follows CPU per request, which is the likeliest",
			"reason for the 0.83 measured on another machine. The connections now keep `ReadFrom` (web/limits.go).")
		cpu := func(name string) float64 { return cpuPerK[key{name, "playlist"}].Median() }
		d.P(fmt.Sprintf("**Playlists:** reel spends %s µs of CPU per playlist request, the bare /play/ handler (signed) %s µs,",
			num(cpu("reel"), 0), num(cpu("signed"), 0)),
			fmt.Sprintf("nginx %s µs: the cost is net/http and the handler (per-request header maps, the token's MAC, the path", num(cpu("nginx"), 0)),
			fmt.Sprintf("checks, the request log), not reel serve's extras; the log line is about %s %% of it (the `--log-level",
				num(100*(1-Ratios(cpuPerK[key{"reel, log warn", "playlist"}], cpuPerK[key{"reel", "playlist"}]).Median()), 0)),
			"warn` row). With wrk on a core of its own the client bounds both servers and reel gets the ratio above; where",
			fmt.Sprintf("the server's core is shared or saturated, req/s follows CPU per request and the ratio falls toward %s: the",
				num(cpu("nginx")/cpu("reel"), 2)),
			"0.56 measured on another machine sits between the two. A playlist is also answered gzipped to players that",
			"accept it (wrk does not ask), which this figure does not include.")
	}
	return nil
}

// startPlayServers starts the four servers on data's outputs, then the
// variants the factors compare them with.
func startPlayServers(b *B, data string, secs, factorSecs time.Duration) ([]playServer, error) {
	both, seg := []string{"segment", "playlist"}, []string{"segment"}
	var servers []playServer
	// add starts a server; reel's own ones get a free port up front (at
	// --log-level warn reel logs no address) and are waited for on /healthz.
	add := func(name string, opts ProcOpts, kinds []string, d time.Duration, args ...string) error {
		addr := ""
		if args[0] == b.Reel {
			var err error
			if addr, err = localAddr(); err != nil {
				return err
			}
			args = append(slices.Clone(args), "--addr", addr)
		}
		p, err := b.Start(name, opts, args...)
		if err != nil {
			return err
		}
		if addr != "" {
			err = p.WaitHTTP("http://"+addr, "/healthz", 30*time.Second)
		} else {
			err = p.WaitAddr(30 * time.Second)
		}
		if err != nil {
			return err
		}
		wrkCPUs := ""
		if opts.CPUs != "" {
			wrkCPUs = "1"
		}
		servers = append(servers, playServer{name, p.URL, p.PID(), wrkCPUs, kinds, d})
		return nil
	}
	reelArgs := []string{b.Reel, "serve", "--data", data, "--signing", "nginx",
		"--signing-key", playSecret, "--signing-key-id", playKeyID, "--workers", "0"}
	pinned := ProcOpts{CPUs: "0", Env: []string{"GOMAXPROCS=1"}}
	if err := add("reel", pinned, both, secs, append(reelArgs, "--log-level", "info")...); err != nil {
		return nil, err
	}
	ref := func(extra ...string) ([]string, error) {
		return refArgs("play", append([]string{"--outputs", filepath.Join(data, "outputs")}, extra...)...)
	}
	for _, name := range []string{"signed", "unsigned"} {
		var extra []string
		if name == "signed" {
			extra = []string{"--signing-key", playSecret, "--signing-key-id", playKeyID}
		}
		cmd, err := ref(extra...)
		if err != nil {
			return nil, err
		}
		if err := add(name, pinned, both, secs, cmd...); err != nil {
			return nil, err
		}
	}
	ngx, err := startPlayNginx(b, data, "nginx", "0")
	if err != nil {
		return nil, err
	}
	ngx.kinds, ngx.secs = both, secs
	servers = append(servers, ngx)

	if b.Quick {
		return servers, nil // the factors only in full runs
	}
	// The factors' variants.
	cmd, err := ref("--no-sendfile")
	if err != nil {
		return nil, err
	}
	if err := add("unsigned, no sendfile", pinned, seg, factorSecs, cmd...); err != nil {
		return nil, err
	}
	if err := add("reel, log warn", pinned, both, factorSecs, append(reelArgs, "--log-level", "warn")...); err != nil {
		return nil, err
	}
	gc := ProcOpts{CPUs: "0", Env: []string{"GOMAXPROCS=1", "GOGC=400"}}
	if err := add("reel, GOGC=400", gc, seg, factorSecs, append(reelArgs, "--log-level", "info")...); err != nil {
		return nil, err
	}
	if err := add("reel, unpinned", ProcOpts{}, seg, factorSecs, append(reelArgs, "--log-level", "info")...); err != nil {
		return nil, err
	}
	ngxFree, err := startPlayNginx(b, data, "nginx, unpinned", "")
	if err != nil {
		return nil, err
	}
	ngxFree.kinds, ngxFree.secs = seg, factorSecs
	return append(servers, ngxFree), nil
}

// playNginxConf serves the outputs as reel's docs/nginx.conf does at the
// edge, checking the token with secure_link: %[1]s the work folder, %[2]s
// the listen address, %[3]s the secret, %[4]s the outputs folder.
const playNginxConf = `worker_processes 1;
daemon off;
pid %[1]s/nginx.pid;
error_log stderr;
%[5]s
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path %[1]s/ng_body;
    proxy_temp_path %[1]s/ng_proxy;
    fastcgi_temp_path %[1]s/ng_fastcgi;
    uwsgi_temp_path %[1]s/ng_uwsgi;
    scgi_temp_path %[1]s/ng_scgi;
    types { application/vnd.apple.mpegurl m3u8; video/iso.segment m4s; }
    server {
        listen %[2]s;
        location ~ "^/play/(?<kid>[a-z0-9]{1,8})\.(?<link>[A-Za-z0-9_-]{22},[0-9]{1,12})/(?<vid>[a-z2-7]{16})/(?<file>.+)$" {
            secure_link $link;
            secure_link_md5 "$secure_link_expires:$vid:$kid:%[3]s";
            if ($secure_link = "") { return 403; }
            if ($secure_link = "0") { return 410; }
            add_header Cache-Control "public, max-age=31536000, immutable";
            alias %[4]s/$vid/$file;
        }
    }
}
`

// startNginx runs Debian's nginx with the config text in its own folder,
// pinned to cpus, and returns it with the pid of its one worker.
func startNginx(b *B, name, conf, cpus string) (*Proc, int, error) {
	dir := filepath.Join(b.Work, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, 0, err
	}
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		return nil, 0, err
	}
	bin := "/usr/sbin/nginx"
	if _, err := os.Stat(bin); err != nil {
		bin = "nginx"
	}
	p, err := b.Start(name, ProcOpts{CPUs: cpus}, bin, "-p", dir, "-e", "stderr", "-c", filepath.Join(dir, "nginx.conf"))
	if err != nil {
		return nil, 0, err
	}
	b.Defer(func() { p.StopWith(syscall.SIGQUIT) }) // SIGQUIT: graceful, before the SIGINT of Start's cleanup
	// The worker is the master's child.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		kids, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", p.PID(), p.PID()))
		if f := strings.Fields(string(kids)); len(f) > 0 {
			w, _ := strconv.Atoi(f[0])
			return p, w, nil
		}
		if p.Exited() {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, 0, fmt.Errorf("nginx started no worker: %s", p.Tail())
}

// nginxUser is the user directive nginx needs to read the work folder
// when run as root (its default user, nobody, may not).
func nginxUser() string {
	if os.Getuid() == 0 {
		return "user root;"
	}
	return ""
}

// startPlayNginx starts nginx on data's outputs, pinned to cpus (none:
// not pinned).
func startPlayNginx(b *B, data, name, cpus string) (playServer, error) {
	addr, err := localAddr()
	if err != nil {
		return playServer{}, err
	}
	dir := filepath.Join(b.Work, strings.ReplaceAll(strings.ReplaceAll(name, ",", ""), " ", "-"))
	conf := fmt.Sprintf(playNginxConf, dir, addr, playSecret, filepath.Join(data, "outputs"), nginxUser())
	p, worker, err := startNginx(b, filepath.Base(dir), conf, cpus)
	if err != nil {
		return playServer{}, err
	}
	if err := p.WaitHTTP("http://"+addr, "/", 10*time.Second); err != nil {
		return playServer{}, err
	}
	wrkCPUs := ""
	if cpus != "" {
		wrkCPUs = "1"
	}
	return playServer{name: name, url: p.URL, pid: worker, wrk: wrkCPUs}, nil
}

// get fetches url and returns its body and status.
func get(url string) ([]byte, int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return body, resp.StatusCode, err
}
