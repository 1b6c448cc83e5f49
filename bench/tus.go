package main

// tus uploads into S3: reel's tus endpoint (/api/uploads/) into versitygw
// against tusd v2.10.0 (the reference tus server, its s3store) into the
// same versitygw, same S3 part size, same client (`reel upload`, same
// chunk size), a fresh server per run, the two alternating.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"reel/s3test"
)

func tusBenchmark() benchmark {
	return benchmark{
		Name: "tus", Title: "Benchmark: tus uploads into S3, reel vs tusd",
		About: "resumable uploads into versitygw through reel's tus endpoint against tusd's s3store",
		Runs:  3, QuickRuns: 2,
		Run: runTus,
	}
}

// tusdModule is the reference tus server, installed with go install if
// missing.
const tusdModule = "github.com/tus/tusd/v2/cmd/tusd@v2.10.0"

// goBinary finds a Go-installed program on PATH, in GOBIN or GOPATH/bin,
// and installs module when it is missing.
func goBinary(ctx context.Context, name, module string) (string, error) {
	find := func() string {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		out, _ := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		var dirs []string
		if len(lines) > 0 && lines[0] != "" {
			dirs = append(dirs, lines[0])
		}
		if len(lines) > 1 && lines[1] != "" {
			dirs = append(dirs, filepath.Join(filepath.SplitList(lines[1])[0], "bin"))
		}
		for _, d := range dirs {
			if _, err := os.Stat(filepath.Join(d, name)); err == nil {
				return filepath.Join(d, name)
			}
		}
		return ""
	}
	if p := find(); p != "" {
		return p, nil
	}
	logf("   installing %s", module)
	if out, err := exec.CommandContext(ctx, "go", "install", module).CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s: %w: %s", module, err, out)
	}
	if p := find(); p != "" {
		return p, nil
	}
	return "", errors.New(name + " not found after go install")
}

