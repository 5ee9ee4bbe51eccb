package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// checkCurvesSpareCheckpoints refuses a -metrics or -plot file that is -init's or -save's
// checkpoint, under any spelling or link: writing the curves would replace the checkpoint
// (-init's before it is read, -save's between epochs), or the checkpoint the curves.
func (c *config) checkCurvesSpareCheckpoints() error {
	for _, out := range []struct{ flag, path string }{{"-metrics", c.metrics}, {"-plot", c.plot}} {
		for _, ck := range []struct{ flag, path string }{{"-init", c.init}, {"-save", c.save}} {
			if out.path != "" && ck.path != "" && samePath(out.path, ck.path) {
				return fmt.Errorf("%s %s: the same file as %s %s; it would overwrite the checkpoint", out.flag, showPath(out.path), ck.flag, showPath(ck.path))
			}
		}
	}
	return nil
}

// samePath reports whether paths a and b name one file: the same absolute path once the
// links of their folders are resolved, or two names of one existing file (a symbolic or
// hard link).
func samePath(a, b string) bool {
	if sa, err := os.Stat(a); err == nil {
		if sb, err := os.Stat(b); err == nil {
			return os.SameFile(sa, sb)
		}
	}
	return resolvedPath(a) == resolvedPath(b)
}

// resolvedPath is path made absolute, with the links of its folder resolved when the
// folder exists; a link in the last element is not followed (samePath's Stat does that).
func resolvedPath(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	dir, base := filepath.Split(abs)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		return filepath.Join(real, base)
	}
	return abs
}
