package optest

import (
	"fmt"
	"math"
)

// Tol is an elementwise tolerance: got matches ref when |got − ref| ≤ Atol + Rtol·|ref|.
// A NaN or an infinity in got never matches.
type Tol struct{ Atol, Rtol float64 }

// Exact requires equal values (+0 and −0 are equal): for ops that only select, move or
// zero values, whose float32 results are the reference's exactly.
var Exact = Tol{}

// mismatch describes where got and ref differ beyond a tolerance.
type mismatch struct {
	count          int     // values out of tolerance
	maxDiff        float64 // largest |got − ref| over all values (+Inf for NaN or Inf)
	maxAt          int
	first          int // first index out of tolerance
	gotAt, refAt   float64
	allowedAtFirst float64
}

func (m *mismatch) String() string {
	return fmt.Sprintf("%d values out of tolerance; max |got−ref| = %g at index %d; first mismatch at index %d: got %g, ref %g, |diff| %g > allowed %g",
		m.count, m.maxDiff, m.maxAt, m.first, m.gotAt, m.refAt, math.Abs(m.gotAt-m.refAt), m.allowedAtFirst)
}

// compareF32 returns nil when every got[i] matches ref[i] within tol, else what differs.
// The slices must have the same length.
func compareF32(got []float32, ref []float64, tol Tol) *mismatch {
	if len(got) != len(ref) {
		panic("optest: compareF32 of slices of different lengths")
	}
	var m mismatch
	m.first = -1
	for i := range ref {
		g, r := float64(got[i]), ref[i]
		d := math.Abs(g - r)
		if math.IsNaN(d) || math.IsInf(g, 0) {
			d = math.Inf(1)
		}
		if d > m.maxDiff || (i == 0 && d == 0) {
			m.maxDiff, m.maxAt = d, i
		}
		allowed := tol.Atol + tol.Rtol*math.Abs(r)
		if !(d <= allowed) {
			m.count++
			if m.first < 0 {
				m.first, m.gotAt, m.refAt, m.allowedAtFirst = i, g, r, allowed
			}
		}
	}
	if m.count == 0 {
		return nil
	}
	return &m
}

// compareI32 returns nil when got equals ref, else what differs.
func compareI32(got, ref []int32) *mismatch {
	if len(got) != len(ref) {
		panic("optest: compareI32 of slices of different lengths")
	}
	var m mismatch
	m.first = -1
	for i := range ref {
		if got[i] != ref[i] {
			d := math.Abs(float64(got[i]) - float64(ref[i]))
			if d > m.maxDiff {
				m.maxDiff, m.maxAt = d, i
			}
			m.count++
			if m.first < 0 {
				m.first, m.gotAt, m.refAt = i, float64(got[i]), float64(ref[i])
			}
		}
	}
	if m.count == 0 {
		return nil
	}
	return &m
}

// headroom returns the largest |got − ref| and the largest fraction of its allowance
// (|got − ref| / (Atol + Rtol·|ref|)) that any value uses; 0 where both are 0.
func headroom(got []float32, ref []float64, tol Tol) (maxDiff, frac float64) {
	for i, r := range ref {
		d := math.Abs(float64(got[i]) - r)
		maxDiff = max(maxDiff, d)
		if d > 0 {
			frac = max(frac, d/(tol.Atol+tol.Rtol*math.Abs(r)))
		}
	}
	return maxDiff, frac
}
