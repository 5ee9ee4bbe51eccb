package optest

import (
	"hash/fnv"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/internal/rng"
)

// All runs every op's test as a subtest, then the bad-argument cases.
func All(t *testing.T, ops Ops) {
	for _, c := range []struct {
		name string
		test func(*testing.T, Ops)
	}{
		{"Conv2DForward", Conv2DForward},
		{"Conv2DBackwardData", Conv2DBackwardData},
		{"Conv2DBackwardFilter", Conv2DBackwardFilter},
		{"ReLUForward", ReLUForward},
		{"ReLUBackward", ReLUBackward},
		{"SigmoidForward", SigmoidForward},
		{"SigmoidBackward", SigmoidBackward},
		{"MaxPoolForward", MaxPoolForward},
		{"MaxPoolBackward", MaxPoolBackward},
		{"MinPoolForward", MinPoolForward},
		{"MinPoolBackward", MinPoolBackward},
		{"AvgPoolForward", AvgPoolForward},
		{"AvgPoolBackward", AvgPoolBackward},
		{"DropoutForward", DropoutForward},
		{"DropoutBackward", DropoutBackward},
		{"DenseForward", DenseForward},
		{"DenseBackwardData", DenseBackwardData},
		{"DenseBackwardWeights", DenseBackwardWeights},
		{"SoftmaxCrossEntropy", SoftmaxCrossEntropy},
		{"SGDUpdate", SGDUpdate},
		{"BadArguments", BadArguments},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, ops) })
	}
}

// guardLen sentinel values follow every output buffer; an op that writes past the end of
// its slice overwrites them. (The suite passes exact-length slices with no spare capacity;
// a GPU implementation copies exactly that many values back, so it has to guard its device
// buffers itself.)
const guardLen = 16

var (
	sentinelF32 = math.Float32frombits(0x7f7fa5a5) // a large finite value no op produces
	sentinelI32 = int32(0x5a5a5a5a)
	poisonF32   = float32(math.NaN())
	poisonI32   = int32(math.MinInt32)
)

// seedEnv names the environment variable whose integer value changes every case's seed.
const seedEnv = "OPTEST_SEED"

// caseSeed is the seed of one case: a hash of its op and case names, mixed with the
// base seed from OPTEST_SEED (0 when unset), so that a failure reproduces by rerunning.
func caseSeed(op, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(op + "/" + name))
	base, _ := strconv.ParseUint(os.Getenv(seedEnv), 0, 64)
	return h.Sum64() ^ base*0x9e3779b97f4a7c15
}

// env is one case of one op: its random source and the buffers it hands to the op.
type env struct {
	t    *testing.T
	src  *rng.Source
	ins  []input
	outs []guarded
}

// input is an input slice and a copy of its values, to check that the op left it alone.
type input struct {
	name      string
	f32, orig []float32
	i32, oi32 []int32
}

// guarded is an output: an exact-length view of a buffer followed by guardLen sentinels.
type guarded struct {
	name string
	f32  []float32
	i32  []int32
	n    int
}

// run runs one case of op as a subtest named name, with a source seeded for it.
func run(t *testing.T, op, name string, f func(e *env)) {
	t.Run(name, func(t *testing.T) {
		seed := caseSeed(op, name)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("%s/%s: inputs drawn from seed %#x (%s=%q reproduces them; another value draws others)", op, name, seed, seedEnv, os.Getenv(seedEnv))
			}
		})
		f(&env{t: t, src: rng.New(seed)})
	})
}

// uniform returns an input of n values uniform in [lo, hi).
func (e *env) uniform(name string, n int, lo, hi float32) []float32 {
	return e.input(name, e.draw(n, lo, hi))
}

// draw returns n values uniform in [lo, hi), not yet registered as an input.
func (e *env) draw(n int, lo, hi float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = lo + (hi-lo)*e.src.Float32()
	}
	return x
}

// distinct returns an input of n distinct values in [lo, hi) in random order.
func (e *env) distinct(name string, n int, lo, hi float32) []float32 {
	return e.input(name, e.drawDistinct(n, lo, hi))
}

