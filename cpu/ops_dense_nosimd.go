//go:build !(goexperiment.simd && amd64)

package cpu

import "github.com/vkcnn/vkcnn/model"

// Without GOEXPERIMENT=simd on amd64 the dense kernels of ops_dense_simd.go do not run and
// the scalar loops do.

func denseForwardSIMD(out, in, w, b []float32, s model.DenseShape) bool { return false }

func denseBackwardDataSIMD(dIn, dOut, w []float32, s model.DenseShape) bool { return false }

func denseBackwardWeightsSIMD(dW, dB, dOut, in []float32, s model.DenseShape) bool {
	return false
}
