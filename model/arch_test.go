package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPresetsBuildWithTheDocumentedShapes(t *testing.T) {
	cases := []struct {
		name     string
		features int // values entering the last dense layer
		params   int
	}{
		{"lenet-6-12", 192, 6*25 + 6 + 12*6*25 + 12 + 192*10 + 10},
		{"lenet-12-16", 256, 12*25 + 12 + 16*12*25 + 16 + 256*10 + 10},
		{"lenet-16-32", 512, 16*25 + 16 + 32*16*25 + 32 + 512*10 + 10},
		{"conv3-6-12-16", 256, 6*25 + 6 + 12*6*25 + 12 + 16*12 + 16 + 256*10 + 10},
		{"conv3-16-32-32", 128, 16*25 + 16 + 32*16*25 + 32 + 32*32*9 + 32 + 128*10 + 10},
		{"lenet-6-12-dropout", 192, 6*25 + 6 + 12*6*25 + 12 + 192*10 + 10},
	}
	require.Len(t, Presets, len(cases))
	for _, c := range cases {
		a, err := Parse(c.name)
		require.NoError(t, err, c.name)
		last := a.Layers[len(a.Layers)-1]
		assert.Equal(t, Dense, last.Kind, c.name)
		assert.Equal(t, c.features, last.In.Len(), c.name)
		assert.Equal(t, c.params, a.NumParams(), c.name)
		assert.Equal(t, c.name, a.Name)
		again, err := Parse(a.Spec)
		require.NoError(t, err)
		assert.Equal(t, a.Spec, again.Spec, "the canonical spec parses to itself")
		assert.Equal(t, a.Layers, again.Layers)
	}
}

