package optest

import (
	"errors"
	"os"
	"os/exec"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/model"
)

// More deliberate faults for the suite to catch, beside brokenOps (suite_test.go): each
// one is a check of the suite that a deliberate weakening of the suite itself (checking
// the first guard value only, never drawing an Offset, …) let through unnoticed.

// faultyOps is refOps with one of these faults, named by fault.
type faultyOps struct {
	refOps
	fault string
}

// MaxPoolForward: "far-overrun" writes the last guard value after out, not the first.
func (f faultyOps) MaxPoolForward(out []float32, argmax []int32, in []float32, s model.PoolShape) error {
	err := f.refOps.MaxPoolForward(out, argmax, in, s)
	if f.fault == "far-overrun" && len(out) > 0 {
		unsafe.Slice(&out[0], len(out)+guardLen)[len(out)+guardLen-1] = 0
	}
	return err
}

// MaxPoolBackward: "argmax-input" clears its argmax input after a correct result;
// "argmax-bound" takes an index equal to len(dIn) for a valid one and ignores it.
func (f faultyOps) MaxPoolBackward(dIn, dOut []float32, argmax []int32, s model.PoolShape) error {
	switch f.fault {
	case "argmax-input":
		err := f.refOps.MaxPoolBackward(dIn, dOut, argmax, s)
		clear(argmax)
		return err
	case "argmax-bound":
		if len(dIn) != s.InLen() || len(dOut) != s.OutLen() || len(argmax) != s.OutLen() {
			return errors.New("MaxPoolBackward: dIn, dOut or argmax has the wrong length")
		}
		for _, a := range argmax {
			if a < 0 || int(a) > len(dIn) {
				return errors.New("MaxPoolBackward: an argmax index is outside dIn")
			}
		}
		clear(dIn)
		for j, a := range argmax {
			if int(a) < len(dIn) {
				dIn[a] = dOut[j]
			}
		}
		return nil
	}
	return f.refOps.MaxPoolBackward(dIn, dOut, argmax, s)
}

// DropoutForward: "offset" draws the mask as if every slice started its batch;
// "seed-bit31" loses the seed's top bit, as a shader with a signed or 31-bit seed would.
func (f faultyOps) DropoutForward(out, in []float32, d model.DropoutParams) error {
	switch f.fault {
	case "offset":
		d.Offset = 0
	case "seed-bit31":
		d.Seed &^= 1 << 31
	}
	return f.refOps.DropoutForward(out, in, d)
}

// DenseForward: "long" accepts slices longer than the shape needs (and computes on the
// prefix); "clobber" returns the error for a bad slice after zeroing its input in.
func (f faultyOps) DenseForward(out, in, w, b []float32, s model.DenseShape) error {
	short := len(out) < s.N*s.Out || len(in) < s.N*s.In || len(w) < s.Out*s.In || len(b) < s.Out
	bad := len(out) != s.N*s.Out || len(in) != s.N*s.In || len(w) != s.Out*s.In || len(b) != s.Out
	switch f.fault {
	case "long":
		if short {
			return errors.New("DenseForward: out, in, w or b is too short")
		}
		return f.refOps.DenseForward(out[:s.N*s.Out], in[:s.N*s.In], w[:s.Out*s.In], b[:s.Out], s)
	case "clobber":
		if bad {
			clear(in)
			return errors.New("DenseForward: out, in, w or b has the wrong length")
		}
	}
	return f.refOps.DenseForward(out, in, w, b, s)
}

// faultyEnv names the fault that TestFaultyOp runs in a child process.
const faultyEnv = "OPTEST_FAULTY_OP"

// TestFaultyOp is the child of TestSuiteCatchesFaultyOps: it runs one op's test against
// faultyOps and is expected to fail.
func TestFaultyOp(t *testing.T) {
	fault := os.Getenv(faultyEnv)
	if fault == "" {
		t.Skip("runs only as the child process of TestSuiteCatchesFaultyOps")
	}
	ops := faultyOps{fault: fault}
	switch fault {
	case "far-overrun":
		MaxPoolForward(t, ops)
	case "argmax-input":
		MaxPoolBackward(t, ops)
	case "offset", "seed-bit31":
		DropoutForward(t, ops)
	case "argmax-bound", "long", "clobber":
		BadArguments(t, ops)
	default:
		t.Fatalf("no fault %q", fault)
	}
}

// TestSuiteCatchesFaultyOps runs the suite against faultyOps (in a child process, since
// the failure is the point) and checks that it fails with the right diagnosis.
func TestSuiteCatchesFaultyOps(t *testing.T) {
	for fault, want := range map[string]string{
		"far-overrun":  "the op wrote past the end of out",
		"argmax-input": "the op changed its input argmax",
		"offset":       "mask (1 = kept)",
		"seed-bit31":   "mask (1 = kept)",
		"argmax-bound": "accepted a bad argmax: no error",
		"long":         "accepted a bad out: no error",
		"clobber":      "changed its input in",
	} {
		t.Run(fault, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestFaultyOp$", "-test.v")
			cmd.Env = append(os.Environ(), faultyEnv+"="+fault)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "the suite must fail; output:\n%s", out)
			assert.Contains(t, string(out), want)
		})
	}
}
