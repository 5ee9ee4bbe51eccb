package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// torchFixture is lenet-6-12's state_dict as safetensors.torch.save_file writes it (no
// __metadata__, tensors sorted by name); scripts/make_torch_statedict_fixture.py made it.
const torchFixture = "../testdata/checkpoint/torch-lenet-6-12.safetensors"

// torchValue is the fixture's value j of its k-th tensor (in name order), as the script
// computes it.
func torchValue(k, j int) float32 {
	return float32((37*j+101*k)%255-127) / 128
}

// TestLoadTorchStateDict: a PyTorch state_dict loads by tensor names for the arch given,
// every value bit for bit, and without that arch it says the arch must be given.
func TestLoadTorchStateDict(t *testing.T) {
	a := lenet(t, "lenet-6-12")
	r, err := Open(torchFixture)
	require.NoError(t, err)
	defer r.Close()
	_, err = r.Arch(a.Input, a.Classes)
	require.True(t, errors.Is(err, ErrNoArch), "%v", err)
	require.EqualError(t, err, "checkpoint "+torchFixture+`: no "arch" in __metadata__ (a plain state_dict?), so the arch must be given`)

	p, err := r.Load(a)
	require.NoError(t, err)
	var names []string
	for _, t := range p.Tensors {
		names = append(names, t.Name)
	}
	slices.Sort(names)
	for i := range p.Tensors {
		tn := p.Tensors[i]
		k := slices.Index(names, tn.Name)
		for j, v := range tn.Data {
			require.Equal(t, torchValue(k, j), v, "%s[%d]", tn.Name, j)
		}
	}
}

// TestLoadTorchStateDictErrors: a state_dict that does not fit the arch given is refused in
// one line naming the tensor.
func TestLoadTorchStateDictErrors(t *testing.T) {
	good, err := os.ReadFile(torchFixture)
	require.NoError(t, err)
	h, data := splitFile(t, good)
	const fc1Bias = `"fc1.bias":{"dtype":"F32","shape":[10],"data_offsets":[7872,7912]},`
	for _, tc := range []struct {
		name, arch string
		file       []byte
		want       string
	}{
		{"other arch", "lenet-12-16", good, "tensor conv1.weight: shape [6 1 5 5], arch lenet-12-16 wants [12 1 5 5]"},
		{"missing tensor", "lenet-6-12", editHeader(t, good, fc1Bias, ""), "tensor fc1.bias (shape [10]) is missing"},
		{"extra tensor", "conv3-6-12-16", good, "tensor conv3.weight (shape [16 12 1 1]) is missing"},
		{"extra in the file", "lenet-6-12", joinFile(h[:len(h)-1]+`,"fc2.bias":{"dtype":"F32","shape":[1],"data_offsets":[15592,15596]}}`, append(slices.Clone(data), 0, 0, 0, 0)), "unexpected tensor fc2.bias (arch lenet-6-12 has 6 tensors)"},
		{"float64", "lenet-6-12", editHeader(t, good, `"fc1.bias":{"dtype":"F32"`, `"fc1.bias":{"dtype":"F64"`), "tensor fc1.bias: dtype F64, want F32"},
		{"bfloat16", "lenet-6-12", editHeader(t, good, `"conv1.bias":{"dtype":"F32"`, `"conv1.bias":{"dtype":"BF16"`), "tensor conv1.bias: dtype BF16, want F32"},
		{"transposed", "lenet-6-12", editHeader(t, good, `"shape":[10,192]`, `"shape":[192,10]`), "tensor fc1.weight: shape [192 10], arch lenet-6-12 wants [10 192]"},
	} {
		path := writeTemp(t, tc.file)
		_, err := loadFile(path, lenet(t, tc.arch))
		require.EqualError(t, err, "checkpoint "+path+": "+tc.want, tc.name)
	}
}

// TestLoadPresetNameInMetadata: a file whose metadata gives the arch as a preset name loads
// for that preset (the archs are compared after parsing, not as strings) and is refused,
// naming both, for another.
func TestLoadPresetNameInMetadata(t *testing.T) {
	a := lenet(t, "lenet-6-12")
	path := filepath.Join(t.TempDir(), "m.safetensors")
	require.NoError(t, Save(path, a, a.InitParams(3)))
	file, err := os.ReadFile(path)
	require.NoError(t, err)
	byName := writeTemp(t, editHeader(t, file, `"arch":"`+a.Spec+`"`, `"arch":"lenet-6-12"`))

	p, err := loadFile(byName, a)
	require.NoError(t, err)
	require.Equal(t, bits(a.InitParams(3)), bits(p))
	// The same layers written another way (explicit valid padding) are the same arch.
	other := writeTemp(t, editHeader(t, file, `"arch":"conv5x5x6,`, `"arch":"conv5x5x6:valid,`))
	_, err = loadFile(other, a)
	require.NoError(t, err)

	r, err := Open(byName)
	require.NoError(t, err)
	b, err := r.Arch(a.Input, a.Classes)
	require.NoError(t, r.Close())
	require.NoError(t, err)
	require.Equal(t, a, b)

	l12 := lenet(t, "lenet-12-16")
	_, err = loadFile(byName, l12)
	require.EqualError(t, err, "checkpoint "+byName+`: made for arch "lenet-6-12", not "lenet-12-16" (`+l12.Spec+`)`)
}
