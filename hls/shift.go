package hls

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ShiftTimes moves the fMP4 media segment seg, of one track, by delta units
// of the track's timescale on the timeline, in place and without touching
// its media: delta is added to the decode time of every fragment (tfdt)
// and to the earliest presentation time of every segment index (sidx,
// whose timescale ffmpeg makes the track's). It fails, leaving seg
// unchanged, if a time would be negative or overflow its field.
func ShiftTimes(seg []byte, delta int64) error {
	type field struct {
		b    []byte // the bytes of the time
		wide bool   // 64 bits, else 32
	}
	var fields []field
	for _, top := range boxes(seg) {
		switch top.typ {
		case "sidx":
			// version, flags, reference_ID, timescale, then
			// earliest_presentation_time.
			if len(top.body) < 16 {
				return errors.New("hls: short sidx box")
			}
			if top.body[0] == 0 {
				fields = append(fields, field{top.body[12:16], false})
			} else if len(top.body) >= 20 {
				fields = append(fields, field{top.body[12:20], true})
			} else {
				return errors.New("hls: short sidx box")
			}
		case "moof":
			for _, traf := range boxes(top.body) {
				if traf.typ != "traf" {
					continue
				}
				tfdt, ok := findBox(traf.body, "tfdt")
				switch {
				case !ok || len(tfdt) < 8:
					return errors.New("hls: fragment without tfdt")
				case tfdt[0] == 0:
					fields = append(fields, field{tfdt[4:8], false})
				case len(tfdt) >= 12:
					fields = append(fields, field{tfdt[4:12], true})
				default:
					return errors.New("hls: short tfdt box")
				}
			}
		}
	}
	values := make([]uint64, len(fields))
	for i, f := range fields {
		var v uint64
		if f.wide {
			v = binary.BigEndian.Uint64(f.b)
		} else {
			v = uint64(binary.BigEndian.Uint32(f.b))
		}
		switch {
		case delta < 0 && v < uint64(-delta):
			return fmt.Errorf("hls: time %d shifted by %d is negative", v, delta)
		case delta > 0 && (v > math.MaxInt64-uint64(delta) || !f.wide && v+uint64(delta) > math.MaxUint32):
			return fmt.Errorf("hls: time %d shifted by %d overflows", v, delta)
		}
		values[i] = uint64(int64(v) + delta)
	}
	for i, f := range fields {
		if f.wide {
			binary.BigEndian.PutUint64(f.b, values[i])
		} else {
			binary.BigEndian.PutUint32(f.b, uint32(values[i]))
		}
	}
	return nil
}
