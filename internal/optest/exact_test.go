package optest

import (
	"math"
	"testing"

	"vkcnn/internal/rng"
	"vkcnn/model"
)

// exactOps computes every op in float64 from the formulas (naive64.go) and rounds once:
// an implementation that differs from the float32 reference only by the reference's own
// rounding. The suite must accept it, or its tolerances are tighter than float32 maths
// allows.
type exactOps struct{}

var _ Ops = exactOps{}

func to32(dst []float32, x []float64) {
	for i, v := range x {
		dst[i] = float32(v)
	}
}

func (exactOps) Conv2DForward(out, in, w, b []float32, s model.ConvShape) error {
	to32(out, Conv2DForward64(To64(in), To64(w), To64(b), s))
	return nil
}

func (exactOps) Conv2DBackwardData(dIn, dOut, w []float32, s model.ConvShape) error {
	to32(dIn, Conv2DBackwardData64(To64(dOut), To64(w), s))
	return nil
}

func (exactOps) Conv2DBackwardFilter(dW, dB, dOut, in []float32, s model.ConvShape) error {
	w, b := Conv2DBackwardFilter64(To64(dOut), To64(in), s)
	to32(dW, w)
	to32(dB, b)
	return nil
}

func (exactOps) ReLUForward(out, in []float32) error {
	to32(out, ReLU64(To64(in)))
	return nil
}

func (exactOps) ReLUBackward(dIn, dOut, out []float32) error {
	for i := range dIn {
		dIn[i] = 0
		if out[i] > 0 {
			dIn[i] = dOut[i]
		}
	}
	return nil
}

func (exactOps) SigmoidForward(out, in []float32) error {
	to32(out, Sigmoid64(To64(in)))
	return nil
}

func (exactOps) SigmoidBackward(dIn, dOut, out []float32) error {
	for i := range dIn {
		y := float64(out[i])
		dIn[i] = float32(float64(dOut[i]) * y * (1 - y))
	}
	return nil
}

func (exactOps) MaxPoolForward(out []float32, argmax []int32, in []float32, s model.PoolShape) error {
	to32(out, Pool64(To64(in), s, true))
	// The first index of each window holding its maximum, found by value.
	oh, ow := s.OH(), s.OW()
	for p := range s.N * s.C {
		for y := range oh {
			for x := range ow {
				j := (p*oh+y)*ow + x
				argmax[j] = -1
				for i := range s.Size * s.Size {
					k := (p*s.H+y*s.Size+i/s.Size)*s.W + x*s.Size + i%s.Size
					if in[k] == out[j] && argmax[j] < 0 {
						argmax[j] = int32(k)
					}
				}
			}
		}
	}
	return nil
}

func (exactOps) MaxPoolBackward(dIn, dOut []float32, argmax []int32, s model.PoolShape) error {
	clear(dIn)
	for j, a := range argmax {
		dIn[a] = dOut[j]
	}
	return nil
}

func (exactOps) AvgPoolForward(out, in []float32, s model.PoolShape) error {
	to32(out, Pool64(To64(in), s, false))
	return nil
}

func (exactOps) AvgPoolBackward(dIn, dOut []float32, s model.PoolShape) error {
	oh, ow, k := s.OH(), s.OW(), s.Size
	for p := range s.N * s.C {
		for y := range s.H {
			for x := range s.W {
				v := 0.0
				if y < oh*k && x < ow*k {
					v = float64(dOut[(p*oh+y/k)*ow+x/k]) / float64(k*k)
				}
				dIn[(p*s.H+y)*s.W+x] = float32(v)
			}
		}
	}
	return nil
}

func (exactOps) DropoutForward(out, in []float32, d model.DropoutParams) error {
	to32(out, Dropout64(To64(in), d))
	return nil
}

func (exactOps) DropoutBackward(dIn, dOut []float32, d model.DropoutParams) error {
	to32(dIn, Dropout64(To64(dOut), d))
	return nil
}

func (exactOps) DenseForward(out, in, w, b []float32, s model.DenseShape) error {
	to32(out, Dense64(To64(in), To64(w), To64(b), s))
	return nil
}

func (exactOps) DenseBackwardData(dIn, dOut, w []float32, s model.DenseShape) error {
	for n := range s.N {
		for i := range s.In {
			var sum float64
			for o := range s.Out {
				sum += float64(dOut[n*s.Out+o]) * float64(w[o*s.In+i])
			}
			dIn[n*s.In+i] = float32(sum)
		}
	}
	return nil
}

func (exactOps) DenseBackwardWeights(dW, dB, dOut, in []float32, s model.DenseShape) error {
	for o := range s.Out {
		var sb float64
		for i := range s.In {
			var sum float64
			for n := range s.N {
				sum += float64(dOut[n*s.Out+o]) * float64(in[n*s.In+i])
			}
			dW[o*s.In+i] = float32(sum)
		}
		for n := range s.N {
			sb += float64(dOut[n*s.Out+o])
		}
		dB[o] = float32(sb)
	}
	return nil
}

func (exactOps) SoftmaxCrossEntropy(loss, dLogits []float32, correct []int32, logits []float32, labels []int32, n, k int, scale float32) error {
	z := To64(logits)
	to32(loss, CrossEntropy64(z, labels, n, k))
	for s := range n {
		row := z[s*k : (s+1)*k]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, v)
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(v - m)
		}
		for j, v := range row {
			p := math.Exp(v-m) / sum
			if j == int(labels[s]) {
				p--
			}
			dLogits[s*k+j] = float32(p * float64(scale))
		}
		correct[s] = 0
		if argmax(logits[s*k:(s+1)*k]) == labels[s] {
			correct[s] = 1
		}
	}
	return nil
}

func (exactOps) SGDUpdate(w, v, g []float32, lr, momentum float32) error {
	for i := range w {
		d := float64(g[i])
		if momentum != 0 {
			d += float64(momentum) * float64(v[i])
			v[i] = float32(d)
		}
		w[i] = float32(float64(w[i]) - float64(lr)*d)
	}
	return nil
}

// TestSuiteAcceptsExactMaths runs the whole suite against exactOps.
func TestSuiteAcceptsExactMaths(t *testing.T) { All(t, exactOps{}) }

// TestDropout64MatchesRNG pins Dropout64's mask to rng.DropoutBits independently of cpu.
func TestDropout64MatchesRNG(t *testing.T) {
	d := model.DropoutParams{Seed: 1, Step: 2, Threshold: rng.DropoutThreshold(0.5), Scale: 2}
	out := Dropout64([]float64{1, 1, 1, 1, 1, 1, 1, 1}, d)
	for i, v := range out {
		kept := rng.DropoutBits(1, 2, uint32(i)) >= d.Threshold
		if (v == 2) != kept || (v != 0 && v != 2) {
			t.Fatalf("element %d: got %v, kept = %v", i, v, kept)
		}
	}
}
