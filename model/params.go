package model

import (
	"fmt"
	"math"

	"github.com/vkcnn/vkcnn/internal/rng"
)

// Tensor is a named float32 array with its shape (row-major, last index fastest).
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Params are a network's parameters in a fixed order: for every layer with parameters,
// in network order, "<name>.weight" then "<name>.bias".
type Params struct {
	Tensors []Tensor
}

// ParamShapes lists the names and shapes of the arch's parameters in Params order.
func (a *Arch) ParamShapes() []Tensor {
	var ts []Tensor
	for i := range a.Layers {
		l := &a.Layers[i]
		if !l.HasParams() {
			continue
		}
		ws := l.WeightShape()
		ts = append(ts,
			Tensor{Name: l.Name + ".weight", Shape: ws},
			Tensor{Name: l.Name + ".bias", Shape: []int{ws[0]}})
	}
	return ts
}

// NeedsInputGrad reports whether layer i must pass a gradient to its input: only when some
// earlier layer has parameters (the first conv of a network needs no input gradient).
func (a *Arch) NeedsInputGrad(i int) bool {
	for j := 0; j < i; j++ {
		if a.Layers[j].HasParams() {
			return true
		}
	}
	return false
}

// NumParams is the total number of parameter values.
func (a *Arch) NumParams() int {
	n := 0
	for _, t := range a.ParamShapes() {
		n += numel(t.Shape)
	}
	return n
}

// NewParams returns zero-filled parameters for the arch.
func (a *Arch) NewParams() *Params {
	ts := a.ParamShapes()
	for i := range ts {
		ts[i].Data = make([]float32, numel(ts[i].Shape))
	}
	return &Params{Tensors: ts}
}

// InitParams returns parameters drawn uniform in ±1/√fan_in from seed, tensor by tensor in
// Params order, element by element in layout order.
func (a *Arch) InitParams(seed uint64) *Params {
	p := a.NewParams()
	src := rng.New(seed)
	k := 0
	for i := range a.Layers {
		l := &a.Layers[i]
		if !l.HasParams() {
			continue
		}
		bound := float32(1 / math.Sqrt(float64(l.FanIn())))
		for _, t := range p.Tensors[k : k+2] {
			for j := range t.Data {
				t.Data[j] = (2*src.Float32() - 1) * bound
			}
		}
		k += 2
	}
	return p
}

// Layer returns the weight and bias of the i-th layer with parameters (0-based).
func (p *Params) Layer(i int) (w, b []float32) {
	return p.Tensors[2*i].Data, p.Tensors[2*i+1].Data
}

// Clone returns a deep copy.
func (p *Params) Clone() *Params {
	q := &Params{Tensors: make([]Tensor, len(p.Tensors))}
	for i, t := range p.Tensors {
		q.Tensors[i] = Tensor{Name: t.Name, Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
	}
	return q
}

// Check reports whether p has exactly the arch's tensors, names and shapes.
func (a *Arch) Check(p *Params) error {
	want := a.ParamShapes()
	if len(p.Tensors) != len(want) {
		return fmt.Errorf("params: %d tensors, arch %s has %d", len(p.Tensors), a.Name, len(want))
	}
	for i, w := range want {
		t := p.Tensors[i]
		if t.Name != w.Name || fmt.Sprint(t.Shape) != fmt.Sprint(w.Shape) || len(t.Data) != numel(w.Shape) {
			return fmt.Errorf("params: tensor %d is %s %v (%d values), arch %s wants %s %v", i, t.Name, t.Shape, len(t.Data), a.Name, w.Name, w.Shape)
		}
	}
	return nil
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