// drawDistinct returns n distinct values in [lo, hi) in random order, not yet registered as
// an input: the values lie in the n equal bins of [lo, hi), one in each, at least
// (hi−lo)/(4n) from its neighbours, so that no maximum is tied.
func (e *env) drawDistinct(n int, lo, hi float32) []float32 {
	order := make([]int32, n)
	e.src.Perm(order)
	x := make([]float32, n)
	width := float64(hi-lo) / float64(n)
	for i, p := range order {
		x[i] = lo + float32(width*(float64(p)+0.25+0.5*float64(e.src.Float32())))
	}
	return x
}

// input registers x as an input of the op.
func (e *env) input(name string, x []float32) []float32 {
	x = x[:len(x):len(x)]
	e.ins = append(e.ins, input{name: name, f32: x, orig: slices.Clone(x)})
	return x
}

// inputI32 registers x as an int32 input of the op.
func (e *env) inputI32(name string, x []int32) []int32 {
	x = x[:len(x):len(x)]
	e.ins = append(e.ins, input{name: name, i32: x, oi32: slices.Clone(x)})
	return x
}

// out returns an output of n values poisoned with NaN, guarded.
func (e *env) out(name string, n int) []float32 {
	buf := make([]float32, n+guardLen)
	for i := range buf {
		buf[i] = poisonF32
	}
	for i := n; i < len(buf); i++ {
		buf[i] = sentinelF32
	}
	e.outs = append(e.outs, guarded{name: name, f32: buf, n: n})
	return buf[:n:n]
}

// outI32 returns an int32 output of n values poisoned with MinInt32, guarded.
func (e *env) outI32(name string, n int) []int32 {
	buf := make([]int32, n+guardLen)
	for i := range buf {
		buf[i] = poisonI32
	}
	for i := n; i < len(buf); i++ {
		buf[i] = sentinelI32
	}
	e.outs = append(e.outs, guarded{name: name, i32: buf, n: n})
	return buf[:n:n]
}

// inout returns a guarded buffer holding a copy of values, for an op that updates it.
func (e *env) inout(name string, values []float32) []float32 {
	x := e.out(name, len(values))
	copy(x, values)
	return x
}

// check requires that the op returned no error, left its inputs unchanged and wrote
// nothing past the end of any output.
func (e *env) check(err error) {
	t := e.t
	t.Helper()
	require.NoError(t, err)
	for _, in := range e.ins {
		if in.f32 != nil {
			if !equalBits(in.f32, in.orig) {
				t.Fatalf("the op changed its input %s", in.name)
			}
		} else if !slices.Equal(in.i32, in.oi32) {
			t.Fatalf("the op changed its input %s", in.name)
		}
	}
	for _, g := range e.outs {
		for i := g.n; i < g.n+guardLen; i++ {
			if (g.f32 != nil && math.Float32bits(g.f32[i]) != math.Float32bits(sentinelF32)) ||
				(g.i32 != nil && g.i32[i] != sentinelI32) {
				t.Fatalf("the op wrote past the end of %s (%d values): guard value %d changed", g.name, g.n, i-g.n)
			}
		}
	}
}

func equalBits(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}

// expect reports an error when got differs from the float64 reference ref beyond tol, with
// the largest difference and the first mismatch; with -v it logs how much of the
// tolerance the values use.
func (e *env) expect(name string, got []float32, ref []float64, tol Tol) {
	e.t.Helper()
	if m := compareF32(got, ref, tol); m != nil {
		e.t.Errorf("%s (%d values, tolerance %g + %g·|ref|): %v", name, len(ref), tol.Atol, tol.Rtol, m)
		return
	}
	if d, f := headroom(got, ref, tol); d > 0 {
		e.t.Logf("%s: max |got−ref| = %.3g, %.0f%% of the tolerance", name, d, 100*f)
	}
}

// expectI32 reports an error when got differs from ref anywhere.
func (e *env) expectI32(name string, got, ref []int32) {
	e.t.Helper()
	if m := compareI32(got, ref); m != nil {
		e.t.Errorf("%s (%d values, must match exactly): %v", name, len(ref), m)
	}
}
