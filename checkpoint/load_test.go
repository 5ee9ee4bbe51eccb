package checkpoint

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/model"
)

// writeTemp writes data to a new file and returns its path.
func writeTemp(t *testing.T, data []byte) string {
	path := filepath.Join(t.TempDir(), "x.safetensors")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

func TestLoadErrors(t *testing.T) {
	good, err := os.ReadFile(fixture)
	require.NoError(t, err)
	h, data := splitFile(t, good)
	lenetFile := func() []byte {
		a := lenet(t, "lenet-6-12")
		path := filepath.Join(t.TempDir(), "l.safetensors")
		require.NoError(t, Save(path, a, a.InitParams(1)))
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		return b
	}()
	const lenetSpec = "conv5x5x6,relu,maxpool2,conv5x5x12,relu,maxpool2,dense10"
	for _, tc := range []struct {
		name string
		file []byte
		want string // the error after "checkpoint PATH: "
	}{
		{"empty", nil, "0 bytes, too short for a safetensors file (8-byte header length, JSON header, data)"},
		{"5 bytes", good[:5], "5 bytes, too short for a safetensors file (8-byte header length, JSON header, data)"},
		{"cut in the header", good[:100], "header length 384 does not fit a file of 100 bytes: truncated, or not a safetensors file"},
		{"cut in the data", good[:len(good)-4], "tensor fc1.bias: data_offsets [800, 840] run past the end of the data (836 bytes; file truncated?)"},
		{"trailing data", append(bytes.Clone(good), 0, 0, 0, 0), "4 bytes of data after the last tensor (the tensors take 840 bytes, the file holds 844)"},
		{"text file", []byte("these are not the weights you are looking for\n"), "not a safetensors file: byte 8 is 0x65, not the '{' that starts the JSON header"},
		{"gzip file", append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, make([]byte, 30)...), "not a safetensors file: byte 8 is 0x00, not the '{' that starts the JSON header"},
		{"JSON array", joinFile("[1,2]", nil), "not a safetensors file: byte 8 is 0x5b, not the '{' that starts the JSON header"},
		{"huge header length", append([]byte{0, 0, 0, 0, 0, 0, 0, 1}, `{"a":1}`...), "not a safetensors file: its first 8 bytes give a header length of 72057594037927936 (want 2..100000000)"},
		{"header length over the limit", append([]byte{0x01, 0xe1, 0xf5, 0x05, 0, 0, 0, 0}, `{"a":1}`...), "not a safetensors file: its first 8 bytes give a header length of 100000001 (want 2..100000000)"},
		{"header length 1", append([]byte{1, 0, 0, 0, 0, 0, 0, 0}, `{}`...), "not a safetensors file: its first 8 bytes give a header length of 1 (want 2..100000000)"},
		{"not one JSON object", joinFile("{}{}", nil), "header: unexpected { after the JSON object"},
		{"bad JSON", joinFile(`{"a":}`, nil), "header: tensor \"a\": invalid character '}' looking for beginning of value"},
		{"text after JSON", joinFile(h+"x", data), "header: invalid text (invalid character 'x' looking for beginning of value) after the JSON object"},
		{"second object", joinFile(h+"{}", data), "header: unexpected { after the JSON object"},
		{"metadata not strings", editHeader(t, good, `"format":"pt"`, `"format":1`), "header: __metadata__ is not a map of strings: json: cannot unmarshal number into Go value of type string"},
		{"wrong arch", lenetFile, `made for arch "lenet-6-12" (` + lenetSpec + `), not "` + tinySpec + `"`},
		{"wrong arch string", editHeader(t, good, `"arch":"conv3x3x2`, `"arch":"conv3x3x4`), `made for arch "conv3x3x2,relu,maxpool2,dense10" (conv3x3x4,relu,maxpool2,dense10), not "` + tinySpec + `"`},
		{"wrong shape", editHeader(t, good, `"shape":[10,18]`, `"shape":[18,10]`), "tensor fc1.weight: shape [18 10], arch " + tinySpec + " wants [10 18]"},
		{"wrong rank", editHeader(t, good, `"shape":[2]`, `"shape":[2,1]`), "tensor conv1.bias: shape [2 1], arch " + tinySpec + " wants [2]"},
		{"wrong dtype", editHeader(t, good, `"fc1.bias":{"dtype":"F32"`, `"fc1.bias":{"dtype":"F16"`), "tensor fc1.bias: dtype F16, want F32"},
		{"missing tensor", editHeader(t, good, `,"fc1.bias":{"dtype":"F32","shape":[10],"data_offsets":[800,840]}`, ""), "tensor fc1.bias (shape [10]) is missing"},
		{"renamed tensor", editHeader(t, good, `"fc1.weight"`, `"fc.weight"`), "tensor fc1.weight (shape [10 18]) is missing"},
		{"extra tensor", joinFile(h[:len(h)-1]+`,"fc2.bias":{"dtype":"F32","shape":[1],"data_offsets":[840,844]}}`, append(bytes.Clone(data), 0, 0, 0, 0)), "unexpected tensor fc2.bias (arch " + tinySpec + " has 4 tensors)"},
		{"duplicate tensor", joinFile(h[:len(h)-1]+`,"fc1.bias":{"dtype":"F32","shape":[10],"data_offsets":[800,840]}}`, data), `header: key "fc1.bias" appears twice`},
		{"unknown field", editHeader(t, good, `"dtype":"F32","shape":[2]`, `"dtype":"F32","strides":[1],"shape":[2]`), `header: tensor "conv1.bias": json: unknown field "strides"`},
		{"gap", editHeader(t, good, `[72,80]`, `[76,84]`, `[80,800]`, `[84,804]`, `[800,840]`, `[804,844]`), "tensor conv1.bias: data_offsets [76, 84] leave a gap after tensor conv1.weight (which ends at 72)"},
		{"overlap", editHeader(t, good, `[80,800]`, `[76,796]`), "tensor fc1.weight: data_offsets [76, 796] leave an overlap after tensor conv1.bias (which ends at 80)"},
		{"same range twice", editHeader(t, good, `[72,80]`, `[0,72]`), "tensor conv1.bias: data_offsets [0, 72] leave an overlap after tensor conv1.weight (which ends at 72)"},
		{"reversed range", editHeader(t, good, `[0,72]`, `[72,0]`), "tensor conv1.weight: data_offsets [72, 0] are not a byte range"},
		{"negative offset", editHeader(t, good, `[0,72]`, `[-8,72]`), "tensor conv1.weight: data_offsets [-8, 72] are not a byte range"},
		{"three data_offsets", editHeader(t, good, `[72,80]`, `[72,80,88]`), `header: tensor "conv1.bias": data_offsets [72 80 88] has 3 elements, want 2 (begin, end)`},
		{"one data_offset", editHeader(t, good, `[72,80]`, `[72]`), `header: tensor "conv1.bias": data_offsets [72] has 1 elements, want 2 (begin, end)`},
		{"no data_offsets", editHeader(t, good, `,"data_offsets":[72,80]`, ``), `header: tensor "conv1.bias": data_offsets [] has 0 elements, want 2 (begin, end)`},
		{"no dtype", editHeader(t, good, `"fc1.bias":{"dtype":"F32",`, `"fc1.bias":{`), `header: tensor "fc1.bias": no dtype`},
		{"no shape", editHeader(t, good, `"shape":[2],`, ``), `header: tensor "conv1.bias": no shape`},
		{"null shape", editHeader(t, good, `"shape":[2]`, `"shape":null`), `header: tensor "conv1.bias": no shape`},
		{"huge offset", editHeader(t, good, `[800,840]`, `[800,1e30]`), `header: tensor "fc1.bias": json: cannot unmarshal number 1e30 into Go struct field entry.data_offsets of type int64`},
		{"range longer than shape", editHeader(t, good, `[72,80]`, `[72,84]`, `[80,800]`, `[84,804]`, `[800,840]`, `[804,844]`), "tensor conv1.bias: 12 bytes for shape [2] of F32, want 4·2"},
	} {
		path := writeTemp(t, tc.file)
		p, err := loadFile(path, tinyArch(t))
		require.EqualError(t, err, "checkpoint "+path+": "+tc.want, tc.name)
		require.Nil(t, p, tc.name)
	}
}

