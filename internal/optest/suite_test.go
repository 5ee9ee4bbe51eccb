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

	"github.com/vkcnn/vkcnn/internal/ref"
	"github.com/vkcnn/vkcnn/model"
)

func TestCompareF32(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tol := Tol{Atol: 0.1, Rtol: 0.01}
	assert.Nil(t, compareF32([]float32{1, 2, 3}, []float64{1, 2, 3}, Exact))
	assert.Nil(t, compareF32([]float32{0}, []float64{math.Copysign(0, -1)}, Exact), "±0 are equal")
	// Allowed at ref = 100: 0.1 + 0.01·100 = 1.1.
	assert.Nil(t, compareF32([]float32{101.05, -0.05}, []float64{100, 0}, tol))

	m := compareF32([]float32{1, 5, 101.2, 7}, []float64{1, 2, 100, 7}, tol)
	require.NotNil(t, m)
	assert.Equal(t, 2, m.count)
	assert.Equal(t, 1, m.first, "first index out of tolerance")
	assert.Equal(t, 1, m.maxAt)
	assert.InDelta(t, 3, m.maxDiff, 1e-6)
	assert.Contains(t, m.String(), "first mismatch at index 1: got 5, ref 2")

	for _, bad := range []float32{nan, inf, -inf} {
		m = compareF32([]float32{0, bad}, []float64{0, 1}, Tol{Atol: 1e30})
		require.NotNil(t, m, "%v never matches", bad)
		assert.Equal(t, 1, m.first)
		assert.True(t, math.IsInf(m.maxDiff, 1))
	}
	// A float32 result off the float64 reference by its own rounding: within an Rtol of
	// 2^−24, not Exact.
	assert.Nil(t, compareF32([]float32{0.1}, []float64{0.1}, Tol{Rtol: 0x1p-24}))
	assert.NotNil(t, compareF32([]float32{0.1}, []float64{0.1}, Exact))
	assert.Panics(t, func() { compareF32(make([]float32, 2), make([]float64, 3), Exact) })
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

// brokenOps is refOps with one deliberate fault, named by fault.
type brokenOps struct {
	refOps
	fault string
}

func (b brokenOps) Conv2DForward(out, in, w, bias []float32, s model.ConvShape) error {
	err := b.refOps.Conv2DForward(out, in, w, bias, s)
	if b.fault == "value" {
		out[len(out)/2] *= 1.001
	}
	return err
}

func (b brokenOps) ReLUForward(out, in []float32) error {
	err := b.refOps.ReLUForward(out, in)
	switch b.fault {
	case "input":
		if len(in) > 0 {
			in[0] = 42
		}
	case "relu0.25": // the mutation of issue 6: max(v, 0.25)
		for i, v := range in {
			out[i] = max(v, 0.25)
		}
	}
	return err
}

func (b brokenOps) MaxPoolForward(out []float32, argmax []int32, in []float32, s model.PoolShape) error {
	err := b.refOps.MaxPoolForward(out, argmax, in, s)
	switch b.fault {
	case "argmax":
		argmax[len(argmax)-1]++
	case "overrun": // what a device copy of one value too many into the slice does
		unsafe.Slice(&out[0], len(out)+1)[len(out)] = 0
	}
	return err
}

func (b brokenOps) MaxPoolBackward(dIn, dOut []float32, argmax []int32, s model.PoolShape) error {
	if b.fault == "argmax-range" { // skips indices outside dIn, as a shader scanning its window would
		if len(dIn) != s.InLen() || len(dOut) != s.OutLen() || len(argmax) != s.OutLen() {
			return errors.New("MaxPoolBackward: dIn, dOut or argmax has the wrong length")
		}
		clear(dIn)
		for j, a := range argmax {
			if a >= 0 && int(a) < len(dIn) {
				dIn[a] = dOut[j]
			}
		}
		return nil
	}
	return b.refOps.MaxPoolBackward(dIn, dOut, argmax, s)
}

func (b brokenOps) AvgPoolBackward(dIn, dOut []float32, s model.PoolShape) error {
	err := b.refOps.AvgPoolBackward(dIn, dOut, s)
	if b.fault == "unwritten" && len(dIn) > 0 {
		dIn[len(dIn)-1] = float32(math.NaN()) // as if never written: still the poison
	}
	return err
}

func (b brokenOps) DropoutForward(out, in []float32, d model.DropoutParams) error {
	err := b.refOps.DropoutForward(out, in, d)
	if b.fault == "mask" {
		for i := range out {
			if out[i] != 0 {
				out[i] = 0
				break
			}
		}
	}
	return err
}

// DenseForward has the faults of argument checking: none (the reference's panic escapes),
// none at all (a short slice is silently half-computed), a write before the check, and an
// error that does not say which argument is wrong.
func (b brokenOps) DenseForward(out, in, w, bias []float32, s model.DenseShape) error {
	bad := len(out) != s.N*s.Out || len(in) != s.N*s.In || len(w) != s.Out*s.In || len(bias) != s.Out
	switch b.fault {
	case "panic":
		y := make([]float64, len(out))
		ref.DenseForward(y, ref.To64(in), ref.To64(w), ref.To64(bias), s)
		set(out, y)
		return nil
	case "accept":
		if bad {
			return nil
		}
	case "write":
		clear(out)
	case "anonymous":
		if bad {
			return errors.New("bad length")
		}
	}
	return b.refOps.DenseForward(out, in, w, bias, s)
}

func (b brokenOps) SGDUpdate(w, v, g []float32, lr, momentum float32) error {
	switch b.fault {
	case "error":
		return errors.New("device lost")
	case "momentum":
		err := b.refOps.SGDUpdate(w, v, g, lr, momentum)
		if momentum == 0 {
			copy(v, g)
		}
		return err
	}
	return b.refOps.SGDUpdate(w, v, g, lr, momentum)
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
	case "input", "relu0.25":
		ReLUForward(t, ops)
	case "panic", "accept", "write", "anonymous", "argmax-range":
		BadArguments(t, ops)
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
		"relu0.25":  "out (1000 values, tolerance 0 + 0·|ref|)",
		// bad arguments
		"panic":        "panicked instead of returning an error: ref: dense",
		"accept":       "accepted a bad in: no error",
		"write":        "wrote into out although it returned an error",
		"anonymous":    "the error does not name the argument w: bad length",
		"argmax-range": "accepted a bad argmax: no error",
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
