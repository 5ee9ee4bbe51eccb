package cpu

import "github.com/vkcnn/vkcnn/model"

const (
	errDenseForward = "cpu: DenseForward: a slice length does not match the DenseShape"
	errDenseData    = "cpu: DenseBackwardData: a slice length does not match the DenseShape"
	errDenseWeights = "cpu: DenseBackwardWeights: a slice length does not match the DenseShape"
)

// DenseForward computes out[n,o] = b[o] + Σ_i w[o,i]·in[n,i]. in is (N,In), w is (Out,In),
// b is (Out), out is (N,Out). The sum is dot's: four partial sums over i mod 4. With the
// SIMD kernels on, ops_dense_simd.go computes the three dense products on vectors in the
// same order, bit for bit.
func DenseForward(out, in, w, b []float32, s model.DenseShape) {
	if len(out) != s.N*s.Out || len(in) != s.N*s.In || len(w) != s.Out*s.In || len(b) != s.Out {
		panic(errDenseForward)
	}
	if denseForwardSIMD(out, in, w, b, s) {
		return
	}
	for n := range s.N {
		x := in[n*s.In : (n+1)*s.In]
		dst := out[n*s.Out : (n+1)*s.Out]
		for o := range dst {
			dst[o] = b[o] + dot(w[o*s.In:(o+1)*s.In], x)
		}
	}
}

// DenseBackwardData computes dIn[n,i] = Σ_o dOut[n,o]·w[o,i]. dOut is (N,Out), w is
// (Out,In), dIn is (N,In) and is overwritten.
func DenseBackwardData(dIn, dOut, w []float32, s model.DenseShape) {
	if len(dIn) != s.N*s.In || len(dOut) != s.N*s.Out || len(w) != s.Out*s.In {
		panic(errDenseData)
	}
	if denseBackwardDataSIMD(dIn, dOut, w, s) {
		return
	}
	for n := range s.N {
		dst := dIn[n*s.In : (n+1)*s.In]
		clear(dst)
		for o, d := range dOut[n*s.Out : (n+1)*s.Out] {
			axpy(dst, d, w[o*s.In:(o+1)*s.In])
		}
	}
}

// DenseBackwardWeights computes dW[o,i] = Σ_n dOut[n,o]·in[n,i] and dB[o] = Σ_n dOut[n,o],
// summed over the batch. dOut is (N,Out), in is (N,In); dW (Out,In) and dB (Out) are
// overwritten.
func DenseBackwardWeights(dW, dB, dOut, in []float32, s model.DenseShape) {
	if len(dW) != s.Out*s.In || len(dB) != s.Out || len(dOut) != s.N*s.Out || len(in) != s.N*s.In {
		panic(errDenseWeights)
	}
	if denseBackwardWeightsSIMD(dW, dB, dOut, in, s) {
		return
	}
	for o := range s.Out {
		dst := dW[o*s.In : (o+1)*s.In]
		clear(dst)
		var sum float32
		for n := range s.N {
			d := dOut[n*s.Out+o]
			sum += d
			axpy(dst, d, in[n*s.In:(n+1)*s.In])
		}
		dB[o] = sum
	}
}
