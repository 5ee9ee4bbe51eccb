package gpu

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShaderDirRefusesWhatIsNoFile: a FIFO, a folder, a link to a FIFO and a 2 GB (sparse)
// file named after a shader are refused from what they are, one error each naming the file;
// none is read (a FIFO's read blocks until some process writes it; the 2 GB file was read
// whole, 2.7 GB of memory, before being found not to be SPIR-V).
func TestShaderDirRefusesWhatIsNoFile(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(path string)
		want  string
	}{
		{"fifo", func(p string) { require.NoError(t, syscall.Mkfifo(p, 0o644)) }, "is a FIFO, not a SPIR-V file"},
		{"link to a fifo", func(p string) {
			require.NoError(t, syscall.Mkfifo(p+".fifo", 0o644))
			require.NoError(t, os.Symlink(filepath.Base(p)+".fifo", p))
		}, "is a FIFO, not a SPIR-V file"},
		{"folder", func(p string) { require.NoError(t, os.Mkdir(p, 0o755)) }, "is a directory, not a SPIR-V file"},
		{"2 GB", func(p string) {
			f, err := os.Create(p)
			require.NoError(t, err)
			require.NoError(t, f.Truncate(2<<30))
			require.NoError(t, f.Close())
		}, "is 2147483648 bytes, over the 16 MiB any shader needs"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "sgd_update.spv")
			c.setup(path)
			t.Setenv(ShaderDirEnv, dir)
			done := make(chan error, 1)
			go func() {
				s, err := loadShaderSet()
				if err == nil {
					_, _, err = s.code("sgd_update")
				}
				done <- err
			}()
			select {
			case err := <-done:
				require.Error(t, err)
				want := "gpu: VKCNN_SHADER_DIR: " + path + " " + c.want
				assert.Equal(t, want, err.Error()[:min(len(want), len(err.Error()))])
				assert.NotContains(t, err.Error(), "\n")
			case <-time.After(10 * time.Second):
				t.Fatal("still reading after 10 s (a FIFO read blocks)")
			}
		})
	}
}

// TestShaderDirReadChecksTheOpenFile: a file swapped for a FIFO between the listing and the
// read is refused at the read, not waited on.
func TestShaderDirReadChecksTheOpenFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sgd_update.spv")
	write(t, dir, "sgd_update.spv", embedded(t, "sgd_update"))
	t.Setenv(ShaderDirEnv, dir)
	s, err := loadShaderSet()
	require.NoError(t, err)
	require.NoError(t, os.Remove(path))
	require.NoError(t, syscall.Mkfifo(path, 0o644))
	done := make(chan error, 1)
	go func() { _, _, err := s.code("sgd_update"); done <- err }()
	select {
	case err := <-done:
		require.Error(t, err)
		assert.Equal(t, "gpu: VKCNN_SHADER_DIR: "+path+" is a FIFO, not a SPIR-V file", err.Error())
	case <-time.After(10 * time.Second):
		t.Fatal("still reading after 10 s (a FIFO read blocks)")
	}
}

// TestUnusedShaderFiles: the folder's files that the engine did not load, sorted.
func TestUnusedShaderFiles(t *testing.T) {
	e := &Engine{}
	assert.Empty(t, e.UnusedShaderFiles(), "no folder, nothing unused")
	e.shaders = &shaderSet{
		files: map[string]string{"sgd_update": "D/sgd_update.spv", "relu_forward": "D/relu_forward.spv", "dropout_forward": "D/dropout_forward.spv"},
		used:  map[string]string{"sgd_update": "D/sgd_update.spv"},
	}
	assert.Equal(t, []string{"D/dropout_forward.spv", "D/relu_forward.spv"}, e.UnusedShaderFiles())
}