// TestLoadLayoutOrderFree: a file whose tensors are stored in another order than
// model.Params (as other writers may do) loads with the right values.
func TestLoadLayoutOrderFree(t *testing.T) {
	a := tinyArch(t)
	good, err := os.ReadFile(fixture)
	require.NoError(t, err)
	h, data := splitFile(t, good)
	// Store fc1.bias first: its 40 bytes, then the other three shifted by 40.
	swapped := append(bytes.Clone(data[800:840]), data[:800]...)
	h = strings.NewReplacer(`[0,72]`, `[40,112]`, `[72,80]`, `[112,120]`, `[80,800]`, `[120,840]`, `[800,840]`, `[0,40]`).Replace(h)
	p, err := loadFile(writeTemp(t, joinFile(h, swapped)), a)
	require.NoError(t, err)
	require.Equal(t, bits(tinyParams(a)), bits(p))
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.safetensors")
	_, err := loadFile(path, tinyArch(t))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.EqualError(t, err, "checkpoint "+path+": no such file or directory")
}

// TestArch: the arch comes from the metadata, and only the header is read for it.
func TestArch(t *testing.T) {
	arch := func(path string) (*model.Arch, error) {
		r, err := Open(path)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return r.Arch(model.Shape{C: 1, H: 8, W: 8}, 10)
	}
	a, err := arch(fixture)
	require.NoError(t, err)
	require.Equal(t, tinyArch(t), a)

	good, err := os.ReadFile(fixture)
	require.NoError(t, err)
	for _, tc := range []struct {
		file []byte
		want string
	}{
		{good[:3], "3 bytes, too short for a safetensors file (8-byte header length, JSON header, data)"},
		{good[:200], "header length 384 does not fit a file of 200 bytes: truncated, or not a safetensors file"},
		{editHeader(t, good, `"arch"`, `"arc"`), `no "arch" in __metadata__ (a plain state_dict?), so the arch must be given`},
		{editHeader(t, good, `"arch":"conv3x3x2`, `"arch":"conv9x9x2`), `arch "conv9x9x2,relu,maxpool2,dense10": layer 1 "conv9x9x2" on input 1×8×8: kernel 9x9 with valid padding does not fit input 8x8`},
	} {
		path := writeTemp(t, tc.file)
		_, err := arch(path)
		require.EqualError(t, err, "checkpoint "+path+": "+tc.want)
	}
	// Only the header is read: a file cut in its data still tells its arch.
	a, err = arch(writeTemp(t, good[:len(good)-100]))
	require.NoError(t, err)
	require.Equal(t, tinySpec, a.Spec)
}
