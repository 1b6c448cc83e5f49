package main

// reel on S3, against the same versitygw (a real S3 server, posix backend
// on local disk): ingest of one large upload through reel against `bench
// ref s3put` putting the same file straight into the bucket; ingest
// memory; serving a transcoded clip's segments from reel's cache against
// nginx serving copies of the same files.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"reel/s3test"
)

func s3Benchmark() benchmark {
	return benchmark{
		Name: "s3", Title: "S3 benchmarks",
		About: "ingest into versitygw against a bare multipart upload, memory, and serving from S3 against nginx",
		Runs:  3, QuickRuns: 2,
		Run: runS3,
	}
}

const (
	s3PartUnit    = 8 << 20 // reel's --part-size: the pool's buffer size
	s3PartBuffers = 32      // reel's --part-buffers
	s3InFlight    = 2       // parts of one upload in flight in reel (s3.Options default)
	s3Concurrent  = 8       // uploads at once in the memory benchmark
)

func runS3(ctx context.Context, b *B, d *Doc) error {
	size, clipSeconds := int64(4<<30), 60
	if b.Quick {
		size, clipSeconds = 512<<20, 20
	}
	conc := size / s3Concurrent
	if need := 3*size + conc + smallUpload + 1<<30; freeBytes(b.Work) < need {
		return fmt.Errorf("not enough free space under %s: %d MiB needed", b.Work, need>>20)
	}
	sizeLabel := fmt.Sprintf("%g GiB", float64(size)/(1<<30))
	concLabel := fmt.Sprintf("%d × %d MiB", s3Concurrent, conc>>20)
	// The part size reel uses for the large upload: the declared length
	// (the file plus a few hundred bytes of form) planned into at most
	// 9,500 parts, in whole pool buffers (s3.PartSize).
	part := max(int64(s3PartUnit), (size+1024+9499)/9500)
	part = (part + s3PartUnit - 1) / s3PartUnit * s3PartUnit
	rssBound := float64(part>>20)*(s3InFlight+1) + 8
	concBound := float64(s3PartUnit>>20)*float64(min(s3Concurrent*(s3InFlight+1), s3PartBuffers)) + 8

	vgw, err := s3test.Launch(filepath.Join(b.Work, "versitygw"))
	if err != nil {
		return err
	}
	defer vgw.Close()
	const origBucket, outBucket = "reel-originals", "reel-outputs"
	for _, bk := range []string{origBucket, outBucket} {
		if _, err := vgw.CreateBucket(ctx, bk); err != nil {
			return err
		}
	}
	big, small, concFile := filepath.Join(b.Work, "upload.bin"), filepath.Join(b.Work, "small.bin"), filepath.Join(b.Work, "concurrent.bin")
	logf("   generating the %s upload", sizeLabel)
	for f, n := range map[string]int64{big: size, small: smallUpload, concFile: conc} {
		if err := randomFile(f, n); err != nil {
			return err
		}
	}
	startReel := func(data, workers, cpus string) (*Proc, error) {
		p, err := b.Start("reel", ProcOpts{CPUs: cpus, Env: vgw.Env()}, b.Reel, "serve", "--data", data,
			"--addr", "127.0.0.1:0", "--workers", workers,
			"--originals", vgw.URL(origBucket, ""), "--outputs", vgw.URL(outBucket, ""),
			"--part-size", fmt.Sprint(s3PartUnit), "--part-buffers", fmt.Sprint(s3PartBuffers),
			"--cache-size", "1GiB", "--max-upload-size", "100GiB")
		if err != nil {
			return nil, err
		}
		return p, p.WaitAddr(60 * time.Second)
	}
	self := os.Getpid()

	// 1. S3 ingest, and the large upload's peak RSS.
	var reelMBs, refMBs, reelChain, refChain, rssBig Sample
	gib := float64(size) / (1 << 30)
	s3put, err := refArgs("s3put", "--endpoint", vgw.Endpoint, "--bucket", origBucket, "--key", "s3ref/upload.bin",
		"--part-size", fmt.Sprint(part), "--parts-in-flight", fmt.Sprint(s3InFlight), "--delete", big)
	if err != nil {
		return err
	}
	ingestReel := func() error {
		data := filepath.Join(b.Work, "reel-ingest")
		p, err := startReel(data, "0", "")
		if err != nil {
			return err
		}
		syscall.Sync() // no dirty pages of the run before
		m := b.Measure(false, p.PID(), vgw.PID(), self)
		v, took, err := Client{URL: p.URL}.Upload(ctx, big)
		if err != nil {
			return err
		}
		r := b.Record(m.Stop(0))
		kib, err := procStatus(p.PID(), "VmHWM")
		if err != nil {
			return err
		}
		if err := (Client{URL: p.URL}).Delete(ctx, v.ID); err != nil {
			return err
		}
		p.Stop()
		os.RemoveAll(data)
		reelMBs = append(reelMBs, float64(size)/took.Seconds()/1e6)
		reelChain = append(reelChain, (r.CPU[0]+r.CPU[1]+r.CPU[2])/gib)
		rssBig = append(rssBig, float64(kib)/1024)
		logf("   reel: %.0f MB/s; CPU reel %.1f s, versitygw %.1f s, client %.1f s; peak RSS %.1f MiB; other processes %.0f %% of the CPUs",
			reelMBs[len(reelMBs)-1], r.CPU[0], r.CPU[1], r.CPU[2], rssBig[len(rssBig)-1], 100*r.OtherShare())
		return nil
	}
	ingestRef := func() error {
		syscall.Sync() // no dirty pages of the run before
		m := b.Measure(false, vgw.PID())
		out, err := execOutputEnv(ctx, vgw.Env(), s3put...)
		if err != nil {
			return err
		}
		var n, parts int64
		var secs float64
		if _, err := fmt.Sscanf(strings.TrimSpace(out.stdout), "bytes=%d parts=%d seconds=%g", &n, &parts, &secs); err != nil {
			return fmt.Errorf("s3put printed %q: %w", out.stdout, err)
		}
		r := b.Record(m.Stop(out.cpu))
		refMBs = append(refMBs, float64(size)/secs/1e6)
		refChain = append(refChain, (out.cpu+r.CPU[0])/gib)
		logf("   s3put: %.0f MB/s; CPU s3put %.1f s, versitygw %.1f s; other processes %.0f %% of the CPUs",
			refMBs[len(refMBs)-1], out.cpu, r.CPU[0], 100*r.OtherShare())
		return nil
	}
	for run := range b.RunCount {
		// Alternate who goes first, so neither always follows the other's writeback.
		steps := []func() error{ingestReel, ingestRef}
		if run%2 == 1 {
			steps[0], steps[1] = steps[1], steps[0]
		}
		for _, f := range steps {
			if err := f(); err != nil {
				return err
			}
		}
	}

	// 2. Memory: fresh reels, idle, after 100 MiB, after concurrent uploads.
	var rssIdle, rssSmall, rssConc, concMBs Sample
	for range b.RunCount {
		data := filepath.Join(b.Work, "reel-mem")
		p, err := startReel(data, "0", "")
		if err != nil {
			return err
		}
		kib, _ := procStatus(p.PID(), "VmHWM")
		rssIdle = append(rssIdle, float64(kib)/1024)
		c := Client{URL: p.URL}
		v, _, err := c.Upload(ctx, small)
		if err != nil {
			return err
		}
		kib, _ = procStatus(p.PID(), "VmHWM")
		rssSmall = append(rssSmall, float64(kib)/1024)
		c.Delete(ctx, v.ID)
		p.Stop()
		os.RemoveAll(data)

		if p, err = startReel(data, "0", ""); err != nil {
			return err
		}
		c = Client{URL: p.URL}
		var wg sync.WaitGroup
		errs := make([]error, s3Concurrent)
		ids := make([]string, s3Concurrent)
		start := time.Now()
		for j := range s3Concurrent {
			wg.Go(func() {
				v, _, err := c.Upload(ctx, concFile)
				ids[j], errs[j] = v.ID, err
			})
		}
		wg.Wait()
		took := time.Since(start)
		kib, _ = procStatus(p.PID(), "VmHWM")
		for j := range s3Concurrent {
			if errs[j] != nil {
				return fmt.Errorf("concurrent upload %d: %w", j, errs[j])
			}
			c.Delete(ctx, ids[j])
		}
		p.Stop()
		os.RemoveAll(data)
		rssConc = append(rssConc, float64(kib)/1024)
		concMBs = append(concMBs, float64(conc*s3Concurrent)/took.Seconds()/1e6)
		logf("   peak RSS: idle %.1f MiB, 100 MiB %.1f MiB, %s at once %.1f MiB", rssIdle[len(rssIdle)-1],
			rssSmall[len(rssSmall)-1], concLabel, rssConc[len(rssConc)-1])
	}
	os.Remove(big)

	// 3. Serving from S3, cache hit.
	serve, err := s3Serving(ctx, b, vgw, startReel, clipSeconds, outBucket)
	if err != nil {
		return err
	}

	busy := b.Busy()
	ingest := Ratios(reelMBs, refMBs)
	growth, concGrowth := rssBig.Median()-rssSmall.Median(), rssConc.Median()-rssSmall.Median()
	sr := Ratios(serve.reelMBs, serve.ngxMBs)
	serveVerdict := verdict(sr.Median() >= 0.8)
	if busy {
		serveVerdict = "not judged: busy machine (" + serveVerdict + " as measured)"
	}
	t := &Table{Header: []string{"benchmark", "reel", "reference", "ratio, per run", "target", ""}, Align: "lrrrll"}
	t.Add(fmt.Sprintf("S3 ingest, %s upload, %d MiB parts, MB/s", sizeLabel, part>>20), reelMBs.Fig(0)+" (client → POST /api/videos → versitygw)",
		refMBs.Fig(0)+" (s3put → versitygw)", ingest.Fig(2), "≥ 0.90", verdict(ingest.Median() >= 0.9))
	t.Add("S3 ingest, CPU per GiB of the whole chain, s", reelChain.Fig(2)+" (client + reel + versitygw)", refChain.Fig(2)+" (s3put + versitygw)",
		Ratios(refChain, reelChain).Fig(2), "for scale", "")
	t.Add("peak RSS, "+sizeLabel+" upload, MiB", rssBig.Fig(1), rssSmall.Fig(1)+" (reel, 100 MiB upload)", fmt.Sprintf("%+.1f MiB (medians)", growth),
		fmt.Sprintf("≤ +%.0f MiB", rssBound), verdict(growth <= rssBound))
	t.Add("peak RSS, "+concLabel+" at once, MiB", rssConc.Fig(1), rssSmall.Fig(1)+" (reel, 100 MiB upload)", fmt.Sprintf("%+.1f MiB (medians)", concGrowth),
		fmt.Sprintf("≤ +%.0f MiB", concBound), verdict(concGrowth <= concBound))
	t.Add(fmt.Sprintf("serving from S3, cache hit, %d segments of %.2f MiB avg, MB/s", serve.segments, serve.meanMiB),
		serve.reelMBs.Fig(0)+" ("+serve.reelRPS.Fig(0)+" req/s)", serve.ngxMBs.Fig(0)+" ("+serve.ngxRPS.Fig(0)+" req/s, nginx)", sr.Fig(2), "≥ 0.80", serveVerdict)
	t.Add("serving, server CPU per GB sent, s", serve.reelCPU.Fig(2), serve.ngxCPU.Fig(2)+" (nginx)", Ratios(serve.ngxCPU, serve.reelCPU).Fig(2), "for scale", "")
	d.Table(t)
	d.List("peak RSS of a fresh reel, idle: "+rssIdle.Fig(1)+" MiB; "+concLabel+" at once: "+concMBs.Fig(0)+" MB/s in all",
		"serving latency p99, reel: "+serve.reelP99.Fig(1)+" ms; nginx: "+serve.ngxP99.Fig(1)+" ms")
	d.H("What is measured")
	d.P(fmt.Sprintf("**S3 ingest.** One %s file of random bytes. reel (`--workers 0`; originals and outputs in two versitygw", sizeLabel),
		"buckets) receives it from the bench process as the multipart part `file` over loopback and streams it into a",
		fmt.Sprintf("multipart upload: %d MiB parts (from the declared length, `max(8 MiB, ceil(length / 9500))` in whole pool", part>>20),
		fmt.Sprintf("buffers), %d parts in flight while the next fills. Its time is to the 201. The reference, `bench ref s3put`,", s3InFlight),
		"reads the same file sequentially and uploads it into the same bucket with the same SDK settings, part size and",
		"parts in flight; its time runs from opening the file to CompleteMultipartUpload's answer. A fresh reel each run;",
		"the object is deleted after each run; `sync` before each. CPU is each process's utime+stime from /proc",
		"(s3put's from rusage); with 2 CPUs shared by client, reel and versitygw, throughput follows the CPU the whole",
		"chain spends per byte, hence the CPU row.",
		"",
		fmt.Sprintf("**Ingest memory.** VmHWM of a fresh reel right after it answered: the %s upload (the ingest runs), %d", sizeLabel, s3Concurrent),
		fmt.Sprintf("concurrent uploads of %d MiB, and one 100 MiB upload as the baseline. One upload holds at most part size ×", conc>>20),
		fmt.Sprintf("(parts in flight + 1) of part buffers, plus 8 MiB of slack: +%.0f MiB; %d uploads at most %d buffers of 8 MiB", rssBound, s3Concurrent, min(s3Concurrent*(s3InFlight+1), s3PartBuffers)),
		fmt.Sprintf("(the pool of `--part-buffers %d` caps the process), plus 8 MiB: +%.0f MiB. Peak RSS also holds garbage not yet", s3PartBuffers, concBound),
		"collected (GOGC=100).",
		"",
		fmt.Sprintf("**Serving from S3, hit path.** A %d s 1280x720 30 fps clip (testsrc2 with noise, so segments are as large as", clipSeconds),
		"real footage makes them) transcoded through reel into versitygw. reel is restarted on the same data pinned to",
		"CPU 0 and each segment fetched once through its signed URL (filling reel's disk cache, and the copy nginx",
		"serves). nginx (`worker_processes 1`, `sendfile on`, `tcp_nopush on`) serves those copies from a local folder under",
		"the same URL paths, also on CPU 0. wrk on CPU 1 rotates over the same paths in the same order (16",
		"connections); both servers get 2 s of warm-up first. reel checks the token on every request and adds its",
		"CORS and caching headers; nginx does neither.")
	return nil
}

