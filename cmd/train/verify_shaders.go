package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/vkcnn/vkcnn/engine"
)

// noteShaderOverrides prints one line on stderr for every shader that eng runs from a file
// rather than from the binary (the gpu engine with VKCNN_SHADER_DIR, gpu.ShaderDirEnv), so
// that nobody trains on stray shaders without being told, and returns them, shader name →
// file, for -json (nil when there are none).
func noteShaderOverrides(eng engine.Engine, stderr io.Writer) map[string]string {
	if u, ok := eng.(interface{ UnusedShaderFiles() []string }); ok {
		for _, path := range u.UnusedShaderFiles() {
			fmt.Fprintf(stderr, "train: VKCNN_SHADER_DIR: %s is not used: the %s engine runs no such shader for %s\n", showPath(path), eng.Name(), eng.Config().Arch.Name)
		}
	}
	o, ok := eng.(interface{ ShaderOverrides() map[string]string })
	if !ok {
		return nil
	}
	files := o.ShaderOverrides()
	if len(files) == 0 {
		return nil
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(stderr, "train: VKCNN_SHADER_DIR: the %s engine runs %s from %s, not the built-in shader\n", eng.Name(), name, showPath(files[name]))
	}
	return files
}
