package ref

import "github.com/vkcnn/vkcnn/model"

const errDenseLen = "ref: dense: a slice length does not match the DenseShape"

// checkDense panics unless the lengths are those of s's input, weights, bias and output
// (a negative length is not checked).
func checkDense(s model.DenseShape, in, w, b, out int) {
	if s.N < 0 || s.In < 1 || s.Out < 1 {
		panic(errDenseLen)
	}
	for _, p := range [][2]int{{in, s.N * s.In}, {w, s.Out * s.In}, {b, s.Out}, {out, s.N * s.Out}} {
		if p[0] >= 0 && p[0] != p[1] {
			panic(errDenseLen)
		}
	}
}

// DenseForward computes the fully connected layer
//
//	out[n,o] = b[o] + Σ_i w[o,i]·in[n,i].
//
// in is (N,In), w is (Out,In), b is (Out), out is (N,Out).
func DenseForward(out, in, w, b []float64, s model.DenseShape) {
	checkDense(s, len(in), len(w), len(b), len(out))
	for n := range s.N {
		for o := range s.Out {
			sum := b[o]
			for i := range s.In {
				sum += w[o*s.In+i] * in[n*s.In+i]
			}
			out[n*s.Out+o] = sum
		}
	}
}

// DenseBackwardData computes the gradient with respect to the layer's input,
//
//	dIn[n,i] = Σ_o dOut[n,o]·w[o,i].
//
// dOut is (N,Out), w is (Out,In), dIn is (N,In).
func DenseBackwardData(dIn, dOut, w []float64, s model.DenseShape) {
	checkDense(s, len(dIn), len(w), -1, len(dOut))
	for n := range s.N {
		for i := range s.In {
			var sum float64
			for o := range s.Out {
				sum += dOut[n*s.Out+o] * w[o*s.In+i]
			}
			dIn[n*s.In+i] = sum
		}
	}
}

// DenseBackwardWeights computes the gradients with respect to the weights and the bias,
// summed over the batch:
//
//	dW[o,i] = Σ_n dOut[n,o]·in[n,i],   dB[o] = Σ_n dOut[n,o].
//
// dOut is (N,Out), in is (N,In), dW is (Out,In), dB is (Out). An empty batch gives zeros.
func DenseBackwardWeights(dW, dB, dOut, in []float64, s model.DenseShape) {
	checkDense(s, len(in), len(dW), len(dB), len(dOut))
	for o := range s.Out {
		for i := range s.In {
			var sum float64
			for n := range s.N {
				sum += dOut[n*s.Out+o] * in[n*s.In+i]
			}
			dW[o*s.In+i] = sum
		}
		var sum float64
		for n := range s.N {
			sum += dOut[n*s.Out+o]
		}
		dB[o] = sum
	}
}
