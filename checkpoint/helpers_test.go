package checkpoint

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/model"
)

// The fixture's arch: conv1 weight [2,1,3,3], bias [2]; fc1 weight [10,18], bias [10]
// (1×8×8 → conv 2×6×6 → pool 2×3×3 = 18 → 10), 210 values in all.
const tinySpec = "conv3x3x2,relu,maxpool2,dense10"

func tinyArch(t testing.TB) *model.Arch {
	a, err := model.Build(tinySpec, model.Shape{C: 1, H: 8, W: 8}, 10)
	require.NoError(t, err)
	return a
}

func lenet(t testing.TB, name string) *model.Arch {
	a, err := model.Parse(name)
	require.NoError(t, err)
	return a
}

// tinyParams are the fixture's values: exact rationals of every sign and scale, plus -0, a
// subnormal, the largest float32 and a negative subnormal in fc1.bias, so that a bit-exact
// round trip shows (every value finite: Save refuses NaN and infinities).
func tinyParams(a *model.Arch) *model.Params {
	p := a.NewParams()
	for k, t := range p.Tensors {
		for j := range t.Data {
			t.Data[j] = (float32(j%17) - 8) / float32(7+k) * float32(math.Pow(2, float64(j%5-2)))
		}
	}
	_, b := p.Layer(1)
	b[0], b[1], b[2], b[3] = float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, math.MaxFloat32, -math.SmallestNonzeroFloat32
	return p
}

// bits returns every value of p as its IEEE bits, tensor after tensor.
func bits(p *model.Params) [][]uint32 {
	out := make([][]uint32, len(p.Tensors))
	for i, t := range p.Tensors {
		for _, v := range t.Data {
			out[i] = append(out[i], math.Float32bits(v))
		}
	}
	return out
}

// splitFile returns a safetensors file's header (padding trimmed) and data.
func splitFile(t testing.TB, file []byte) (string, []byte) {
	n := binary.LittleEndian.Uint64(file)
	require.LessOrEqual(t, n, uint64(len(file)-8))
	return strings.TrimRight(string(file[8:8+n]), " "), file[8+n:]
}

// joinFile builds a safetensors file from a header and data (no padding: readers must
// not need it).
func joinFile(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), data...)
}

// editHeader returns file with its header changed by the replacements old1, new1, old2,
// new2, …; each old must occur.
func editHeader(t testing.TB, file []byte, oldNew ...string) []byte {
	h, data := splitFile(t, file)
	for i := 0; i < len(oldNew); i += 2 {
		require.Contains(t, h, oldNew[i])
		h = strings.Replace(h, oldNew[i], oldNew[i+1], 1)
	}
	return joinFile(h, data)
}

// loadFile opens the checkpoint at path and loads it for arch a.
func loadFile(path string, a *model.Arch) (*model.Params, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.Load(a)
}

// decode loads the checkpoint bytes file for arch a, as Open and Load do with a file.
func decode(file []byte, a *model.Arch) (*model.Params, error) {
	r, err := newReader(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		return nil, err
	}
	return r.load(a)
}
