package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"vkcnn/model"
)

// Save writes p, the parameters of arch a, to path as safetensors, atomically: it writes a
// temporary file beside path, syncs it, renames it over path and syncs the directory. On
// any error the temporary file is removed and an existing file at path is left as it was.
func Save(path string, a *model.Arch, p *model.Params) error {
	if err := a.Check(p); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := writeAtomic(path, encode(a, p)); err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return nil
}

func writeAtomic(path string, data []byte) (err error) {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("exists and is not a regular file (%v)", st.Mode().Type())
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*.tmp")
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
		{"write", func() error { _, err := f.Write(data); return err }},
		{"chmod", func() error { return f.Chmod(0o644) }},
		{"sync", f.Sync},
		{"close", f.Close},
		{"rename", func() error { return os.Rename(f.Name(), path) }},
	} {
		if err = failAt(step.name); err == nil {
			err = step.do()
		}
		if err != nil {
			return err
		}
	}
	return syncDir(dir)
}

// failAt lets a test make a step of writeAtomic fail; it returns nil otherwise.
var failAt = func(step string) error { return nil }

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}
