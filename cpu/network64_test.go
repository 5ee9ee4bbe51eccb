package cpu

import (
	"math"

	"vkcnn/internal/rng"
	"vkcnn/model"
)

// lossFloat64 is the mean cross-entropy of the network on samples x (n images) with labels y,
// computed in float64 straight from the definitions: the independent reference that the
// whole-network gradient check differentiates by central differences. Dropout uses the
// training mask of (seed, step), as the engine does.
func lossFloat64(a *model.Arch, p [][]float64, x []float32, y []int32, n int, seed, step uint32) float64 {
	total := 0.0
	in := a.Input.Len()
	for j := 0; j < n; j++ {
		act := make([]float64, in)
		for i := range act {
			act[i] = float64(x[j*in+i])
		}
		pi := 0
		for li := range a.Layers {
			l := &a.Layers[li]
			switch l.Kind {
			case model.Conv:
				act = conv64(act, p[pi], p[pi+1], l)
				pi += 2
			case model.Dense:
				out := make([]float64, l.Units)
				for o := range out {
					s := p[pi+1][o]
					for i, v := range act {
						s += p[pi][o*len(act)+i] * v
					}
					out[o] = s
				}
				act = out
				pi += 2
			case model.ReLU:
				for i, v := range act {
					act[i] = math.Max(v, 0)
				}
			case model.Sigmoid:
				for i, v := range act {
					act[i] = 1 / (1 + math.Exp(-v))
				}
			case model.MaxPool, model.AvgPool:
				act = pool64(act, l)
			case model.Dropout:
				d := model.NewDropoutParams(l.P, seed, step)
				for i := range act {
					if rng.DropoutBits(seed, step, uint32(j*len(act)+i)) >= d.Threshold {
						act[i] /= 1 - float64(l.P)
					} else {
						act[i] = 0
					}
				}
			}
		}
		m := math.Inf(-1)
		for _, v := range act {
			m = math.Max(m, v)
		}
		s := 0.0
		for _, v := range act {
			s += math.Exp(v - m)
		}
		total += math.Log(s) + m - act[y[j]]
	}
	return total / float64(n)
}

func conv64(x, w, b []float64, l *model.Layer) []float64 {
	s := l.ConvShape(1)
	oh, ow := s.OH(), s.OW()
	out := make([]float64, s.OC*oh*ow)
	for oc := 0; oc < s.OC; oc++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				sum := b[oc]
				for c := 0; c < s.C; c++ {
					for kh := 0; kh < s.KH; kh++ {
						for kw := 0; kw < s.KW; kw++ {
							h, v := i+kh-s.PadH, j+kw-s.PadW
							if h >= 0 && h < s.H && v >= 0 && v < s.W {
								sum += w[((oc*s.C+c)*s.KH+kh)*s.KW+kw] * x[(c*s.H+h)*s.W+v]
							}
						}
					}
				}
				out[(oc*oh+i)*ow+j] = sum
			}
		}
	}
	return out
}

func pool64(x []float64, l *model.Layer) []float64 {
	s := l.PoolShape(1)
	oh, ow := s.OH(), s.OW()
	out := make([]float64, s.C*oh*ow)
	for c := 0; c < s.C; c++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				m, sum := math.Inf(-1), 0.0
				for u := 0; u < s.Size; u++ {
					for v := 0; v < s.Size; v++ {
						val := x[(c*s.H+i*s.Size+u)*s.W+j*s.Size+v]
						m = math.Max(m, val)
						sum += val
					}
				}
				if l.Kind == model.AvgPool {
					m = sum / float64(s.Size*s.Size)
				}
				out[(c*oh+i)*ow+j] = m
			}
		}
	}
	return out
}
