package ffmpeg

import (
	"fmt"
	"strings"
)

// storyboardLabel names the storyboard branch's output in the graph.
const storyboardLabel = "sb"

// deinterlace is bwdif (better than yadif on motion and edges) with one
// frame out per frame in, deinterlacing every frame: the probe said the
// stream is interlaced, whatever each frame's flag says.
const deinterlace = "bwdif=mode=send_frame:parity=auto:deint=all"

// videoGraph returns the -filter_complex graph of a video source: its
// video decoded once, made progressive, constant-rate and SDR, then split
// into one scaled branch [vN] per rung and, if planned, the storyboard
// branch [sb]. ffmpeg's autorotate turns the decoded frames upright before
// the graph sees them, so sizes here are display sizes.
func videoGraph(plan *Plan, piece *Piece) string {
	var chain []string
	if plan.Deinterlace {
		// bwdif, one frame out per frame in: the frame rate stays and the
		// motion is smooth enough. It runs first, on the original fields:
		// dropping or repeating frames first would mix fields of
		// different frames.
		chain = append(chain, deinterlace)
	}
	// fps makes the timing constant (phones record variable frame rates,
	// high rates are halved) before the split, so it runs once for all
	// rungs, and before tone mapping, so that dropped frames cost nothing.
	chain = append(chain, "fps="+plan.FrameRate.String())
	if plan.ToneMap {
		chain = append(chain, toneMap(&plan.Probe.Video, plan.Rungs[len(plan.Rungs)-1]))
	}
	branches := len(plan.Rungs)
	if plan.Storyboard != nil {
		branches++
	}

	var b strings.Builder
	fmt.Fprintf(&b, "[0:%d]%s,split=%d", plan.Probe.Video.Index, strings.Join(chain, ","), branches)
	for i := range branches {
		fmt.Fprintf(&b, "[s%d]", i)
	}
	for i, r := range plan.Rungs {
		// setsar=1: square pixels, since the size already holds the display
		// aspect. format=yuv420p: 8-bit 4:2:0 is what High profile and
		// every player take, even from 10-bit or 4:4:4 sources.
		fmt.Fprintf(&b, ";[s%d]scale=%d:%d,setsar=1,format=yuv420p[v%d]", i, r.Width, r.Height, i)
	}
	if sb := plan.Storyboard; sb != nil {
		fmt.Fprintf(&b, ";[s%d]%s[%s]", len(plan.Rungs), sb.filter(piece), storyboardLabel)
	}
	return b.String()
}

// toneMap returns the chain that turns HDR (PQ or HLG, BT.2020) into 8-bit
// SDR BT.709: zscale to linear light (scaled straight to the top rung's
// size, so the float stages handle no more pixels than needed), the
// primaries converted, Hable's curve (tonemap) for the highlights, then
// back to BT.709's transfer and matrix. The source's colour description is
// given explicitly: zscale cannot guess it from untagged frames.
func toneMap(v *VideoStream, top Rung) string {
	tin := "smpte2084"
	if v.HDR() == "HLG" {
		tin = "arib-std-b67"
	}
	matrix := "bt2020nc"
	switch v.ColorSpace {
	case "bt2020c", "bt709", "bt470bg", "smpte170m":
		matrix = v.ColorSpace
	}
	primaries := "bt2020"
	switch v.ColorPrimaries {
	case "bt709", "smpte431", "smpte432":
		primaries = v.ColorPrimaries
	}
	rng := "tv"
	if v.ColorRange == "pc" {
		rng = "pc"
	}
	return fmt.Sprintf("zscale=w=%d:h=%d:tin=%s:min=%s:pin=%s:rin=%s:t=linear:npl=100,format=gbrpf32le,"+
		"zscale=p=bt709,tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,format=yuv420p",
		top.Width, top.Height, tin, matrix, primaries, rng)
}
