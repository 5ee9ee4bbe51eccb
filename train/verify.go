package train

import (
	"errors"
	"fmt"
	"math"

	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
)

// Verify re-runs every Every-th step of a run (global steps k with k mod Every = Every−1)
// on a second engine, Ref (the CPU engine, for a GPU run), from the same parameters,
// momentum and batch, and stops the run when the two disagree.
//
// A checked step is run alone on the run's engine (engine.Epoch.From = k, To = k+1) and on
// Ref after Ref is given the run's parameters and momentum buffers. They must agree on
//
//   - the step's loss L: |L_run − L_ref| ≤ Loss.ATol + Loss.RTol·|L_ref|;
//   - every tensor's update Δ = w_before − w_after and, with momentum, its momentum buffer
//     v after the step, as a whole: ‖x_run − x_ref‖₂ ≤ Update·‖x_ref‖₂.
//
// The update is compared as a whole, not value by value, because a max-pool window whose
// two largest inputs are within a rounding error of each other may pick either, which
// sends that window's gradient to another input: a legitimate difference of a few values
// that a wrong kernel (a missing term, a wrong index or stride) dwarfs.
// Both engines must implement engine.OptimState. Engines that run whole epochs on the
// device (gpu) then run an epoch in segments that end at the checked steps: the steps are
// the same, bit for bit (engine.Epoch.From/To), only their submissions change.
type Verify struct {
	Every int
	Ref   engine.Engine
	// Loss and Update are the tolerances (the zero value: DefaultVerifyTol's).
	Loss   Tol
	Update float64
}

// Tol is a tolerance |got − want| ≤ ATol + RTol·|want|.
type Tol struct{ ATol, RTol float64 }

// DefaultVerifyTol is Verify's tolerances. The engines compute the same float32 operations
// in different orders (the GPU's sums are tree reductions, the CPU's chunked loops). On 50
// steps of batch 64 on MNIST from a fresh init (every preset but lenet-12-16, lavapipe
// against the CPU engine) the largest differences measured were |ΔL| ≈ 2.5e-7 (L ≈ 2.3)
// and a relative update difference of 1.2e-3 (lenet-6-12-dropout, max-pool near-ties;
// 3e-4 without dropout, 1e-5 for the 3-conv presets): the tolerances are about 10× those.
var DefaultVerifyTol = struct {
	Loss   Tol
	Update float64
}{Loss: Tol{ATol: 1e-6, RTol: 1e-6}, Update: 2e-2}

// VerifyError is a checked step on which the two engines disagree.
type VerifyError struct {
	Step   int    // global step, 0-based (the message counts from 1, as DivergedError's)
	Tensor string // "loss", "update of " a parameter, or "momentum of " one
	// Diff is |L_run − L_ref| for the loss, the relative difference ‖x_run − x_ref‖/‖x_ref‖
	// for a tensor, over Allowed; At is the tensor's value that differs most, Got and Want
	// its values.
	Diff, Allowed float64
	At            int
	Got, Want     float32
	Run, Ref      string // the engines' names
}

func (e *VerifyError) Error() string {
	if e.Tensor == "loss" {
		return fmt.Sprintf("verify: step %d: the loss is %.9g on %s and %.9g on %s: |diff| %.3g > %.3g allowed; the %s engine computed a wrong result",
			e.Step+1, e.Got, e.Run, e.Want, e.Ref, e.Diff, e.Allowed, e.Run)
	}
	return fmt.Sprintf("verify: step %d: %s differs by %.3g (relative, over the tensor) > %.3g allowed between %s and %s; most at [%d]: %.9g against %.9g; the %s engine computed a wrong result",
		e.Step+1, e.Tensor, e.Diff, e.Allowed, e.Run, e.Ref, e.At, e.Got, e.Want, e.Run)
}

// check makes sure v can verify runs of e.
func (v *Verify) check(e engine.Engine) error {
	if v.Every < 1 {
		return fmt.Errorf("verify: every %d steps: want 1 or more", v.Every)
	}
	if v.Ref == nil {
		return errors.New("verify: no reference engine")
	}
	for _, x := range []engine.Engine{e, v.Ref} {
		if _, ok := x.(engine.OptimState); !ok {
			return fmt.Errorf("verify: the %s engine cannot read and set its momentum", x.Name())
		}
	}
	if (v.Loss == Tol{}) && v.Update == 0 {
		v.Loss, v.Update = DefaultVerifyTol.Loss, DefaultVerifyTol.Update
	}
	return nil
}