// s3Serve holds the serving part's figures.
type s3Serve struct {
	segments                           int
	meanMiB                            float64
	reelRPS, reelMBs, reelCPU, reelP99 Sample
	ngxRPS, ngxMBs, ngxCPU, ngxP99     Sample
}

// s3Serving transcodes a clip through reel into versitygw, then serves its
// segments from reel (cache hit) and from nginx, interleaved.
func s3Serving(ctx context.Context, b *B, vgw *s3test.Server, startReel func(data, workers, cpus string) (*Proc, error),
	clipSeconds int, outBucket string) (s3Serve, error) {
	var res s3Serve
	clip := filepath.Join(b.Work, "clip.mp4")
	clipCmd := []string{"ffmpeg", "-nostdin", "-y", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30,noise=alls=10:allf=t",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", fmt.Sprint(clipSeconds), "-map", "0:v", "-map", "1:a",
		"-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart", clip}
	if err := makeClip(ctx, b, clipCmd); err != nil {
		return res, err
	}
	data := filepath.Join(b.Work, "reel-serve")
	p, err := startReel(data, "1", "")
	if err != nil {
		return res, err
	}
	c := Client{URL: p.URL}
	v, _, err := c.Upload(ctx, clip)
	if err != nil {
		return res, err
	}
	if v, err = c.WaitReady(ctx, v.ID, 500*time.Millisecond, 30*time.Minute, nil); err != nil {
		return res, err
	}
	p.Stop()
	// The server under test again, alone on CPU 0, on the same data.
	if p, err = startReel(data, "0", "0"); err != nil {
		return res, err
	}
	master := v.Playback.URL
	base := master[strings.Index(master[len("http://"):], "/")+len("http://"):]
	base = strings.TrimSuffix(base, "master.m3u8")
	body, code, err := get(p.URL + base + "master.m3u8")
	if err != nil || code != 200 {
		return res, fmt.Errorf("master playlist: %d %v", code, err)
	}
	var paths []string
	for _, variant := range uris(string(body)) {
		dir := ""
		if i := strings.LastIndex(variant, "/"); i >= 0 {
			dir = variant[:i+1]
		}
		pl, code, err := get(p.URL + base + variant)
		if err != nil || code != 200 {
			return res, fmt.Errorf("playlist %s: %d %v", variant, code, err)
		}
		for _, seg := range uris(string(pl)) {
			paths = append(paths, base+dir+seg)
		}
	}
	if len(paths) == 0 {
		return res, fmt.Errorf("no segments under %smaster.m3u8", base)
	}
	// nginx's copy: the same files under the same URL paths, fetched
	// through reel, which fills reel's cache too.
	www := filepath.Join(b.Work, "www")
	var total int
	for _, path := range paths {
		seg, code, err := get(p.URL + path)
		if err != nil || code != 200 {
			return res, fmt.Errorf("segment %s: %d %v", path, code, err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(www, path)), 0o755)
		if err := os.WriteFile(filepath.Join(www, path), seg, 0o644); err != nil {
			return res, err
		}
		total += len(seg)
	}
	// What reel served is what the transcode stored.
	first := strings.TrimPrefix(paths[0], base)
	stored, err := os.ReadFile(filepath.Join(vgw.Dir, outBucket, v.ID, first))
	if err != nil {
		return res, err
	}
	if served, _ := os.ReadFile(filepath.Join(www, paths[0])); string(served) != string(stored) {
		return res, fmt.Errorf("segment %s served by reel differs from the object in versitygw", first)
	}
	res.segments, res.meanMiB = len(paths), float64(total)/float64(len(paths))/(1<<20)
	pathsFile := filepath.Join(b.Work, "paths.txt")
	if err := os.WriteFile(pathsFile, []byte(strings.Join(paths, "\n")+"\n"), 0o644); err != nil {
		return res, err
	}
	addr, err := localAddr()
	if err != nil {
		return res, err
	}
	dir := filepath.Join(b.Work, "nginx-s3")
	conf := fmt.Sprintf(`daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log stderr warn;
%[4]s
events { worker_connections 1024; }
http {
    access_log off;
    # As Debian's stock nginx.conf serves static files.
    sendfile on;
    tcp_nopush on;
    types { video/iso.segment m4s; video/mp4 mp4; }
    client_body_temp_path %[1]s/tmp;
    proxy_temp_path %[1]s/tmp;
    fastcgi_temp_path %[1]s/tmp;
    uwsgi_temp_path %[1]s/tmp;
    scgi_temp_path %[1]s/tmp;
    server {
        listen %[2]s;
        root %[3]s;
    }
}
`, dir, addr, www, nginxUser())
	ngx, worker, err := startNginx(b, "nginx-s3", conf, "0")
	if err != nil {
		return res, err
	}
	if err := ngx.WaitHTTP("http://"+addr, paths[0], 10*time.Second); err != nil {
		return res, err
	}
	one := func(url string, pid int, d time.Duration) (WrkResult, Reading, error) {
		m := b.Measure(false, pid)
		w, err := b.RunWrk(ctx, Wrk{URL: url, Duration: d, CPUs: "1", Script: wrkRotate, Env: []string{"BENCH_PATHS=" + pathsFile}})
		if err != nil {
			return w, Reading{}, err
		}
		return w, m.Stop(w.CPU), nil
	}
	for _, s := range []struct {
		url string
		pid int
	}{{p.URL, p.PID()}, {ngx.URL, worker}} {
		if _, _, err := one(s.url, s.pid, 2*time.Second); err != nil {
			return res, err
		}
	}
	secs := 10 * time.Second
	if b.Quick {
		secs = 5 * time.Second
	}
	for run := range b.RunCount {
		for j := range 2 {
			isReel := (run+j)%2 == 0
			url, pid := ngx.URL, worker
			if isReel {
				url, pid = p.URL, p.PID()
			}
			w, r, err := one(url, pid, secs)
			if err != nil {
				return res, err
			}
			b.Record(r)
			cpuGB := r.CPU[0] / (float64(w.Bytes) / 1e9)
			p99 := float64(w.P99) / 1e6
			if isReel {
				res.reelRPS, res.reelMBs = append(res.reelRPS, w.RPS()), append(res.reelMBs, w.MBps())
				res.reelCPU, res.reelP99 = append(res.reelCPU, cpuGB), append(res.reelP99, p99)
			} else {
				res.ngxRPS, res.ngxMBs = append(res.ngxRPS, w.RPS()), append(res.ngxMBs, w.MBps())
				res.ngxCPU, res.ngxP99 = append(res.ngxCPU, cpuGB), append(res.ngxP99, p99)
			}
			logf("   serving, %s: %.0f req/s, %.0f MB/s; server CPU %.1f s; other processes %.0f %% of the CPUs",
				map[bool]string{true: "reel", false: "nginx"}[isReel], w.RPS(), w.MBps(), r.CPU[0], 100*r.OtherShare())
		}
	}
	return res, nil
}

// uris returns a playlist's URI lines.
func uris(playlist string) []string {
	var out []string
	for _, line := range strings.Split(playlist, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}
