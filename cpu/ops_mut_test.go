package cpu_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/model"
)

// TestOpsPanicOnLongerSlicesAndEdgeIndices: the kernels' own checks (under the engine,
// not through the op suite's argument checks) refuse an output longer than its input, as
// well as a shorter one, and an argmax index of exactly len(dIn) with their own message
// rather than an index panic. Each passed the package's other tests when loosened.
func TestOpsPanicOnLongerSlicesAndEdgeIndices(t *testing.T) {
	const dropLen = "cpu: dropout: the slices differ in length or exceed 2^32 values"
	d := model.NewDropoutParams(0.5, 1, 2)
	assert.PanicsWithValue(t, dropLen, func() { cpu.DropoutForward(make([]float32, 4), make([]float32, 3), d) })
	assert.PanicsWithValue(t, dropLen, func() { cpu.DropoutBackward(make([]float32, 4), make([]float32, 3), d) })
	assert.PanicsWithValue(t, "cpu: MaxPoolBackward: an argmax index is outside dIn", func() {
		cpu.MaxPoolBackward(make([]float32, 4), []float32{1}, []int32{4}, model.PoolShape{N: 1, C: 1, H: 2, W: 2, Size: 2})
	})
}
