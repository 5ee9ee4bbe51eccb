package gpu

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"

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

// maxShaderBytes bounds a replacement shader's file: the embedded SPIR-V modules are 5 to 13
// KiB, so a file over 16 MiB is refused from its size, before anything is read (a 2 GB file
// would otherwise be read whole only to be found wrong).
const maxShaderBytes = 16 << 20

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
		path := filepath.Join(s.dir, e.Name())
		// Stat follows a symbolic link: the file it names is what would be read. A FIFO
		// would block the read forever, a device or folder is no shader.
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("gpu: %s: %w", ShaderDirEnv, err)
		}
		if err := shaderFileOK(path, fi); err != nil {
			return nil, err
		}
		s.files[file] = path
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
	if code, err = readShaderFile(path); err != nil {
		return nil, "", err
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

// shaderFileOK refuses a replacement that is not a regular file of at most maxShaderBytes.
func shaderFileOK(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		what := "not a regular file"
		switch t := fi.Mode().Type(); {
		case t&fs.ModeDir != 0:
			what = "a directory"
		case t&fs.ModeNamedPipe != 0:
			what = "a FIFO"
		case t&(fs.ModeDevice|fs.ModeCharDevice) != 0:
			what = "a device"
		case t&fs.ModeSocket != 0:
			what = "a socket"
		}
		return fmt.Errorf("gpu: %s: %s is %s, not a SPIR-V file", ShaderDirEnv, path, what)
	}
	if fi.Size() > maxShaderBytes {
		return fmt.Errorf("gpu: %s: %s is %d bytes, over the %d MiB any shader needs: not a shader of this engine", ShaderDirEnv, path, fi.Size(), maxShaderBytes>>20)
	}
	return nil
}

// readShaderFile reads a replacement shader from one open file, checked again once open (the
// folder may have changed since it was listed) and read at most maxShaderBytes+1 bytes.
// O_NONBLOCK keeps the open of a FIFO put there since from waiting for a writer.
func readShaderFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("gpu: %s: %w", ShaderDirEnv, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("gpu: %s: %w", ShaderDirEnv, err)
	}
	if err := shaderFileOK(path, fi); err != nil {
		return nil, err
	}
	code, err := io.ReadAll(io.LimitReader(f, maxShaderBytes+1))
	if err != nil {
		return nil, fmt.Errorf("gpu: %s: read %s: %w", ShaderDirEnv, path, err)
	}
	if len(code) > maxShaderBytes {
		return nil, fmt.Errorf("gpu: %s: %s grew past %d MiB while read: not a shader of this engine", ShaderDirEnv, path, maxShaderBytes>>20)
	}
	return code, nil
}

// UnusedShaderFiles lists the files of $VKCNN_SHADER_DIR that this engine did not load,
// sorted: shaders its network does not run (a ReLU fused into the convolution before it runs
// no relu_forward, a network without dropout no dropout_forward). A user who put a changed
// shader there would otherwise believe it was trained with.
func (e *Engine) UnusedShaderFiles() []string {
	var out []string
	if e.shaders != nil {
		for name, path := range e.shaders.files {
			if _, ok := e.shaders.used[name]; !ok {
				out = append(out, path)
			}
		}
	}
	sort.Strings(out)
	return out
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
	code, path, err := e.shaders.code(name)
	if err != nil {
		return nil, err
	}
	k, err := e.d.Kernel(name, code, wg)
	if err != nil && path != "" {
		// The driver refused the replacement (a byte flipped in a valid module passes the
		// header and interface checks): name the file, not only the shader.
		return nil, fmt.Errorf("gpu: %s: %s: %w", ShaderDirEnv, path, err)
	}
	return k, err
}
