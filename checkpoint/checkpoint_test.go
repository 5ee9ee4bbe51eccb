package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite ../testdata/checkpoint/tiny.safetensors")

const fixture = "../testdata/checkpoint/tiny.safetensors"

func TestRoundTripBitExact(t *testing.T) {
	for _, name := range []string{"lenet-6-12", "conv3-16-32-32", "lenet-6-12-dropout"} {
		a := lenet(t, name)
		p := a.InitParams(7)
		w, _ := p.Layer(0)
		w[0], w[1] = float32(math.Copysign(0, -1)), math.Float32frombits(0x80000001) // -0 and a negative subnormal survive
		path := filepath.Join(t.TempDir(), "m.safetensors")
		require.NoError(t, Save(path, a, p))
		q, err := loadFile(path, a)
		require.NoError(t, err, name)
		require.Equal(t, bits(p), bits(q), name)
		for i := range p.Tensors {
			require.Equal(t, p.Tensors[i].Name, q.Tensors[i].Name)
			require.Equal(t, p.Tensors[i].Shape, q.Tensors[i].Shape)
		}
		r, err := Open(path)
		require.NoError(t, err)
		b, err := r.Arch(a.Input, a.Classes)
		require.NoError(t, err)
		require.NoError(t, r.Close())
		require.Equal(t, a, b, "the arch comes back with its preset name")
		require.Equal(t, name, b.Name)
	}
}

// TestFixture: Save writes exactly the committed fixture, and Load reads it back.
func TestFixture(t *testing.T) {
	a := tinyArch(t)
	p := tinyParams(a)
	fresh := filepath.Join(t.TempDir(), "tiny.safetensors")
	require.NoError(t, Save(fresh, a, p))
	got, err := os.ReadFile(fresh)
	require.NoError(t, err)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(fixture), 0o755))
		require.NoError(t, os.WriteFile(fixture, got, 0o644))
	}
	want, err := os.ReadFile(fixture)
	require.NoError(t, err, "go test ./checkpoint -run TestFixture -update")
	require.Equal(t, want, got, "Save's output changed; if on purpose: go test ./checkpoint -run TestFixture -update")
	require.Less(t, len(want), 10<<10)

	q, err := loadFile(fixture, a)
	require.NoError(t, err)
	require.Equal(t, bits(p), bits(q))
	require.Equal(t, uint32(0x80000000), bits(q)[3][0], "-0 kept")
}

// TestFileLayout checks the bytes against the format by hand: the header length, the
// padding, the header's JSON and the first value.
func TestFileLayout(t *testing.T) {
	file, err := os.ReadFile(fixture)
	require.NoError(t, err)
	n := int(file[0]) | int(file[1])<<8 | int(file[2])<<16 | int(file[3])<<24
	require.Equal(t, []byte{0, 0, 0, 0}, file[4:8])
	require.Zero(t, (8+n)%8, "data starts 8-aligned")
	require.Equal(t, 8+n+840, len(file), "210 float32 after the header")
	var h map[string]any
	require.NoError(t, json.Unmarshal(file[8:8+n], &h))
	require.Equal(t, map[string]any{
		"__metadata__": map[string]any{"arch": tinySpec, "format": "pt", "name": tinySpec},
		"conv1.weight": map[string]any{"dtype": "F32", "shape": []any{2.0, 1.0, 3.0, 3.0}, "data_offsets": []any{0.0, 72.0}},
		"conv1.bias":   map[string]any{"dtype": "F32", "shape": []any{2.0}, "data_offsets": []any{72.0, 80.0}},
		"fc1.weight":   map[string]any{"dtype": "F32", "shape": []any{10.0, 18.0}, "data_offsets": []any{80.0, 800.0}},
		"fc1.bias":     map[string]any{"dtype": "F32", "shape": []any{10.0}, "data_offsets": []any{800.0, 840.0}},
	}, h)
	// conv1.weight[0] = (0−8)/7·2^−2 = −2/7, little-endian.
	require.Equal(t, math.Float32bits(-8/float32(7)*0.25), binary.LittleEndian.Uint32(file[8+n:]))
}