func runTus(ctx context.Context, b *B, d *Doc) error {
	sizeMiB := int64(1024)
	if b.Quick {
		sizeMiB = 256
	}
	const part, chunk = 8 << 20, 64 << 20
	tusd, err := goBinary(ctx, "tusd", tusdModule)
	if err != nil {
		return err
	}
	vgw, err := s3test.Launch(filepath.Join(b.Work, "versitygw"))
	if err != nil {
		return err
	}
	defer vgw.Close()
	const bucket = "tus-bench"
	if _, err := vgw.CreateBucket(ctx, bucket); err != nil {
		return err
	}
	// tusd's SDK would send CRC32 checksums that S3 compatibles may refuse:
	// "when required" for both, as reel does itself.
	env := append(vgw.Env(), "AWS_REQUEST_CHECKSUM_CALCULATION=when_required", "AWS_RESPONSE_CHECKSUM_VALIDATION=when_required")
	file := filepath.Join(b.Work, "upload.bin")
	logf("   generating %d MiB of random bytes", sizeMiB)
	if err := randomFile(file, sizeMiB<<20); err != nil {
		return err
	}
	start := func(name string) (*Proc, error) {
		addr, err := localAddr()
		if err != nil {
			return nil, err
		}
		host, port, _ := strings.Cut(addr, ":")
		var args []string
		opts := ProcOpts{Env: env}
		switch name {
		case "reel":
			data := filepath.Join(b.Work, "reel-data")
			os.RemoveAll(data)
			args = []string{b.Reel, "serve", "--data", data, "--addr", addr, "--workers", "0",
				"--originals", vgw.URL(bucket, "reel"), "--part-size", fmt.Sprint(part),
				"--max-upload-size", "100GiB", "--log-level", "warn"}
		case "tusd":
			tmp := filepath.Join(b.Work, "tusd-tmp")
			os.RemoveAll(tmp)
			os.MkdirAll(tmp, 0o755)
			// Same path as reel's, so the same client talks to both.
			opts.Env = append(opts.Env, "TMPDIR="+tmp)
			args = []string{tusd, "-host", host, "-port", port, "-base-path", "/api/uploads/",
				"-s3-bucket", bucket, "-s3-object-prefix", "tusd", "-s3-endpoint", vgw.Endpoint,
				"-s3-part-size", fmt.Sprint(part), "-disable-download", "-log-format", "text", "-verbose=false"}
		}
		p, err := b.Start(name, opts, args...)
		if err != nil {
			return nil, err
		}
		return p, p.WaitHTTP("http://"+addr, "/api/uploads/", 30*time.Second)
	}
	mbs, cpu, rss, disk := map[string]Sample{}, map[string]Sample{}, map[string]Sample{}, map[string]Sample{}
	gib := float64(sizeMiB) / 1024
	for run := range b.RunCount {
		order := []string{"reel", "tusd"}
		if run%2 == 1 {
			order = []string{"tusd", "reel"}
		}
		for _, name := range order {
			p, err := start(name)
			if err != nil {
				return err
			}
			w0, _ := procWriteBytes(p.PID())
			m := b.Measure(false, p.PID(), vgw.PID())
			w, c, err := runTimed(ctx, "", b.Reel, "upload", "--server", p.URL, "--chunk-size", fmt.Sprint(chunk),
				"--state", filepath.Join(b.Work, fmt.Sprintf("state-%s-%d", name, run)), file)
			if err != nil {
				return fmt.Errorf("%s: %w (server: %s)", name, err, p.Tail())
			}
			r := b.Record(m.Stop(c))
			w1, _ := procWriteBytes(p.PID())
			kib, _ := procStatus(p.PID(), "VmHWM")
			p.Stop()
			mbs[name] = append(mbs[name], float64(sizeMiB<<20)/w.Seconds()/1e6)
			cpu[name] = append(cpu[name], r.CPU[0]/gib)
			rss[name] = append(rss[name], float64(kib)/1024)
			disk[name] = append(disk[name], float64(w1-w0)/(1<<20))
			logf("   %s: %.1f MB/s, %.2f CPU s/GiB, peak RSS %.1f MiB, wrote %.1f MiB to disk; other processes %.0f %% of the CPUs",
				name, mbs[name][len(mbs[name])-1], cpu[name][len(cpu[name])-1], rss[name][len(rss[name])-1],
				disk[name][len(disk[name])-1], 100*r.OtherShare())
			// Room for the next run.
			entries, _ := os.ReadDir(filepath.Join(vgw.Dir, bucket))
			for _, e := range entries {
				os.RemoveAll(filepath.Join(vgw.Dir, bucket, e.Name()))
			}
		}
	}
	d.P(fmt.Sprintf("One %d MiB file of random bytes per run, uploaded by `reel upload --chunk-size 64MiB` (one PATCH per", sizeMiB),
		"chunk, each with `Upload-Checksum: sha256`) into versitygw v1.8.0 (posix backend, local disk), S3 part size",
		"8 MiB for both servers: reel `--part-size`, tusd `-s3-part-size`. A fresh server per run, the two alternating.")
	t := &Table{Header: []string{"measure", "reel", "tusd v2.10.0", "reel / tusd, per run", "runs (reel / tusd)"}, Align: "lrrrl"}
	row := func(label string, m map[string]Sample, digits int) {
		t.Add(label, m["reel"].Fig(digits), m["tusd"].Fig(digits), Ratios(m["reel"], m["tusd"]).Fig(2),
			m["reel"].Runs(digits)+" / "+m["tusd"].Runs(digits))
	}
	row("throughput, MB/s", mbs, 1)
	row("server CPU, s per GiB", cpu, 2)
	row("server peak RSS, MiB", rss, 1)
	row("server writes to local disk, MiB", disk, 1)
	d.Table(t)
	d.P("Disk writes are the server process's `write_bytes` (/proc/PID/io): tusd's s3store spools each part to a",
		"temp file before sending it; reel sends parts from memory (its part pool), so it writes only its SQLite",
		"database. Throughput includes the client's sha256 of every chunk, the same for both servers. tusd runs",
		"with its defaults otherwise (it hashes each part with MD5 and SHA-256 for S3; reel's SDK hashes each part",
		"with SHA-256 for SigV4) and up to 10 parts in flight (`-s3-concurrent-part-uploads`), where reel sends 2 at",
		"a time from its pool. The file is read from the page cache; versitygw shares the 2 cores with client and",
		"server, so the client's and versitygw's CPU are the run's own, not \"other processes\".")
	return nil
}