func TestLeNetShapes(t *testing.T) {
	a, err := Parse(DefaultPreset)
	require.NoError(t, err)
	want := []Shape{{6, 24, 24}, {6, 24, 24}, {6, 12, 12}, {12, 8, 8}, {12, 8, 8}, {12, 4, 4}, {10, 1, 1}}
	require.Len(t, a.Layers, len(want))
	for i, l := range a.Layers {
		assert.Equal(t, want[i], l.Out, "layer %d %v", i, l.Kind)
	}
	names := []string{}
	for _, ts := range a.ParamShapes() {
		names = append(names, ts.Name)
	}
	assert.Equal(t, []string{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias"}, names)
	assert.Equal(t, []int{12, 6, 5, 5}, a.ParamShapes()[2].Shape)
	assert.Equal(t, []int{10, 192}, a.ParamShapes()[4].Shape)
}

func TestLayerStringPaddingPoolsAndActivations(t *testing.T) {
	a, err := Parse("conv3x3x4:same, sigmoid, avgpool2, conv3x5x8:full, relu, maxpool3, dropout0.25, dense32, relu, dense10")
	require.NoError(t, err)
	assert.Equal(t, Shape{4, 28, 28}, a.Layers[0].Out)
	assert.Equal(t, Shape{4, 14, 14}, a.Layers[2].Out)
	assert.Equal(t, Shape{8, 16, 18}, a.Layers[3].Out)
	assert.Equal(t, Shape{8, 5, 6}, a.Layers[5].Out)
	assert.Equal(t, float32(0.25), a.Layers[6].P)
	assert.Equal(t, ConvShape{N: 2, C: 4, H: 14, W: 14, OC: 8, KH: 3, KW: 5, PadH: 2, PadW: 4}, a.Layers[3].ConvShape(2))
	assert.Equal(t, "fc2", a.Layers[9].Name)
	assert.Equal(t, "conv3x3x4:same,sigmoid,avgpool2,conv3x5x8:full,relu,maxpool3,dropout0.25,dense32,relu,dense10", a.Spec)
}

// TestMinPoolParses: minpoolS is a pool of its own kind (not a max-pool), with the pools'
// shape rule (floor, trailing partial window dropped) and its own name in the spec.
func TestMinPoolParses(t *testing.T) {
	a, err := Parse("conv5x5x6, relu, minpool2, conv5x5x12, relu, minpool3, dense10")
	require.NoError(t, err)
	assert.Equal(t, MinPool, a.Layers[2].Kind)
	assert.Equal(t, 2, a.Layers[2].Size)
	assert.Equal(t, Shape{6, 12, 12}, a.Layers[2].Out)
	assert.Equal(t, MinPool, a.Layers[5].Kind)
	assert.Equal(t, Shape{12, 2, 2}, a.Layers[5].Out, "8/3 rounds down")
	assert.Equal(t, PoolShape{N: 4, C: 12, H: 8, W: 8, Size: 3}, a.Layers[5].PoolShape(4))
	assert.Equal(t, "conv5x5x6,relu,minpool2,conv5x5x12,relu,minpool3,dense10", a.Spec)
	assert.Equal(t, "minpool", MinPool.String())
	b, err := Parse("minpool2,dense10")
	require.NoError(t, err, "a single-token-led string starting with minpool is a layer string")
	assert.Equal(t, MinPool, b.Layers[0].Kind)
}

func TestBadArchsNameTheLayerAndShapes(t *testing.T) {
	cases := map[string]string{
		"lenet-99":                           `unknown preset`,
		"conv5x5,dense10":                    `layer 1 "conv5x5": want convKHxKWxN`,
		"conv5x5x6:wide,dense10":             `padding "wide"`,
		"conv29x29x6,dense10":                `layer 1 "conv29x29x6" on input 1×28×28: kernel 29x29 with valid padding does not fit input 28x28`,
		"conv4x4x6:same,dense10":             `same padding needs an odd kernel`,
		"maxpool2,maxpool2,maxpool8,dense10": `layer 3 "maxpool8" on input 1×7×7: pool window 8 is larger than input 7x7`,
		"dropout1.5,dense10":                 `dropout probability "1.5"`,
		"minpool0,dense10":                   `layer 1 "minpool0": pool size "0" is not a size from 1 to 64`,
		"minpool,dense10":                    `layer 1 "minpool": pool size ""`,
		"dense0":                             `dense size "0"`,
		"conv5x5x6,relu":                     `the last layer gives 6×24×24 = 3456 values, want 10 logits`,
		"conv5x5x6,swish,dense10":            `layer 2 "swish": unknown layer`,
		"":                                   `unknown preset`,
	}
	for spec, want := range cases {
		_, err := Parse(spec)
		require.Error(t, err, spec)
		assert.Contains(t, err.Error(), want, spec)
	}
}

func TestInitParamsIsSeededAndBounded(t *testing.T) {
	a, err := Parse(DefaultPreset)
	require.NoError(t, err)
	p1, p2, p3 := a.InitParams(7), a.InitParams(7), a.InitParams(8)
	require.NoError(t, a.Check(p1))
	assert.Equal(t, p1, p2, "same seed, same weights")
	assert.NotEqual(t, p1.Tensors[0].Data, p3.Tensors[0].Data)
	bounds := []float64{0.2, 0.2, 1 / 12.247448713915890, 1 / 12.247448713915890, 1 / 13.856406460551018, 1 / 13.856406460551018}
	for i, tensor := range p1.Tensors {
		lo, hi := float32(0), float32(0)
		for _, v := range tensor.Data {
			lo, hi = min(lo, v), max(hi, v)
		}
		assert.LessOrEqual(t, float64(hi), bounds[i]+1e-7, tensor.Name)
		assert.GreaterOrEqual(t, float64(lo), -bounds[i]-1e-7, tensor.Name)
		if len(tensor.Data) > 100 {
			assert.Greater(t, float64(hi), 0.9*bounds[i], "%s spans its range", tensor.Name)
		}
	}
	q := p1.Clone()
	q.Tensors[0].Data[0] = 42
	assert.NotEqual(t, float32(42), p1.Tensors[0].Data[0], "Clone is deep")
	bad := a.NewParams()
	bad.Tensors[4].Shape = []int{10, 191}
	assert.ErrorContains(t, a.Check(bad), "fc1.weight [10 191]")
}

func TestDropoutLayersDrawTheirOwnMasks(t *testing.T) {
	assert.NotEqual(t, DropoutSeed(1, 3), DropoutSeed(1, 5))
	assert.NotEqual(t, DropoutSeed(1, 3), DropoutSeed(2, 3))
	// DropoutSeed(s, l) = lowbias32(s + 0x9e3779b9·(l+1)), computed outside this
	// repository's Go by
	//   python3 -c 'M=2**32-1;h=lambda x:[x:=x^x>>16,x:=x*0x7feb352d&M,x:=x^x>>15,x:=x*0x846ca68b&M,x^x>>16][-1];print(hex(h((7+0x9e3779b9*5)&M)),hex(h((1+0x9e3779b9)&M)))'
	// A checkpointed run's masks (and the GPU's, which get the seed from here) depend on it.
	assert.Equal(t, uint32(0x37389ebc), DropoutSeed(7, 4))
	assert.Equal(t, uint32(0x9f505634), DropoutSeed(1, 0))
	d := NewDropoutParams(0.5, DropoutSeed(1, 0), 9)
	assert.Equal(t, uint32(1<<31), d.Threshold)
	assert.Equal(t, float32(2), d.Scale)
}

func TestNeedsInputGradOnlyAfterParameters(t *testing.T) {
	a, err := Parse("maxpool2,conv3x3x4,relu,dense10")
	require.NoError(t, err)
	assert.Equal(t, []bool{false, false, true, true}, []bool{a.NeedsInputGrad(0), a.NeedsInputGrad(1), a.NeedsInputGrad(2), a.NeedsInputGrad(3)})
}