func TestSaveMetadataName(t *testing.T) {
	a := lenet(t, "lenet-12-16")
	path := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, Save(path, a, a.InitParams(1)))
	file, err := os.ReadFile(path)
	require.NoError(t, err)
	h, _ := splitFile(t, file)
	require.Contains(t, h, `{"__metadata__":{"arch":"conv5x5x12,relu,maxpool2,conv5x5x16,relu,maxpool2,dense10","format":"pt","name":"lenet-12-16"},"conv1.weight":{"dtype":"F32","shape":[12,1,5,5],"data_offsets":[0,1200]},`)
}

func TestSaveRejectsWrongParams(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	err := Save(path, lenet(t, "lenet-6-12"), lenet(t, "lenet-12-16").InitParams(1))
	require.ErrorContains(t, err, "checkpoint "+path+": params: tensor 0 is conv1.weight [12 1 5 5]")
	require.NoFileExists(t, path)
}

// oldCheckpoint writes a checkpoint at dir/m.safetensors and returns its path and bytes.
func oldCheckpoint(t *testing.T, dir string) (string, []byte) {
	a := tinyArch(t)
	path := filepath.Join(dir, "m.safetensors")
	require.NoError(t, Save(path, a, tinyParams(a)))
	old, err := os.ReadFile(path)
	require.NoError(t, err)
	return path, old
}

// requireOnly checks that dir holds exactly the named entries (no temporary file left).
func requireOnly(t *testing.T, dir string, names ...string) {
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	require.ElementsMatch(t, names, got)
}

// TestSaveAtomic makes each step of the write fail in turn: the old checkpoint stays
// byte-identical and no temporary file is left.
func TestSaveAtomic(t *testing.T) {
	a := tinyArch(t)
	for _, step := range []string{"chmod", "write", "sync", "close", "rename"} {
		dir := t.TempDir()
		path, old := oldCheckpoint(t, dir)
		failAt = func(s string) error {
			if s == step {
				return errors.New("injected failure at " + s)
			}
			return nil
		}
		err := Save(path, a, a.InitParams(3))
		failAt = func(string) error { return nil }
		require.EqualError(t, err, "checkpoint "+path+": injected failure at "+step)
		got, rerr := os.ReadFile(path)
		require.NoError(t, rerr)
		require.Equal(t, old, got, step)
		requireOnly(t, dir, "m.safetensors")
	}
}

func TestSaveOntoDirectory(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	require.NoError(t, os.Mkdir(path, 0o755))
	a := tinyArch(t)
	err := Save(path, a, tinyParams(a))
	require.EqualError(t, err, "checkpoint "+path+": is a directory")
	requireOnly(t, dir, "m.safetensors")
}

func TestSaveIntoMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nope")
	a := tinyArch(t)
	err := Save(filepath.Join(dir, "m.safetensors"), a, tinyParams(a))
	require.EqualError(t, err, "checkpoint "+dir+"/m.safetensors: folder "+dir+" does not exist")
}

// TestSaveIntoReadOnlyDir needs a user that permissions stop (not root, which they do not);
// TestSaveAtomic covers the same failure for every user.
func TestSaveIntoReadOnlyDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions; TestSaveAtomic injects the failure instead")
	}
	dir := t.TempDir()
	path, old := oldCheckpoint(t, dir)
	require.NoError(t, os.Chmod(dir, 0o555))
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	a := tinyArch(t)
	err := Save(path, a, a.InitParams(3))
	require.ErrorIs(t, err, os.ErrPermission)
	require.ErrorContains(t, err, "checkpoint "+path+": ")
	got, rerr := os.ReadFile(path)
	require.NoError(t, rerr)
	require.Equal(t, old, got)
	requireOnly(t, dir, "m.safetensors")
}
