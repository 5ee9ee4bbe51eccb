package enginetest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/gpu"
	"github.com/vkcnn/vkcnn/internal/gputest"
	"github.com/vkcnn/vkcnn/model"
)

// The PyTorch reference states of scripts/torch_reference.py (see its doc for every
// tensor): initial weights, 24 MNIST images, PyTorch's logits, loss and gradients on the
// first 8, and the weights after 3 SGD steps with momentum over batches of 8. Both engines
// must reproduce them within the tolerances below.
var torchFixtures = []string{"lenet-6-12", "mixed"}

// Tolerances, |engine − torch| ≤ atol + rtol·|torch| per value. Both sides compute in
// float32 but sum in different orders (PyTorch's convolutions go through blocked GEMMs, the
// engines through direct loops, chunked over samples on the CPU and tree reductions on the
// GPU), so a sum may differ in its last bits. Measured on both engines (lavapipe for the
// GPU), the largest differences are 2.4e-7 for logits, one ulp (2.4e-7) for losses near
// 2.3, 3.7e-8 for gradients and 1.5e-8 for weights after 3 steps; each bound below is about
// 10× that. A wrong op misses them by far: the loss gradient scaled by 1.001 moves the
// gradients by up to 2e-4 and the weights after 3 steps by up to 4e-5, failing thousands
// of values; one gradient value of the fixture off by 1e-4 of itself fails on its own.
var (
	// Logits, below 1 in magnitude.
	tolLogits = tolerance{atol: 1e-6, rtol: 1e-6}
	// The batch losses, near 2.3 (ln 10): 10 ulp.
	tolLoss = tolerance{atol: 0, rtol: 1e-6}
	// Gradients, of order 1e-5..1e-1; a conv weight's sums up to 8·24·24 terms of mixed
	// sign, so small values carry absolute rather than relative error.
	tolGrad = tolerance{atol: 3e-7, rtol: 1e-5}
	// Weights after 3 steps, of order 0.01..0.4: w0 − Σ lr·v, lr ≤ 0.05.
	tolFinal = tolerance{atol: 1e-7, rtol: 1e-6}
)

type tolerance struct{ atol, rtol float64 }

// fixture is a safetensors file read into float32 and uint8 tensors by name.
type fixture struct {
	meta   map[string]string
	f32    map[string][]float32
	u8     map[string][]uint8
	shapes map[string][]int
}

// readFixture reads a safetensors file holding only F32 and U8 tensors (8-byte LE header
// length, JSON header, data; see package checkpoint's doc).
func readFixture(t *testing.T, path string) *fixture {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err, "the fixture is committed; regenerate it with scripts/torch_reference.py")
	require.GreaterOrEqual(t, len(data), 8, path)
	n := binary.LittleEndian.Uint64(data)
	require.LessOrEqual(t, n, uint64(len(data)-8), path)
	var header map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data[8:8+n], &header), path)
	body := data[8+n:]
	f := &fixture{f32: map[string][]float32{}, u8: map[string][]uint8{}, shapes: map[string][]int{}}
	for name, raw := range header {
		if name == "__metadata__" {
			require.NoError(t, json.Unmarshal(raw, &f.meta), path)
			continue
		}
		var e struct {
			Dtype       string
			Shape       []int
			DataOffsets [2]int `json:"data_offsets"`
		}
		require.NoError(t, json.Unmarshal(raw, &e), "%s: %s", path, name)
		require.True(t, 0 <= e.DataOffsets[0] && e.DataOffsets[0] <= e.DataOffsets[1] && e.DataOffsets[1] <= len(body), "%s: %s: offsets %v", path, name, e.DataOffsets)
		b := body[e.DataOffsets[0]:e.DataOffsets[1]]
		f.shapes[name] = e.Shape
		switch e.Dtype {
		case "F32":
			v := make([]float32, len(b)/4)
			for i := range v {
				v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
			f.f32[name] = v
		case "U8":
			f.u8[name] = b
		default:
			t.Fatalf("%s: %s: dtype %s", path, name, e.Dtype)
		}
	}
	return f
}

// params returns the fixture's tensors prefix+name for every parameter of a.
func (f *fixture) params(t *testing.T, a *model.Arch, prefix string) *model.Params {
	t.Helper()
	p := a.NewParams()
	for _, q := range p.Tensors {
		v, ok := f.f32[prefix+q.Name]
		require.True(t, ok, "fixture has no %s%s", prefix, q.Name)
		require.Equal(t, q.Shape, f.shapes[prefix+q.Name], "%s%s", prefix, q.Name)
		copy(q.Data, v)
	}
	return p
}

// dataset returns the fixture's images (pixel bytes → byte/255) and labels.
func (f *fixture) dataset(t *testing.T) *engine.Dataset {
	t.Helper()
	sh := f.shapes["images"]
	require.Len(t, sh, 3)
	d := &engine.Dataset{N: sh[0], H: sh[1], W: sh[2], Images: make([]float32, len(f.u8["images"])), Labels: f.u8["labels"]}
	for i, b := range f.u8["images"] {
		d.Images[i] = float32(b) / 255
	}
	require.Len(t, d.Labels, d.N)
	return d
}

// checkClose fails t for every value outside tol of want and reports the largest
// difference and the first mismatch.
func checkClose(t *testing.T, what string, got, want []float32, tol tolerance) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	bad, first, maxDiff := 0, -1, 0.0
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		maxDiff = math.Max(maxDiff, d)
		if !(d <= tol.atol+tol.rtol*math.Abs(float64(want[i]))) { // NaN fails too
			if first < 0 {
				first = i
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values outside atol %g + rtol %g; max |diff| %.3g; first at [%d]: got %.9g, torch %.9g",
			what, bad, len(want), tol.atol, tol.rtol, maxDiff, first, got[first], want[first])
	} else if testing.Verbose() {
		t.Logf("%s: max |diff| %.3g over %d values", what, maxDiff, len(want))
	}
}

