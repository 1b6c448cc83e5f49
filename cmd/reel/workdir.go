package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// claimWorkDir returns a folder of this process's own under base for its
// transcodes, and a func that frees it. Several processes may share one
// data dir (reel serve and reel worker on one machine): each works in
// base/proc-N, held by an exclusive flock on base/proc-N.lock for as long
// as the process lives. The folders of processes that are gone (their
// lock is free), and anything else left in base by a crash, are removed
// first; a live process's folder is never touched.
func claimWorkDir(base string) (dir string, free func(), err error) {
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", nil, err
	}
	// One process claims at a time, so that none sees another's lock file
	// between its creation and its locking.
	claim, err := os.OpenFile(filepath.Join(base, claimFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return "", nil, err
	}
	defer claim.Close() // and unlocked
	if err := syscall.Flock(int(claim.Fd()), syscall.LOCK_EX); err != nil {
		return "", nil, err
	}
	// The lock exists, and is held, before the folder does: a folder with
	// no lock beside it belongs to nobody.
	lock, err := os.CreateTemp(base, "proc-*.lock")
	if err != nil {
		return "", nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		os.Remove(lock.Name())
		return "", nil, err
	}
	dir = strings.TrimSuffix(lock.Name(), ".lock")
	free = func() {
		os.RemoveAll(dir)
		os.Remove(lock.Name())
		lock.Close()
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		free()
		return "", nil, err
	}
	if err := removeAbandoned(base, lock.Name()); err != nil {
		free()
		return "", nil, err
	}
	return dir, free, nil
}

// claimFile, in the work folder, serializes claims.
const claimFile = ".claim"

// removeAbandoned removes from base what no live process holds, mine
// excepted.
func removeAbandoned(base, mine string) error {
	entries, err := os.ReadDir(base)
	if err != nil {
		return err
	}
	for _, e := range entries {
		path := filepath.Join(base, e.Name())
		if path == mine || path+".lock" == mine || e.Name() == claimFile {
			continue
		}
		if strings.HasSuffix(e.Name(), ".lock") {
			if free, err := lockFree(path); err != nil {
				return err
			} else if free {
				if err := os.RemoveAll(strings.TrimSuffix(path, ".lock")); err != nil {
					return err
				}
				os.Remove(path)
			}
			continue
		}
		// A folder whose lock is gone; or, from reel before per-process
		// folders, a transcode's own folder.
		if _, err := os.Stat(path + ".lock"); errors.Is(err, fs.ErrNotExist) {
			if err := os.RemoveAll(path); err != nil {
				return err
			}
		}
	}
	return nil
}

// lockFree reports whether nobody holds the lock file at path. A lock
// removed meanwhile counts as held: its remover deals with it.
func lockFree(path string) (bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}