// step runs step ep.From of the epoch on e and on v.Ref from e's state and compares.
func (v *Verify) step(e engine.Engine, ep engine.Epoch) (engine.EpochResult, error) {
	before, err := e.Params()
	if err != nil {
		return engine.EpochResult{}, err
	}
	m, err := e.(engine.OptimState).Momentum()
	if err != nil {
		return engine.EpochResult{}, err
	}
	if err := v.Ref.SetParams(before); err != nil {
		return engine.EpochResult{}, fmt.Errorf("verify: %w", err)
	}
	if err := v.Ref.(engine.OptimState).SetMomentum(m); err != nil {
		return engine.EpochResult{}, fmt.Errorf("verify: %w", err)
	}
	ep.Stop = nil // the step is run to its end on both engines
	step := ep.FirstStep + ep.From
	got, err := e.TrainEpoch(ep, nil)
	if err != nil {
		return engine.EpochResult{}, fmt.Errorf("step %d: %w", step+1, err)
	}
	want, err := v.Ref.TrainEpoch(ep, nil)
	if err != nil {
		return engine.EpochResult{}, fmt.Errorf("verify: %w", err)
	}
	if len(got.StepLoss) != 1 || len(want.StepLoss) != 1 {
		return engine.EpochResult{}, fmt.Errorf("verify: step %d: %d and %d losses for one step", step+1, len(got.StepLoss), len(want.StepLoss))
	}
	fail := &VerifyError{Step: step, Run: e.Name(), Ref: v.Ref.Name()}
	gl, wl := got.StepLoss[0], want.StepLoss[0]
	if d, allowed := math.Abs(float64(gl)-float64(wl)), v.Loss.ATol+v.Loss.RTol*math.Abs(float64(wl)); !(d <= allowed) {
		fail.Tensor, fail.Diff, fail.Allowed, fail.Got, fail.Want = "loss", d, allowed, gl, wl
		return engine.EpochResult{}, fail
	}
	after, err := e.Params()
	var ref, gm, wm *model.Params
	if err == nil {
		ref, err = v.Ref.Params()
	}
	if err == nil {
		gm, err = e.(engine.OptimState).Momentum()
	}
	if err == nil {
		wm, err = v.Ref.(engine.OptimState).Momentum()
	}
	if err != nil {
		return engine.EpochResult{}, fmt.Errorf("verify: %w", err)
	}
	for t := range after.Tensors {
		b := before.Tensors[t].Data
		delta := func(w []float32) func(i int) float64 {
			return func(i int) float64 { return float64(b[i]) - float64(w[i]) }
		}
		name := before.Tensors[t].Name
		if err := v.compare(fail, "update of "+name, len(b), delta(after.Tensors[t].Data), delta(ref.Tensors[t].Data), after.Tensors[t].Data, ref.Tensors[t].Data); err != nil {
			return engine.EpochResult{}, err
		}
		g, w := gm.Tensors[t].Data, wm.Tensors[t].Data
		if err := v.compare(fail, "momentum of "+name, len(g), at(g), at(w), g, w); err != nil {
			return engine.EpochResult{}, err
		}
	}
	return got, nil
}

// at reads x's values as float64.
func at(x []float32) func(i int) float64 { return func(i int) float64 { return float64(x[i]) } }

// compare checks ‖run − ref‖₂ ≤ v.Update·‖ref‖₂ over n values, filling fail (with the
// values gotV, wantV at the largest difference) when it does not hold.
func (v *Verify) compare(fail *VerifyError, what string, n int, run, ref func(int) float64, gotV, wantV []float32) error {
	num, den, worst, wi := 0.0, 0.0, -1.0, 0
	for i := range n {
		d := run(i) - ref(i)
		num += d * d
		den += ref(i) * ref(i)
		if math.Abs(d) > worst || math.IsNaN(d) {
			worst, wi = math.Abs(d), i
		}
	}
	if math.Sqrt(num) <= v.Update*math.Sqrt(den) { // NaN fails
		return nil
	}
	fail.Tensor, fail.Allowed, fail.At, fail.Got, fail.Want = what, v.Update, wi, gotV[wi], wantV[wi]
	fail.Diff = math.Sqrt(num / den)
	return fail
}
