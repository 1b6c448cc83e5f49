package main

// reel's headline benchmarks, docs/benchmarks.md: ingest throughput of one
// large multipart upload against the least server that can receive one
// (`bench ref upload`), ingest memory (peak RSS after a large upload
// against after a small one), and the ladder of a 30 s 1080p30 clip
// against one hand-written ffmpeg command.

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func ingestBenchmark() benchmark {
	return benchmark{
		Name: "ingest", Doc: "benchmarks.md", Title: "Benchmarks",
		About: "upload throughput and memory against a minimal server, and the 1080p ladder against one ffmpeg",
		Runs:  3, QuickRuns: 2,
		Run: runIngest,
	}
}

// smallUpload is the size of the memory benchmark's baseline upload.
const smallUpload = 100 << 20

// randomFile writes size random bytes to path (not measured).
func randomFile(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// freeBytes returns the free space of the file system holding dir.
func freeBytes(dir string) int64 {
	var st syscall.Statfs_t
	if syscall.Statfs(dir, &st) != nil {
		return 0
	}
	return int64(st.Bavail) * st.Bsize
}

func runIngest(ctx context.Context, b *B, d *Doc) error {
	size, clipSeconds := int64(2<<30), 30
	if b.Quick {
		size, clipSeconds = 256<<20, 10
	}
	if need := 3*size + 1<<30; freeBytes(b.Work) < need {
		return fmt.Errorf("not enough free space under %s: %d MiB needed (3x the upload + 1 GiB)", b.Work, need>>20)
	}
	sizeLabel := fmt.Sprintf("%g GiB", float64(size)/(1<<30))
	big, small := filepath.Join(b.Work, "upload.bin"), filepath.Join(b.Work, "small.bin")
	logf("   generating the %s upload", sizeLabel)
	if err := randomFile(big, size); err != nil {
		return err
	}
	if err := randomFile(small, smallUpload); err != nil {
		return err
	}
	self := os.Getpid() // the bench process is the client: its CPU is the run's own

	// 1. Ingest throughput.
	startReel := func(name, workers string) (*Proc, error) {
		p, err := b.Start(name, ProcOpts{}, b.Reel, "serve", "--data", filepath.Join(b.Work, name),
			"--addr", "127.0.0.1:0", "--max-upload-size", "100GiB", "--workers", workers)
		if err != nil {
			return nil, err
		}
		return p, p.WaitAddr(30 * time.Second)
	}
	reel, err := startReel("reel-ingest", "0")
	if err != nil {
		return err
	}
	refDir := filepath.Join(b.Work, "ref-ingest")
	refCmd, err := refArgs("upload", "--dir", refDir)
	if err != nil {
		return err
	}
	ref, err := b.Start("ref-upload", ProcOpts{}, refCmd...)
	if err != nil {
		return err
	}
	if err := ref.WaitAddr(30 * time.Second); err != nil {
		return err
	}
	var reelUp, refUp, reelCPUGiB, refCPUGiB Sample
	upload := func(p *Proc, into *Sample, record bool) error {
		syscall.Sync() // no dirty pages of the run before
		m := b.Measure(false, p.PID(), self)
		v, took, err := Client{URL: p.URL}.Upload(ctx, big)
		if err != nil {
			return err
		}
		r := m.Stop(0)
		if p == reel {
			if v.Status != "queued" {
				return fmt.Errorf("reel's upload is %s, not queued", v.Status)
			}
			if err := (Client{URL: p.URL}).Delete(ctx, v.ID); err != nil {
				return err
			}
		} else {
			os.RemoveAll(refDir)
			os.MkdirAll(refDir, 0o755)
		}
		if record {
			b.Record(r)
			*into = append(*into, float64(size)/took.Seconds()/1e6)
			// The server's own CPU per GiB: what a busy machine moves least.
			if p == reel {
				reelCPUGiB = append(reelCPUGiB, r.CPU[0]/(float64(size)/(1<<30)))
			} else {
				refCPUGiB = append(refCPUGiB, r.CPU[0]/(float64(size)/(1<<30)))
			}
			logf("   %s: %.0f MB/s; other processes %.0f %% of the CPUs", p.Name, float64(size)/took.Seconds()/1e6, 100*r.OtherShare())
		}
		return nil
	}
	// One untimed upload to each first: the first large write of a run is
	// slower on this kind of disk whoever does it.
	if err := upload(reel, nil, false); err != nil {
		return err
	}
	if err := upload(ref, nil, false); err != nil {
		return err
	}
	for run := range b.RunCount {
		first, second := reel, ref
		if run%2 == 1 {
			first, second = ref, reel
		}
		for _, p := range []*Proc{first, second} {
			into := &reelUp
			if p == ref {
				into = &refUp
			}
			if err := upload(p, into, true); err != nil {
				return err
			}
		}
	}
	reel.Stop()
	ref.Stop()
	// The disk itself: the same bytes copied by dd and made durable.
	var dd Sample
	for range b.RunCount {
		syscall.Sync()
		w, _, err := runTimed(ctx, "", "dd", "if="+big, "of="+filepath.Join(b.Work, "dd.out"), "bs=4M", "conv=fsync", "status=none")
		if err != nil {
			return err
		}
		dd = append(dd, float64(size)/w.Seconds()/1e6)
		os.Remove(filepath.Join(b.Work, "dd.out"))
	}

	// 2. Ingest memory: a fresh reel per upload.
	var rssSmall, rssBig Sample
	for range b.RunCount {
		for _, f := range []string{small, big} {
			p, err := startReel("reel-mem", "0")
			if err != nil {
				return err
			}
			v, _, err := Client{URL: p.URL}.Upload(ctx, f)
			if err != nil {
				return err
			}
			kib, err := procStatus(p.PID(), "VmHWM")
			if err != nil {
				return err
			}
			if err := (Client{URL: p.URL}).Delete(ctx, v.ID); err != nil {
				return err
			}
			p.Stop()
			os.RemoveAll(filepath.Join(b.Work, "reel-mem"))
			if f == small {
				rssSmall = append(rssSmall, float64(kib)/1024)
			} else {
				rssBig = append(rssBig, float64(kib)/1024)
			}
		}
		logf("   peak RSS: %.1f MiB after 100 MiB, %.1f MiB after %s", rssSmall[len(rssSmall)-1], rssBig[len(rssBig)-1], sizeLabel)
	}
	os.Remove(big)

	// 3. Ladder.
	clip := filepath.Join(b.Work, "clip.mp4")
	clipCmd := clipArgs(clip, clipSeconds, "1920x1080")
	if err := makeClip(ctx, b, clipCmd); err != nil {
		return err
	}
	reel, err = startReel("reel-ladder", "1")
	if err != nil {
		return err
	}
	refOut := filepath.Join(b.Work, "ref-ladder")
	var reelWall, reelCPU, refWall, refCPU Sample
	var ladder string
	for run := range b.RunCount {
		for j := range 2 {
			if (run+j)%2 == 0 {
				res, err := transcodeOnce(ctx, b, reel, clip)
				if err != nil {
					return err
				}
				reelWall, reelCPU = append(reelWall, res.wall.Seconds()), append(reelCPU, res.cpu)
				ladder = res.ladder
				logf("   reel ladder: %.2f s wall, %.1f s CPU; other processes %.0f %% of the CPUs", res.wall.Seconds(), res.cpu, 100*res.reading.OtherShare())
				continue
			}
			os.RemoveAll(refOut)
			m := b.Measure(false)
			w, c, err := runTimed(ctx, "", refLadderArgs(clip, refOut, true, "")...)
			if err != nil {
				return err
			}
			r := b.Record(m.Stop(c))
			refWall, refCPU = append(refWall, w.Seconds()), append(refCPU, c)
			logf("   reference ladder: %.2f s wall, %.1f s CPU; other processes %.0f %% of the CPUs", w.Seconds(), c, 100*r.OtherShare())
		}
	}

	busy := b.Busy()
	ingest := Ratios(reelUp, refUp)
	growth := rssBig.Median() - rssSmall.Median()
	lw, lc := Ratios(reelWall, refWall), Ratios(reelCPU, refCPU)
	ladderVerdict := verdict(lw.Median() <= 1.05)
	if busy {
		ladderVerdict = "not judged: busy machine (" + ladderVerdict + " as measured)"
	}
	t := &Table{Header: []string{"benchmark", "reel", "reference", "reel / reference, per run", "target", ""}, Align: "lrrrll"}
	t.Add("ingest, "+sizeLabel+" multipart upload, MB/s", reelUp.Fig(0), refUp.Fig(0)+" (`bench ref upload`)", ingest.Fig(2), "≥ 0.90", verdict(ingest.Median() >= 0.9))
	t.Add("ingest, server CPU per GiB received, s", reelCPUGiB.Fig(2), refCPUGiB.Fig(2), Ratios(reelCPUGiB, refCPUGiB).Fig(2), "for scale", "")
	t.Add("ingest, disk durable write (dd, fsync), MB/s", "", dd.Fig(0), "", "for scale", "")
	t.Add("ingest, peak RSS after "+sizeLabel+", MiB", rssBig.Fig(1), rssSmall.Fig(1)+" (reel after 100 MiB)", fmt.Sprintf("%+.1f MiB (medians)", growth), "≤ +32 MiB", verdict(growth <= 32))
	t.Add(fmt.Sprintf("ladder, %d s 1080p30, wall, s", clipSeconds), reelWall.Fig(2), refWall.Fig(2)+" (one ffmpeg)", lw.Fig(3), "≤ 1.05", ladderVerdict)
	t.Add(fmt.Sprintf("ladder, %d s 1080p30, CPU (user+sys), s", clipSeconds), reelCPU.Fig(1), refCPU.Fig(1), lc.Fig(3), "for scale", "")
	d.P("Every figure is a ratio against a reference measured in the same run on the same machine and disk, so the",
		"ratios travel between machines better than the absolute numbers. MB/s are 10^6 bytes per second.")
	d.Table(t)
	if ladder != expectedLadder {
		d.P(fmt.Sprintf("**Ladder mismatch:** reel encoded `%s`, the reference `%s`; the ratio compares different work.", ladder, expectedLadder))
	}
	d.List("ingest, reel, in order: "+reelUp.Runs(0)+" MB/s; reference: "+refUp.Runs(0)+" MB/s; dd: "+dd.Runs(0)+" MB/s",
		"peak RSS, in order: after 100 MiB "+rssSmall.Runs(1)+" MiB; after "+sizeLabel+" "+rssBig.Runs(1)+" MiB",
		"ladder, reel wall "+reelWall.Runs(2)+" s, CPU "+reelCPU.Runs(1)+" s; reference wall "+refWall.Runs(2)+" s, CPU "+refCPU.Runs(1)+" s",
		"ladder encoded by reel: "+ladder)
	d.H("What is measured")
	d.P("**Ingest throughput.** One "+sizeLabel+" file of random bytes, uploaded by the bench process (Go's",
		"`mime/multipart` streaming the file through a pipe) as the part `file` over loopback, to reel (`--workers 0`,",
		"so nothing transcodes) and to `bench ref upload`, which does only `MultipartReader`, `NextPart` and",
		"`io.Copy` into a temp file on the same disk, then a rename. Time is to the 201. Dirty pages are flushed",
		"(`sync`) before each upload; the source file stays cached. Neither server calls fsync, so both can beat",
		"the disk's durable rate, which dd gives for scale. reel's stored original is deleted through the API",
		"between runs. One untimed upload to each server comes first: the first large write of a run is slower,",
		"whoever makes it.",
		"",
		"**Ingest memory.** VmHWM (peak RSS) from `/proc/PID/status` of a fresh reel right after it answered one",
		"upload: the large upload against a 100 MiB one, a fresh reel each. A flat difference means the upload is",
		"streamed, not buffered.",
		"",
		fmt.Sprintf("**Ladder.** A %d s 1920x1080 30 fps clip (testsrc2 and a sine tone, x264 ultrafast CRF 18, AAC).", clipSeconds),
		"reel (`--workers 1`) is timed from the upload's 201 to the first `GET /api/videos/{id}` that says `ready`",
		"(polled every 100 ms), so its figure includes the queue's pick-up, ffprobe, the storyboard, the poster,",
		"publishing and the database. The reference is one hand-written ffmpeg command for the same ladder with the",
		"same encoder settings and, like reel, the audio encoded once into its own rendition (a fair equivalent:",
		"it used to encode the audio into every rung, which reel no longer does). reel's CPU is the growth of its",
		"utime+stime+cutime+cstime (it waits for its ffmpeg children); the reference's is its rusage.")
	d.H("Commands")
	d.Code("sh", strings.Join([]string{
		"go run ./bench -only ingest            # -quick for a 256 MiB upload and a 10 s clip",
		"", "# inputs (untimed)", showCmd(b.Work, clipCmd), "",
		"# servers",
		"reel serve --data DIR --addr 127.0.0.1:0 --max-upload-size 100GiB --workers 0   # ingest; --workers 1 for the ladder",
		"bench ref upload --dir DIR",
		"dd if=upload.bin of=dd.out bs=4M conv=fsync status=none", "",
		"# ladder reference", showCmd(b.Work, refLadderArgs(clip, refOut, true, "")),
	}, "\n"))
	return nil
}
