package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"strings"
	"sync"

	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// Save writes p, the parameters of arch a, to path: Lock, Target.Save, Close.
func Save(path string, a *model.Arch, p *model.Params) error {
	t, err := Lock(path)
	if err != nil {
		return fileError(path, err)
	}
	return errors.Join(t.Save(a, p), t.Close())
}

// Target is a checkpoint path held for writing by one run (see Lock).
type Target struct {
	path string // as given, for messages
	file string // what is written: path with its symbolic links resolved
	// mu guards what Abandon, called from a signal handler's goroutine, changes while a
	// Save may be running.
	mu        sync.Mutex
	lock      *os.File // the locked lock file, nil once closed
	tmp       string   // the temporary file of the Save in progress, "" between saves
	abandoned bool
}

// Lock prepares path for Save: it resolves its symbolic links, checks as Check does that a
// save can succeed, and takes an advisory lock (flock) on FILE.lock beside the resolved
// file, held until Close, so that a second run saving to the same file (through any link)
// is refused up front with the holder's pid instead of overwriting the first. Close
// removes the lock file; one left by a killed run is harmless (the kernel releases its
// lock) and is reused. Errors do not name path: the caller names it, by its flag.
func Lock(path string) (*Target, error) {
	file, err := check(path)
	if err != nil {
		return nil, err
	}
	lock, err := lockFile(file + ".lock")
	if err != nil {
		return nil, err
	}
	removeStaleTemps(file)
	return &Target{path: path, file: file, lock: lock}, nil
}

// Close releases the lock and removes the lock file. A nil Target is closed.
func (t *Target) Close() error {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.unlock()
}

// unlock is Close with t.mu held.
func (t *Target) unlock() error {
	if t.lock == nil {
		return nil
	}
	// Removed while still locked: see lockFile for why that is safe.
	err := errors.Join(os.Remove(t.lock.Name()), t.lock.Close())
	t.lock = nil
	return err
}

// Abandon is for a process about to exit on a signal, from any goroutine, while a Save
// may be running: it removes the temporary file of a Save in progress, so the checkpoint
// keeps its last complete content (a Save that already renamed its file has completed),
// closes t as Close does, and makes every later Save fail before it writes anything.
func (t *Target) Abandon() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.abandoned = true
	if t.tmp != "" {
		os.Remove(t.tmp)
		t.tmp = ""
	}
	t.unlock()
}

// errAbandoned is a Save's error after Abandon.
var errAbandoned = errors.New("abandoned (the run is stopping), not written")

// Save writes p, the parameters of arch a, as safetensors, atomically: it writes a
// temporary file beside the (link-resolved) target, syncs it, renames it over the target
// and syncs the folder, so a crash or an error leaves the old checkpoint whole and removes
// the temporary file. The new file keeps the old one's permissions; a new one gets 0666
// less the umask, like any file a program creates. Parameters that are not all finite are
// refused (one line naming the first), and the old checkpoint stays.
func (t *Target) Save(a *model.Arch, p *model.Params) error { return t.SaveState(a, p, nil, nil) }

// SaveState is Save with the state of the run in progress, s, when not nil: its fields as
// run.* metadata, extra (the caller's own run.* keys) beside them, and its momentum
// buffers as MomentumPrefix tensors after the parameters (see Reader.State).
func (t *Target) SaveState(a *model.Arch, p *model.Params, s *train.State, extra map[string]string) error {
	data, err := encodeState(a, p, s, extra)
	if err != nil {
		return fileError(t.path, err)
	}
	if err := writeAtomic(t.file, data, t.createTemp); err != nil {
		return fileError(t.path, err)
	}
	t.mu.Lock()
	t.tmp = ""
	t.mu.Unlock()
	return nil
}

// createTemp is createTemp for t's file, recording the name for Abandon; it fails once t
// is abandoned. Holding t.mu while the file is made means Abandon either finds its name or
// runs before it exists.
func (t *Target) createTemp(file string, perm fs.FileMode) (*os.File, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.abandoned {
		return nil, errAbandoned
	}
	f, err := createTemp(file, perm)
	if err == nil {
		t.tmp = f.Name()
	}
	return f, err
}

// writeAtomic writes data to file through a temporary file made by create (see Target.Save).
func writeAtomic(file string, data []byte, create func(string, fs.FileMode) (*os.File, error)) (err error) {
	perm, keep := fs.FileMode(0o666), false
	if st, err := os.Stat(file); err == nil {
		if !st.Mode().IsRegular() {
			return notRegular(st.Mode())
		}
		perm, keep = st.Mode().Perm(), true
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := create(file, perm)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	for _, step := range []struct {
		name string
		do   func() error
	}{
		// The umask may have taken bits off an existing file's mode: set it exactly.
		{"chmod", func() error {
			if keep {
				return f.Chmod(perm)
			}
			return nil
		}},
		{"write", func() error { _, err := f.Write(data); return err }},
		{"sync", f.Sync},
		{"close", f.Close},
		{"rename", func() error { return os.Rename(f.Name(), file) }},
	} {
		if err = failAt(step.name); err == nil {
			err = step.do()
		}
		if err != nil {
			return err
		}
	}
	dir, _ := split(file)
	return syncDir(dir)
}

// failAt lets a test make a step of writeAtomic fail; it returns nil otherwise.
var failAt = func(step string) error { return nil }

// createTemp creates a new file .BASE-NNNNNNNNNN.tmp beside file (ten random digits, so
// that every temporary name of a file has the same length) with permissions perm less the
// umask.
func createTemp(file string, perm fs.FileMode) (*os.File, error) {
	dir, base := split(file)
	for range 1000 {
		name := fmt.Sprintf("%s/.%s-%010d.tmp", dir, base, rand.Uint32())
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("no free temporary name .%s-*.tmp in %s", base, dir)
}

// isTempOf reports whether name is the name createTemp gives a temporary file of base:
// "." + base + "-" + ten digits + ".tmp".
func isTempOf(name, base string) bool {
	digits, ok := strings.CutPrefix(name, "."+base+"-")
	if !ok {
		return false
	}
	digits, ok = strings.CutSuffix(digits, ".tmp")
	return ok && len(digits) == 10 && strings.Trim(digits, "0123456789") == ""
}

// removeStaleTemps removes the temporary files of file's earlier saves, left by a run
// killed in the middle of one (SIGKILL, a crash, a power cut). The caller holds file's
// lock, so no other run is saving to file; another run's Check may have made one for an
// instant, and tolerates finding it gone.
func removeStaleTemps(file string) {
	dir, base := split(file)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Type().IsRegular() && isTempOf(e.Name(), base) {
			os.Remove(dir + "/" + e.Name())
		}
	}
}

// split splits a path at its last slash, without cleaning it (a lexical clean of "a/b/.."
// is wrong when b is a link): "d/f" gives "d", "f"; "f" gives ".", "f"; "/f" gives "/", "f".
func split(path string) (dir, base string) {
	i := strings.LastIndexByte(path, '/')
	switch {
	case i < 0:
		return ".", path
	case i == 0:
		return "/", path[1:]
	}
	return path[:i], path[i+1:]
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}
