package gpu

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/vkcnn/vkcnn/shaders"
	"github.com/vkcnn/vkcnn/vulkan"
)

// ShaderDirEnv names the environment variable that points the GPU engine at shaders other
// than the embedded ones: with VKCNN_SHADER_DIR=DIR, a shader whose DIR/<name>.spv exists
// is loaded from that file instead of the binary, so that a changed shader can be trained
// with (and checked by -verify-every, or the parity suite: `go test ./gpu`) without
// rebuilding the program. The replaced shaders are listed by Engine.ShaderOverrides
// (cmd/train prints one line per shader and records them in -json).
const ShaderDirEnv = "VKCNN_SHADER_DIR"

// shaderSet is where an engine's SPIR-V comes from: the embedded shaders, except those that
// a file of $VKCNN_SHADER_DIR replaces.
type shaderSet struct {
	dir   string
	files map[string]string // shader name → its replacement's path
	used  map[string]string // the replacements loaded so far
}

// loadShaderSet reads $VKCNN_SHADER_DIR (unset or empty: the embedded shaders only). The
// folder must exist and hold at least one .spv file, and every .spv file in it must be
// named after an embedded shader: a misspelt name would otherwise be ignored without a
// word, and a wrong folder would train on the embedded shaders while the user believes
// otherwise.
func loadShaderSet() (*shaderSet, error) {
	s := &shaderSet{dir: os.Getenv(ShaderDirEnv), files: map[string]string{}, used: map[string]string{}}
	if s.dir == "" {
		return s, nil
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("gpu: %s=%s: %s", ShaderDirEnv, s.dir, fmt.Sprintf(format, a...))
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is in the message already
		}
		return nil, bad("%v", err)
	}
	for _, e := range entries {
		file, ok := strings.CutSuffix(e.Name(), ".spv")
		if !ok {
			continue
		}
		if _, err := fs.Stat(shaders.FS, e.Name()); err != nil {
			return nil, bad("%s is not one of the engine's shaders (shaders/*.comp; a file here replaces the one of its name)", e.Name())
		}
		s.files[file] = filepath.Join(s.dir, e.Name())
	}
	if len(s.files) == 0 {
		return nil, bad("holds no .spv file (compile a shader into it: glslc --target-env=vulkan1.1 -O -I shaders shaders/NAME.comp -o DIR/NAME.spv)")
	}
	return s, nil
}

// code returns the SPIR-V of shader name, and the path it came from when a file replaces
// the embedded one. A replacement must have the embedded shader's interface (bindings,
// push constants, buffer blocks), which the host code binds and fills.
func (s *shaderSet) code(name string) (code []byte, path string, err error) {
	embedded, err := fs.ReadFile(shaders.FS, name+".spv")
	if err != nil {
		return nil, "", fmt.Errorf("gpu: shader %s.spv is not embedded (run make shaders): %w", name, err)
	}
	path, ok := s.files[name]
	if !ok {
		return embedded, "", nil
	}
	if code, err = os.ReadFile(path); err != nil {
		return nil, "", fmt.Errorf("gpu: %s: %w", ShaderDirEnv, err)
	}
	got, err := vulkan.Reflect(strings.TrimSuffix(path, ".spv"), code)
	if err != nil {
		return nil, "", fmt.Errorf("gpu: %s: %w", ShaderDirEnv, err)
	}
	want, err := vulkan.Reflect(name, embedded)
	if err != nil {
		return nil, "", err
	}
	if !reflect.DeepEqual(got, want) {
		return nil, "", fmt.Errorf("gpu: %s: %s has another interface than the embedded %s.spv (%s against %s); the host binds and fills the embedded one's",
			ShaderDirEnv, path, name, describe(got), describe(want))
	}
	s.used[name] = path
	return code, path, nil
}

// describe sums up a shader's interface for a message.
func describe(l vulkan.Layout) string {
	return fmt.Sprintf("%d bindings, push constants %v", l.Bindings, l.Push)
}

// ShaderOverrides lists the shaders this engine loaded from $VKCNN_SHADER_DIR rather than
// the binary: shader name → file. Empty when it runs the embedded shaders only.
func (e *Engine) ShaderOverrides() map[string]string {
	out := map[string]string{}
	if e.shaders != nil {
		for name, path := range e.shaders.used {
			out[name] = path
		}
	}
	return out
}

// kernel returns the pipeline of shader name with workgroup size wg, from the engine's
// shader set (read from the environment on first use).
func (e *Engine) kernel(name string, wg int) (*vulkan.Kernel, error) {
	if e.shaders == nil {
		s, err := loadShaderSet()
		if err != nil {
			return nil, err
		}
		e.shaders = s
	}
	code, _, err := e.shaders.code(name)
	if err != nil {
		return nil, err
	}
	return e.d.Kernel(name, code, wg)
}