// TestTorchReference checks both engines against PyTorch: one step's logits, loss and
// every gradient from the initial weights, then the step losses and the weights after 3
// SGD steps with momentum (one epoch over the fixture's 24 images in batches of 8).
func TestTorchReference(t *testing.T) {
	for _, name := range torchFixtures {
		f := readFixture(t, "../../testdata/torch/"+name+".safetensors")
		a, err := model.Parse(f.meta["arch"])
		require.NoError(t, err)
		require.Equal(t, f.meta["arch"], a.Spec, "the fixture's arch is canonical")
		data := f.dataset(t)
		var batch int
		var momentum float32
		_, err = fmt.Sscan(f.meta["batch"], &batch)
		require.NoError(t, err)
		_, err = fmt.Sscan(f.meta["momentum"], &momentum)
		require.NoError(t, err)
		lr := f.f32["lr"]
		require.Equal(t, engine.Steps(data.N, batch), len(lr), "one epoch is the fixture's steps")
		cfg := engine.Config{Arch: a, Batch: batch, Momentum: momentum, Seed: 1, Train: data, Test: data}
		for _, kind := range []string{"cpu", "gpu"} {
			t.Run(name+"/"+kind, func(t *testing.T) {
				e := newEngine(t, kind, cfg)
				require.NoError(t, e.SetParams(f.params(t, a, "init.")))
				idx := make([]int32, batch)
				for i := range idx {
					idx[i] = int32(i)
				}
				st, err := e.(engine.Inspector).Gradient(idx, 0)
				require.NoError(t, err)
				checkClose(t, "logits", st.Logits, f.f32["logits"], tolLogits)
				checkClose(t, "loss", []float32{st.Loss}, f.f32["loss"], tolLoss)
				want := f.params(t, a, "grad.")
				for i, g := range st.Grad.Tensors {
					checkClose(t, "gradient "+g.Name, g.Data, want.Tensors[i].Data, tolGrad)
				}

				order := make([]int32, data.N)
				for i := range order {
					order[i] = int32(i)
				}
				res, err := e.TrainEpoch(engine.Epoch{Order: order, LR: lr}, nil)
				require.NoError(t, err)
				checkClose(t, "step losses", res.StepLoss, f.f32["step_loss"], tolLoss)
				p, err := e.Params()
				require.NoError(t, err)
				final := f.params(t, a, "final.")
				for i, w := range p.Tensors {
					checkClose(t, "after 3 steps "+w.Name, w.Data, final.Tensors[i].Data, tolFinal)
				}
			})
		}
	}
}

// newEngine builds a cpu or gpu engine for cfg. The GPU engine runs under the validation
// layer (any message fails the test); it skips only when there is no Vulkan device
// (vulkan.ErrNoDevice), and fails then too under VKCNN_REQUIRE_GPU=1 (see gputest.Need).
func newEngine(t *testing.T, kind string, cfg engine.Config) engine.Engine {
	t.Helper()
	if kind == "cpu" {
		e, err := cpu.New(cfg)
		require.NoError(t, err)
		return e
	}
	e, err := gpu.NewEngine(cfg, gpu.EngineOptions{Device: gputest.Options()})
	gputest.Need(t, err)
	t.Cleanup(func() {
		d := e.Vulkan()
		msgs := d.ValidationMessages()
		require.NoError(t, e.Close())
		msgs = append(msgs, d.ValidationMessages()...)
		require.Empty(t, msgs, "validation messages")
	})
	return e
}

// TestGradientArgs checks that both engines refuse a Gradient call outside its contract
// with an error naming the problem, and accept the edges of it.
func TestGradientArgs(t *testing.T) {
	f := readFixture(t, "../../testdata/torch/lenet-6-12.safetensors")
	a, err := model.Parse(f.meta["arch"])
	require.NoError(t, err)
	data := f.dataset(t)
	cfg := engine.Config{Arch: a, Batch: 8, Momentum: 0.9, Seed: 1, Train: data, Test: data}
	for _, kind := range []string{"cpu", "gpu"} {
		t.Run(kind, func(t *testing.T) {
			e := newEngine(t, kind, cfg).(engine.Inspector)
			for _, c := range []struct {
				idx  []int32
				step int
				want string
			}{
				{nil, 0, "gradient of 0 samples, want 1 to 8"},
				{make([]int32, 9), 0, "gradient of 9 samples, want 1 to 8"},
				{[]int32{0, 24}, 0, "sample index 24 out of range [0, 24)"},
				{[]int32{-1}, 0, "sample index -1 out of range [0, 24)"},
				{[]int32{0}, -1, "step -1 out of range"},
				{[]int32{0}, 1 << 32, "step 4294967296 out of range"},
			} {
				_, err := e.Gradient(c.idx, c.step)
				require.EqualError(t, err, kind+": "+c.want)
			}
			st, err := e.Gradient([]int32{23}, 1<<32-1)
			require.NoError(t, err)
			require.Len(t, st.Logits, 10)
		})
	}
	// A batch larger than the set: a step holds at most the whole set (StepSamples).
	big := cfg
	big.Batch = 100
	for _, kind := range []string{"cpu", "gpu"} {
		t.Run(kind+"/batch>N", func(t *testing.T) {
			e := newEngine(t, kind, big).(engine.Inspector)
			_, err := e.Gradient(make([]int32, 25), 0)
			require.EqualError(t, err, kind+": gradient of 25 samples, want 1 to 24")
			_, err = e.Gradient(make([]int32, 24), 0)
			require.NoError(t, err)
		})
	}
}
