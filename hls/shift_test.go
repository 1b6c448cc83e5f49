package hls_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"reel/hls"
)

// segment returns a media segment with a version 0 sidx and a fragment
// whose tfdt (version 1) is at decode, both times in the same units.
func segment(ept uint32, decode uint64) []byte {
	sidx := binary.BigEndian.AppendUint32([]byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0x28, 0}, ept)
	sidx = append(sidx, make([]byte, 8)...)
	tfdt := binary.BigEndian.AppendUint64([]byte{1, 0, 0, 0}, decode)
	moof := mp4Box("moof", mp4Box("mfhd", make([]byte, 8)), mp4Box("traf", mp4Box("tfhd", make([]byte, 8)), mp4Box("tfdt", tfdt)))
	return bytes.Join([][]byte{mp4Box("styp", []byte("msdh")), mp4Box("sidx", sidx), moof, mp4Box("mdat", []byte("media"))}, nil)
}

func TestShiftTimes(t *testing.T) {
	seg := segment(307200, 305152)
	if err := hls.ShiftTimes(seg, 2048); err != nil {
		t.Fatal(err)
	}
	if want := segment(309248, 307200); !bytes.Equal(seg, want) {
		t.Errorf("shifted:\n%x\nwant\n%x", seg, want)
	}
	// Below zero, or past 32 bits of sidx: refused, seg unchanged.
	for _, delta := range []int64{-309249, 1 << 32} {
		before := bytes.Clone(seg)
		if err := hls.ShiftTimes(seg, delta); err == nil || !bytes.Equal(seg, before) {
			t.Errorf("delta %d: %v, changed %v", delta, err, !bytes.Equal(seg, before))
		}
	}
	if err := hls.ShiftTimes(mp4Box("moof", mp4Box("traf", mp4Box("tfhd", nil))), 1); err == nil {
		t.Error("fragment without tfdt: no error")
	}
}
