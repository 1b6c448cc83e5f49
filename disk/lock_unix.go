//go:build unix

package disk

import (
	"errors"
	"os"
	"syscall"
)

// errLocked is tryLock's error for a file another open file holds locked.
var errLocked = errors.New("locked by a live writer")

// lockExclusive takes f's exclusive flock(2), waiting for it. It lasts
// until f is closed or its process exits, however it exits.
func lockExclusive(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}

// tryLock takes f's exclusive flock(2) if it is free, else fails with
// errLocked. Locks belong to open files, so a lock held through another
// open of the same file, even in this process, conflicts.
func tryLock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EWOULDBLOCK:
			return errLocked
		}
		return err
	}
}
