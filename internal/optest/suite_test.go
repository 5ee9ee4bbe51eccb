package optest

import (
	"errors"
	"math"
	"os"
	"os/exec"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"vkcnn/cpu"
	"vkcnn/model"
)

func TestCompareF32(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tol := Tol{Atol: 0.1, Rtol: 0.01}
	assert.Nil(t, compareF32([]float32{1, 2, 3}, []float32{1, 2, 3}, Exact))
	assert.Nil(t, compareF32([]float32{0}, []float32{float32(math.Copysign(0, -1))}, Exact), "±0 are equal")
	// Allowed at ref = 100: 0.1 + 0.01·100 = 1.1.
	assert.Nil(t, compareF32([]float32{101.05, -0.05}, []float32{100, 0}, tol))

	m := compareF32([]float32{1, 5, 101.2, 7}, []float32{1, 2, 100, 7}, tol)
	require.NotNil(t, m)
	assert.Equal(t, 2, m.count)
	assert.Equal(t, 1, m.first, "first index out of tolerance")
	assert.Equal(t, 1, m.maxAt)
	assert.InDelta(t, 3, m.maxDiff, 1e-6)
	assert.Contains(t, m.String(), "first mismatch at index 1: got 5, ref 2")

	for _, bad := range []float32{nan, inf, -inf} {
		m = compareF32([]float32{0, bad}, []float32{0, 1}, Tol{Atol: 1e30})
		require.NotNil(t, m, "%v never matches", bad)
		assert.Equal(t, 1, m.first)
		assert.True(t, math.IsInf(m.maxDiff, 1))
	}
	assert.Panics(t, func() { compareF32(make([]float32, 2), make([]float32, 3), Exact) })
}

func TestCompareI32(t *testing.T) {
	assert.Nil(t, compareI32([]int32{4, -1}, []int32{4, -1}))
	m := compareI32([]int32{4, 9, 0}, []int32{4, 2, 1})
	require.NotNil(t, m)
	assert.Equal(t, 2, m.count)
	assert.Equal(t, 1, m.first)
	assert.Equal(t, 9.0, m.gotAt)
}

func TestCaseSeed(t *testing.T) {
	t.Setenv(seedEnv, "")
	a := caseSeed("Conv2DForward", "x")
	assert.Equal(t, a, caseSeed("Conv2DForward", "x"), "reproducible")
	assert.NotEqual(t, a, caseSeed("Conv2DForward", "y"))
	assert.NotEqual(t, a, caseSeed("Conv2DBackwardData", "x"))
	t.Setenv(seedEnv, "7")
	assert.NotEqual(t, a, caseSeed("Conv2DForward", "x"), "OPTEST_SEED draws other inputs")
}

func TestDrawDistinct(t *testing.T) {
	e := &env{t: t}
	run(t, "draw", "distinct", func(c *env) { e = c })
	x := e.drawDistinct(1000, -1, 1)
	seen := map[float32]bool{}
	for _, v := range x {
		require.True(t, v >= -1 && v < 1, "%v in [−1, 1)", v)
		require.False(t, seen[v], "%v drawn twice", v)
		seen[v] = true
	}
}

// brokenOps is the reference with one deliberate fault, named by fault.
type brokenOps struct {
	cpu.Ops
	fault string
}

func (b brokenOps) Conv2DForward(out, in, w, bias []float32, s model.ConvShape) error {
	cpu.Conv2DForward(out, in, w, bias, s)
	if b.fault == "value" {
		out[len(out)/2] *= 1.001
	}
	return nil
}

func (b brokenOps) ReLUForward(out, in []float32) error {
	cpu.ReLUForward(out, in)
	if b.fault == "input" {
		in[0] = 42
	}
	return nil
}

func (b brokenOps) MaxPoolForward(out []float32, argmax []int32, in []float32, s model.PoolShape) error {
	cpu.MaxPoolForward(out, argmax, in, s)
	switch b.fault {
	case "argmax":
		argmax[len(argmax)-1]++
	case "overrun": // what a device copy of one value too many into the slice does
		unsafe.Slice(&out[0], len(out)+1)[len(out)] = 0
	}
	return nil
}

func (b brokenOps) AvgPoolBackward(dIn, dOut []float32, s model.PoolShape) error {
	cpu.AvgPoolBackward(dIn, dOut, s)
	if b.fault == "unwritten" {
		dIn[len(dIn)-1] = float32(math.NaN()) // as if never written: still the poison
	}
	return nil
}

func (b brokenOps) DropoutForward(out, in []float32, d model.DropoutParams) error {
	cpu.DropoutForward(out, in, d)
	if b.fault == "mask" {
		for i := range out {
			if out[i] != 0 {
				out[i] = 0
				break
			}
		}
	}
	return nil
}

func (b brokenOps) SGDUpdate(w, v, g []float32, lr, momentum float32) error {
	switch b.fault {
	case "error":
		return errors.New("device lost")
	case "momentum":
		cpu.SGDUpdate(w, v, g, lr, momentum)
		if momentum == 0 {
			copy(v, g)
		}
		return nil
	}
	cpu.SGDUpdate(w, v, g, lr, momentum)
	return nil
}

// brokenEnv names the fault that TestBrokenOp runs in a child process.
const brokenEnv = "OPTEST_BROKEN_FAULT"

// TestBrokenOp is the child of TestSuiteCatchesBrokenOps: it runs one op's test against
// brokenOps and is expected to fail.
func TestBrokenOp(t *testing.T) {
	fault := os.Getenv(brokenEnv)
	if fault == "" {
		t.Skip("runs only as the child process of TestSuiteCatchesBrokenOps")
	}
	ops := brokenOps{fault: fault}
	switch fault {
	case "value":
		Conv2DForward(t, ops)
	case "input":
		ReLUForward(t, ops)
	case "argmax", "overrun":
		MaxPoolForward(t, ops)
	case "unwritten":
		AvgPoolBackward(t, ops)
	case "mask":
		DropoutForward(t, ops)
	case "error", "momentum":
		SGDUpdate(t, ops)
	}
}

// TestSuiteCatchesBrokenOps runs the suite against implementations with one fault each
// (in a child process, since the failure is the point) and checks that it fails with the
// right diagnosis and prints the case's seed.
func TestSuiteCatchesBrokenOps(t *testing.T) {
	for fault, want := range map[string]string{
		"value":     "1 values out of tolerance",
		"input":     "the op changed its input in",
		"argmax":    "argmax (",
		"overrun":   "the op wrote past the end of out",
		"unwritten": "first mismatch at index",
		"mask":      "mask (1 = kept)",
		"error":     "device lost",
		"momentum":  "v (untouched without momentum)",
	} {
		t.Run(fault, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenOp$", "-test.v")
			cmd.Env = append(os.Environ(), brokenEnv+"="+fault)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "the suite must fail; output:\n%s", out)
			assert.Contains(t, string(out), want)
			assert.Contains(t, string(out), "inputs drawn from seed")
		})
	}
}
