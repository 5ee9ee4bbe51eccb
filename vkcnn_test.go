package vkcnn

import (
	"encoding/binary"
	"encoding/json"
	"image"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/checkpoint"
	"github.com/vkcnn/vkcnn/digit"
	"github.com/vkcnn/vkcnn/model"
)

const smallModel = "testdata/model/lenet-6-12.safetensors"

// TestPredictionOf: the softmax of logits, their argmax (the first on a tie), and no
// overflow for logits far beyond e^88.
func TestPredictionOf(t *testing.T) {
	z := []float32{1, 3, 2, 3, 0, -1, 0.5, 0, 0, 0}
	p := predictionOf(z)
	assert.Equal(t, 1, p.Digit, "the first of two largest")
	var sum float64
	for _, v := range z {
		sum += math.Exp(float64(v))
	}
	for k, v := range z {
		assert.InDelta(t, math.Exp(float64(v))/sum, p.Probs[k], 1e-7, "class %d", k)
	}
	big := predictionOf([]float32{1000, 999, -1000, 0, 0, 0, 0, 0, 0, 0})
	assert.Equal(t, 0, big.Digit)
	assert.InDelta(t, 1/(1+math.Exp(-1)), big.Probs[0], 1e-6)
	assert.InDelta(t, 1/(1+math.E), big.Probs[1], 1e-6)
	assert.Zero(t, big.Probs[2])
}

// TestPredictDigits: the committed pictures are classified as their file names say.
func TestPredictDigits(t *testing.T) {
	m, err := Load(smallModel)
	require.NoError(t, err)
	assert.Equal(t, "lenet-6-12", m.Arch())
	paths, err := filepath.Glob("testdata/digits/*.png")
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		f, err := os.Open(path)
		require.NoError(t, err)
		img, _, err := image.Decode(f)
		f.Close()
		require.NoError(t, err)
		p, err := m.Predict(img)
		require.NoError(t, err)
		assert.Equal(t, int(filepath.Base(path)[0]-'0'), p.Digit, path)
		assert.Greater(t, p.Probs[p.Digit], float32(0.5), path)
	}
}

// TestPredictBatchErrors: a blank picture among good ones names its index and wraps
// digit.ErrBlank; a partial prepared image is an error.
func TestPredictBatchErrors(t *testing.T) {
	m, err := Load(smallModel)
	require.NoError(t, err)
	ink := image.NewGray(image.Rect(0, 0, 20, 20))
	ink.Pix[50] = 255
	_, err = m.PredictBatch([]image.Image{ink, image.NewGray(image.Rect(0, 0, 20, 20)), ink})
	assert.ErrorIs(t, err, digit.ErrBlank)
	assert.ErrorContains(t, err, "vkcnn: image 1: ")
	_, err = m.Predict(image.NewGray(image.Rectangle{}))
	assert.ErrorIs(t, err, digit.ErrEmpty)
	_, err = m.PredictPrepared(make([]float32, 783))
	assert.ErrorContains(t, err, "not whole images")
	ps, err := m.PredictBatch(nil)
	require.NoError(t, err)
	assert.Empty(t, ps)
}

// TestPredictPreparedRefusesWhatIsNotAPixel: a NaN, an infinity or a value outside 0..1
// is an error naming the image and the pixel (before: NaN probabilities, digit 0, no
// error); 0 and 1 themselves are pixels.
func TestPredictPreparedRefusesWhatIsNotAPixel(t *testing.T) {
	m, err := Load(smallModel)
	require.NoError(t, err)
	x := make([]float32, 2*784)
	x[0], x[783], x[784] = 1, 1, 1
	_, err = m.PredictPrepared(x)
	require.NoError(t, err)
	for _, c := range []struct {
		v    float32
		want string
	}{
		{float32(math.NaN()), "vkcnn: image 1, pixel 100 (row 3, column 16): NaN is outside 0..1, the range the network was trained on"},
		{float32(math.Inf(-1)), "vkcnn: image 1, pixel 100 (row 3, column 16): -Inf is outside 0..1"},
		{-0.001, "vkcnn: image 1, pixel 100 (row 3, column 16): -0.001 is outside 0..1"},
		{255, "255 is outside 0..1, the range the network was trained on (8-bit values: divide by 255)"},
		{1e30, "1e+30 is outside 0..1, the range the network was trained on"},
	} {
		x[784+100] = c.v
		ps, err := m.PredictPrepared(x)
		assert.ErrorContains(t, err, c.want)
		assert.Nil(t, ps)
	}
}

// TestLoadErrors: every bad checkpoint is one line naming the file.
func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(filepath.Join(dir, "missing.safetensors"))
	assert.ErrorContains(t, err, "missing.safetensors")
	junk := filepath.Join(dir, "junk.safetensors")
	require.NoError(t, os.WriteFile(junk, []byte("not a checkpoint"), 0o644))
	_, err = Load(junk)
	assert.ErrorContains(t, err, "junk.safetensors")

	a, err := model.Parse("lenet-6-12")
	require.NoError(t, err)
	p := a.InitParams(1)
	p.Tensors[2].Data[3] = float32(math.Inf(-1))
	_, err = NewModel(a, p)
	assert.EqualError(t, err, "vkcnn: parameter conv2.weight[3] is -Inf (a diverged training run?)")
	file, err := os.ReadFile(smallModel)
	require.NoError(t, err)
	data := 8 + binary.LittleEndian.Uint64(file) // conv1.weight comes first
	binary.LittleEndian.PutUint32(file[data+4*3:], math.Float32bits(float32(math.NaN())))
	diverged := filepath.Join(dir, "diverged.safetensors")
	require.NoError(t, os.WriteFile(diverged, file, 0o644))
	_, err = Load(diverged)
	assert.ErrorContains(t, err, "conv1.weight[3] is NaN")

	other, err := model.Build("conv1x1x3,maxpool2,dense10", model.Shape{C: 1, H: 4, W: 3}, 10)
	require.NoError(t, err)
	_, err = NewModel(other, other.InitParams(1))
	assert.EqualError(t, err, "vkcnn: arch conv1x1x3,maxpool2,dense10 takes 1×4×3 images to 10 classes, not MNIST's 1×28×28 to 10")
	_, err = NewModel(a, other.InitParams(1))
	assert.ErrorContains(t, err, "params: ")
}

// TestLoadStateDict: a checkpoint without an arch in its metadata (as PyTorch's
// safetensors.torch.save_file writes a state_dict) says how to load it.
func TestLoadStateDict(t *testing.T) {
	file, err := os.ReadFile(smallModel)
	require.NoError(t, err)
	n := binary.LittleEndian.Uint64(file)
	var h map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(file[8:8+n], &h))
	delete(h, "__metadata__")
	js, err := json.Marshal(h)
	require.NoError(t, err)
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	plain := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	plain = append(append(plain, js...), file[8+n:]...)
	path := filepath.Join(t.TempDir(), "plain.safetensors")
	require.NoError(t, os.WriteFile(path, plain, 0o644))
	_, err = Load(path)
	assert.ErrorIs(t, err, checkpoint.ErrNoArch)
	assert.ErrorContains(t, err, "plain.safetensors")
	assert.ErrorContains(t, err, "NewModel")
}
