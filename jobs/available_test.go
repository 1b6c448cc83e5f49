package jobs

import (
	"context"
	"errors"
	"testing"
	"time"

	"reel"
)

func TestUntilAvailable(t *testing.T) {
	ctx := context.Background()
	gone := reel.Errorf(reel.EUNAVAILABLE, "gone")
	tries := 0
	err := untilAvailable(ctx, time.Minute, func() error {
		if tries++; tries < 3 {
			return gone
		}
		return nil
	})
	if err != nil || tries != 3 {
		t.Errorf("back on the third try: %v after %d tries", err, tries)
	}
	other := errors.New("bad row")
	tries = 0
	if err := untilAvailable(ctx, time.Minute, func() error { tries++; return other }); err != other || tries != 1 {
		t.Errorf("another error: %v after %d tries, want it at once", err, tries)
	}
	tries = 0
	if err := untilAvailable(ctx, time.Second, func() error { tries++; return gone }); err != gone || tries < 2 {
		t.Errorf("never back: %v after %d tries", err, tries)
	}
}
