//go:build goexperiment.simd && amd64

package cpu

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The SIMD kernels load without bounds checks after one checkSpan per slice: a block that
// reaches past a slice must panic before it reads.
func TestSIMDKernelsCheckTheirSpans(t *testing.T) {
	g := corrGeom{C: 1, KH: 3, KW: 3, Plane: 25, RowW: 5, OH: 3, OW: 3, Y0: 0, Y1: 5}
	w, out := make([]float32, 9), make([]float32, 9)
	blk := corrBlock{w0: w, w1: w, d0: out, d1: out, n: [4]int{3, 3, 3, 3}, iLo: 0, iHi: 3}
	// The last tap's vector reads src[2·5 + 2 + 7] = src[19].
	assert.NotPanics(t, func() { corrVec2x4(make([]float32, 20), &blk, &g) })
	assert.PanicsWithValue(t, errSIMDSpan, func() { corrVec2x4(make([]float32, 19), &blk, &g) })
	blk.src[2] = 1 // reads src[20]
	assert.PanicsWithValue(t, errSIMDSpan, func() { corrVec2x4(make([]float32, 20), &blk, &g) })
	blk.src[2] = 0
	blk.w1 = w[:8]
	assert.PanicsWithValue(t, errSIMDSpan, func() { corrVec2x4(make([]float32, 20), &blk, &g) }, "short filter")

	fg := filterGeom{N: 2, OH: 2, OW: 8, OW8: 8, DStride: 16, SrcLen: 30, Plane: 30, RowW: 10}
	d := make([]float32, 32)
	fb := filterBlock{d0: d, d1: d, tap: [4]int{0, 1, 2, 12}}
	assert.NotPanics(t, func() { filterVec2x4(make([]float32, 60), &fb, &fg) })
	fb.tap[3] = 13 // reads src[1·30 + 1·10 + 13 + 7] = src[60]
	assert.PanicsWithValue(t, errSIMDSpan, func() { filterVec2x4(make([]float32, 60), &fb, &fg) })
	fb.tap[3] = -1
	assert.PanicsWithValue(t, errSIMDSpan, func() { filterVec2x4(make([]float32, 60), &fb, &fg) }, "negative tap")
	fb.tap[3], fb.d1 = 3, d[:31]
	assert.PanicsWithValue(t, errSIMDSpan, func() { filterVec2x4(make([]float32, 60), &fb, &fg) }, "short dOut")
}

// The same for the row copies of the 16-lane convolutions' patch matrices (their matrix
// products: TestGemm512ChecksSpans).
func TestAVX512KernelsCheckTheirSpans(t *testing.T) {
	// 3 rows of 9 values, strides 10 and 12: the last run ends at 2·10+9 and 2·12+9.
	assert.NotPanics(t, func() { copyRows(make([]float32, 29), make([]float32, 33), 10, 12, 3, 9) })
	assert.PanicsWithValue(t, errSIMDSpan, func() { copyRows(make([]float32, 28), make([]float32, 33), 10, 12, 3, 9) })
	assert.PanicsWithValue(t, errSIMDSpan, func() { copyRows(make([]float32, 29), make([]float32, 32), 10, 12, 3, 9) })
	assert.NotPanics(t, func() { addRows(make([]float32, 29), make([]float32, 33), 10, 12, 3, 9) })
	assert.PanicsWithValue(t, errSIMDSpan, func() { addRows(make([]float32, 28), make([]float32, 33), 10, 12, 3, 9) })
	assert.PanicsWithValue(t, errSIMDSpan, func() { addRows(make([]float32, 29), make([]float32, 32), 10, 12, 3, 9) })
}
