package train

import (
	"errors"
	"fmt"
	"math"

	"vkcnn/engine"
	"vkcnn/model"
)

// Verify re-runs every Every-th step of a run (global steps k with k mod Every = Every−1)
// on a second engine, Ref (the CPU engine, for a GPU run), from the same parameters,
// momentum and batch, and stops the run when the two disagree.
//
// A checked step is run alone on the run's engine (engine.Epoch.From = k, To = k+1) and on
// Ref after Ref is given the run's parameters and momentum buffers; the two must agree on
// the step's loss, and on every parameter and momentum value after the update, within
//
//	|run − ref| ≤ ATol + RTol·|ref|
//
// (zero tolerances: DefaultVerifyTol). Both engines must implement engine.OptimState.
// Engines that run whole epochs on the device (gpu) then run an epoch in segments that
// end at the checked steps: the steps are the same, only the submissions change.
type Verify struct {
	Every int
	Ref   engine.Engine
	// Loss, Params are the tolerances of the step loss and of the parameters and momentum
	// after the update (the zero value: DefaultVerifyTol).
	Loss, Params Tol
	// Corrupt, when not nil, changes the run's parameters after a checked step before they
	// are compared: a test's way to see a broken engine caught.
	Corrupt func(p *model.Params)
}

// Tol is a tolerance |got − want| ≤ ATol + RTol·|want|.
type Tol struct{ ATol, RTol float64 }

// DefaultVerifyTol is the tolerance of Verify's comparisons. The engines compute the same
// float32 operations in different orders (the GPU's sums are tree reductions, the CPU's
// chunked loops), which moves a loss by a few ulp and a gradient by about 1e-6 of its
// largest values; an update w − lr·(μ·v + g) carries that difference scaled by lr. The
// tolerances are about 10× the differences measured on lenet-6-12 and conv3-16-32-32
// (lavapipe against the CPU engine), and far below what a wrong kernel gives (a missing
// term, a wrong index: differences of the size of the values themselves).
var DefaultVerifyTol = struct{ Loss, Params Tol }{
	Loss:   Tol{ATol: 1e-5, RTol: 1e-5},
	Params: Tol{ATol: 1e-6, RTol: 1e-4},
}

// VerifyError is a checked step on which the two engines disagree.
type VerifyError struct {
	Step          int    // global step
	Tensor        string // "loss", a parameter's name or "momentum of " one
	Index         int
	Got, Want     float32
	Diff, Allowed float64
	Run, Ref      string // the engines' names
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("verify: step %d: %s[%d] is %.9g on %s and %.9g on %s: |diff| %.3g > %.3g allowed; the %s engine computed a wrong result",
		e.Step, e.Tensor, e.Index, e.Got, e.Run, e.Want, e.Ref, e.Diff, e.Allowed, e.Run)
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
	if (v.Loss == Tol{}) && (v.Params == Tol{}) {
		v.Loss, v.Params = DefaultVerifyTol.Loss, DefaultVerifyTol.Params
	}
	return nil
}

// step runs step ep.From of the epoch on e and on v.Ref from e's state and compares.
func (v *Verify) step(e engine.Engine, ep engine.Epoch) (engine.EpochResult, error) {
	p, err := e.Params()
	if err != nil {
		return engine.EpochResult{}, err
	}
	m, err := e.(engine.OptimState).Momentum()
	if err != nil {
		return engine.EpochResult{}, err
	}
	if err := v.Ref.SetParams(p); err != nil {
		return engine.EpochResult{}, fmt.Errorf("verify: %w", err)
	}
	if err := v.Ref.(engine.OptimState).SetMomentum(m); err != nil {
		return engine.EpochResult{}, fmt.Errorf("verify: %w", err)
	}
	ep.Stop = nil // the step is run to its end on both engines
	got, err := e.TrainEpoch(ep, nil)
	if err != nil {
		return engine.EpochResult{}, fmt.Errorf("epoch step %d: %w", ep.FirstStep+ep.From, err)
	}
	want, err := v.Ref.TrainEpoch(ep, nil)
	if err != nil {
		return engine.EpochResult{}, fmt.Errorf("verify: %w", err)
	}
	step := ep.FirstStep + ep.From
	fail := func(tensor string, i int, g, w float32, tol Tol) error {
		d := math.Abs(float64(g) - float64(w))
		allowed := tol.ATol + tol.RTol*math.Abs(float64(w))
		if d <= allowed { // NaN fails
			return nil
		}
		return &VerifyError{Step: step, Tensor: tensor, Index: i, Got: g, Want: w, Diff: d, Allowed: allowed, Run: e.Name(), Ref: v.Ref.Name()}
	}
	if len(got.StepLoss) != 1 || len(want.StepLoss) != 1 {
		return engine.EpochResult{}, fmt.Errorf("verify: step %d: %d and %d losses for one step", step, len(got.StepLoss), len(want.StepLoss))
	}
	if err := fail("loss", 0, got.StepLoss[0], want.StepLoss[0], v.Loss); err != nil {
		return engine.EpochResult{}, err
	}
	for _, what := range []string{"", "momentum of "} {
		var g, w *model.Params
		if what == "" {
			g, err = e.Params()
			if err == nil {
				w, err = v.Ref.Params()
			}
			if err == nil && v.Corrupt != nil {
				v.Corrupt(g)
			}
		} else {
			g, err = e.(engine.OptimState).Momentum()
			if err == nil {
				w, err = v.Ref.(engine.OptimState).Momentum()
			}
		}
		if err != nil {
			return engine.EpochResult{}, fmt.Errorf("verify: %w", err)
		}
		for t := range g.Tensors {
			for i, x := range g.Tensors[t].Data {
				if err := fail(what+g.Tensors[t].Name, i, x, w.Tensors[t].Data[i], v.Params); err != nil {
					return engine.EpochResult{}, err
				}
			}
		}
	}
	return got, nil
}
