package cpu

import (
	"fmt"

	"github.com/vkcnn/vkcnn/model"
)

// SetFusion turns the fused passes (passMaxPoolReLU, passReLUInPlace) of the engines and
// predictors built afterwards on or off, and returns what restores the setting it found.
func SetFusion(on bool) (restore func()) {
	was := fuse
	fuse = on
	return func() { fuse = was }
}

// MaxPoolReLUForward is the fused pass's forward: out = relu(maxpool(in)), argmax of in.
func MaxPoolReLUForward(out []float32, argmax []int32, in []float32, s model.PoolShape) {
	maxPoolForward(out, argmax, in, s, true)
}

// MaxPoolReLUBackward is the fused pass's backward.
func MaxPoolReLUBackward(dIn, dOut, out []float32, argmax []int32, s model.PoolShape) {
	maxPoolReLUBackward(dIn, dOut, out, argmax, s)
}

// PassKinds names the passes the plan of a runs, in order: "layer", "relu-in-place" or
// "maxpool+relu", each with its first layer.
func PassKinds(a *model.Arch) []string {
	names := [...]string{passLayer: "layer", passReLUInPlace: "relu-in-place", passMaxPoolReLU: "maxpool+relu"}
	var out []string
	for _, p := range newPlan(a).passes {
		out = append(out, fmt.Sprintf("%s@%d", names[p.kind], p.first))
	}
	return out
}

// SumSGD is the engine's update of w and v from values off… of its chunk gradients parts
// (sumSGD).
func SumSGD(w, v []float32, parts [][]float32, off int, lr, momentum float32) {
	sumSGD(w, v, parts, off, lr, momentum)
}
