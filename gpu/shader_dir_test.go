package gpu

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/shaders"
)

// embedded returns the embedded SPIR-V of shader name.
func embedded(t *testing.T, name string) []byte {
	t.Helper()
	code, err := fs.ReadFile(shaders.FS, name+".spv")
	require.NoError(t, err)
	return code
}

// TestShaderDir: VKCNN_SHADER_DIR replaces exactly the shaders it holds a file for, and
// says which; everything else stays embedded. Each way the folder or a file can be wrong is
// one error naming the variable, the folder or file, and the problem.
func TestShaderDir(t *testing.T) {
	t.Setenv(ShaderDirEnv, "")
	s, err := loadShaderSet()
	require.NoError(t, err)
	code, path, err := s.code("sgd_update")
	require.NoError(t, err)
	assert.Equal(t, embedded(t, "sgd_update"), code)
	assert.Empty(t, path)

	// A replacement is loaded as it is: here the embedded module with another generator
	// word (header word 2), which means the same and differs in its bytes.
	dir := t.TempDir()
	repl := append([]byte(nil), embedded(t, "sgd_update")...)
	repl[8] ^= 1
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sgd_update.spv"), repl, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a shader"), 0o644))
	t.Setenv(ShaderDirEnv, dir)
	s, err = loadShaderSet()
	require.NoError(t, err)
	code, path, err = s.code("sgd_update")
	require.NoError(t, err)
	assert.Equal(t, repl, code)
	assert.Equal(t, filepath.Join(dir, "sgd_update.spv"), path)
	code, path, err = s.code("relu_forward")
	require.NoError(t, err)
	assert.Equal(t, embedded(t, "relu_forward"), code, "a shader the folder does not hold stays embedded")
	assert.Empty(t, path)
	assert.Equal(t, map[string]string{"sgd_update": filepath.Join(dir, "sgd_update.spv")}, s.used)

	for _, c := range []struct {
		name  string
		setup func(dir string) string // returns the variable's value
		want  string
	}{
		{"missing folder", func(dir string) string { return filepath.Join(dir, "nope") }, "=DIR/nope: no such file or directory"},
		{"a file, not a folder", func(dir string) string {
			write(t, dir, "f", []byte("x"))
			return filepath.Join(dir, "f")
		}, "=DIR/f: not a directory"},
		{"no .spv in it", func(dir string) string { write(t, dir, "relu_forward.comp", []byte("x")); return dir }, "=DIR: holds no .spv file"},
		{"a misspelt name", func(dir string) string { write(t, dir, "sgd_updat.spv", embedded(t, "sgd_update")); return dir },
			"=DIR: sgd_updat.spv is not one of the engine's shaders"},
		{"not SPIR-V", func(dir string) string { write(t, dir, "sgd_update.spv", []byte("#version 450\n")); return dir },
			": vulkan: shader DIR/sgd_update.spv is corrupt (13 bytes; want a multiple of 4 starting with magic 0x07230203)"},
		{"unreadable", func(dir string) string {
			require.NoError(t, os.Mkdir(filepath.Join(dir, "sgd_update.spv"), 0o755))
			return dir
		},
			": DIR/sgd_update.spv is a directory, not a SPIR-V file"},
		{"another shader's interface", func(dir string) string { write(t, dir, "sgd_update.spv", embedded(t, "relu_forward")); return dir },
			": DIR/sgd_update.spv has another interface than the embedded sgd_update.spv (2 bindings, push constants [uint32 at byte 0] against 5 bindings, "},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv(ShaderDirEnv, c.setup(dir))
			s, err := loadShaderSet()
			if err == nil {
				_, _, err = s.code("sgd_update")
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "gpu: VKCNN_SHADER_DIR"+strings.ReplaceAll(c.want, "DIR", dir))
		})
	}
}

// write writes a file into dir.
func write(t *testing.T, dir, name string, b []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
}
