package digit

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestFitPaper: a picture whose paper is an exact plane gives that plane back, ink in
// its middle or not; one too thin for a slope gets its border's median.
func TestFitPaper(t *testing.T) {
	const w, h = 40, 30
	v := make([]float32, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v[y*w+x] = float32(0.9 - 0.004*float64(x) - 0.006*float64(y))
		}
	}
	for y := 10; y < 20; y++ {
		for x := 15; x < 25; x++ {
			v[y*w+x] = 0.1 // ink, inside the border
		}
	}
	p := fitPaper(v, w, h)
	for _, pt := range [][2]int{{0, 0}, {39, 0}, {0, 29}, {39, 29}, {20, 15}} {
		assert.InDelta(t, 0.9-0.004*float64(pt[0])-0.006*float64(pt[1]), p.at(pt[0], pt[1]), 1e-6, "paper at %v", pt)
	}
	thin := []float32{0.2, 0.9, 0.8, 0.85, 0.1}
	assert.InDelta(t, 0.8, fitPaper(thin, 5, 1).at(2, 0), 1e-7)
	assert.InDelta(t, 0.8, fitPaper(thin, 1, 5).at(0, 2), 1e-7)
}
