//go:build !unix

package disk

import (
	"errors"
	"os"
)

// errLocked is tryLock's error for a file a live writer holds.
var errLocked = errors.New("locked by a live writer")

// lockExclusive is not available here: temp files are then told apart by
// age alone (removeAbandoned).
func lockExclusive(*os.File) error { return errors.ErrUnsupported }

func tryLock(*os.File) error { return errors.ErrUnsupported }
