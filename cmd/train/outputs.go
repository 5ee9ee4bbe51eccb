package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/vkcnn/vkcnn/mnist"
)

// checkOutputsSpareInputs refuses an output file (-save, -metrics, -plot) that is one of
// the run's inputs (-init's checkpoint, a file of the -data folder, whether there or not
// yet) or another output, under any spelling or link: writing it would replace the input
// (-init's before it is read, a data file for the next run) or the other output. -save
// and -init may be one file: the run continues the checkpoint in place.
func (c *config) checkOutputsSpareInputs() error {
	type file struct{ flag, path string }
	var inputs []file
	if c.init != "" {
		inputs = append(inputs, file{"-init", c.init})
	}
	for _, base := range []string{mnist.TrainImagesFile, mnist.TrainLabelsFile, mnist.TestImagesFile, mnist.TestLabelsFile} {
		for _, name := range []string{base + ".gz", base} {
			inputs = append(inputs, file{"-data's", filepath.Join(c.data, name)})
		}
	}
	var outputs []file
	for _, f := range []file{{"-save", c.save}, {"-metrics", c.metrics}, {"-plot", c.plot}} {
		if f.path == "" {
			continue
		}
		for _, in := range append(inputs, outputs...) {
			if (f.flag != "-save" || in.flag != "-init") && samePath(f.path, in.path) {
				return fmt.Errorf("%s %s: the same file as %s %s; one would overwrite the other", f.flag, showPath(f.path), in.flag, showPath(in.path))
			}
		}
		outputs = append(outputs, f)
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
