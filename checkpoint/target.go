package checkpoint

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// maxLinks bounds a chain of symbolic links, as Linux does (ELOOP after 40).
const maxLinks = 40

// Check reports, without writing the checkpoint, why a Save to path would fail: a path
// that names a folder, a device, a FIFO or another non-regular file (through its links), an
// immutable or append-only file (which a rename cannot replace), a missing folder, or a
// temporary file that cannot be made — the very file Save would make, created and removed
// (so an unwritable folder and a name too long for it are found). Errors do not name path.
func Check(path string) error {
	_, err := check(path)
	return err
}

// check is Check, returning path with its links resolved.
func check(path string) (string, error) {
	file, err := resolve(path)
	if err != nil {
		return "", err
	}
	dir, base := split(file)
	if base == "" || base == "." || base == ".." {
		return "", errors.New("is a directory")
	}
	st, err := os.Stat(file)
	switch {
	case err == nil && !st.Mode().IsRegular():
		return "", notRegular(st.Mode())
	case err == nil:
		if err := checkReplaceable(file); err != nil {
			return "", err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return "", pathless(err)
	}
	st, err = os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("folder %s does not exist", show(dir))
	case err != nil:
		return "", fmt.Errorf("folder %s: %w", show(dir), pathless(err))
	case !st.IsDir():
		return "", fmt.Errorf("%s is not a folder", show(dir))
	}
	f, err := createTemp(file, 0o600)
	if err != nil {
		return "", fmt.Errorf("cannot create its temporary file .%s-NNNNNNNNNN.tmp in %s: %w", show(base), show(dir), pathless(err))
	}
	f.Close()
	// Gone already means a run holding the lock removed it as stale (removeStaleTemps).
	if err := os.Remove(f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("cannot remove its temporary file: %w", err)
	}
	return file, nil
}

// resolve follows path's symbolic links to the file they name, which need not exist (a
// dangling link names the file a save creates). A relative link is taken relative to the
// folder of the link, joined as text and not cleaned, as the kernel does.
func resolve(path string) (string, error) {
	// maxLinks links followed, and one more look to see that the last names no link.
	for range maxLinks + 1 {
		st, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && st.Mode()&fs.ModeSymlink == 0) {
			return path, nil
		}
		if err != nil {
			return "", pathless(err)
		}
		link, err := os.Readlink(path)
		if err != nil {
			return "", pathless(err)
		}
		if !strings.HasPrefix(link, "/") {
			dir, _ := split(path)
			link = dir + "/" + link
		}
		path = link
	}
	return "", fmt.Errorf("more than %d symbolic links", maxLinks)
}

// lockFile opens (creating it) and locks the lock file name, and writes the pid into it.
// If another open file holds the lock, in this process or another, it fails at once,
// naming that holder's pid. The holder removes the file while it still holds the lock
// (Target.Close), so a lock taken on a file no longer at name is worthless: lockFile checks
// that the file it locked is still the one at name, and else starts again.
func lockFile(name string) (*os.File, error) {
	for range 100 {
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o666)
		if err != nil {
			return nil, fmt.Errorf("cannot create its lock file %s: %w", show(name), pathless(err))
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if errors.Is(err, syscall.EWOULDBLOCK) {
			b, _ := io.ReadAll(io.LimitReader(f, 24))
			f.Close()
			holder := "another run"
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				holder += fmt.Sprintf(" (pid %d)", pid)
			}
			return nil, fmt.Errorf("in use by %s, which holds %s", holder, show(name))
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cannot lock %s: %w", show(name), err)
		}
		locked, err1 := f.Stat()
		cur, err2 := os.Stat(name)
		if err1 == nil && err2 == nil && os.SameFile(locked, cur) {
			pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
			if err := f.Truncate(0); err == nil {
				f.WriteAt(pid, 0) // only for the message of a run that finds it locked
			}
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("cannot lock %s: it keeps being replaced", show(name))
}
