//go:build !(goexperiment.simd && amd64)

package cpu

import "github.com/vkcnn/vkcnn/model"

// Without GOEXPERIMENT=simd on amd64 the elementwise ops of ops_elem_simd.go do nothing and
// the scalar loops run.

func reluForwardSIMD(out, in []float32) int { return 0 }

func reluBackwardSIMD(dIn, dOut, out []float32) int { return 0 }

func maxPool2SIMD(out []float32, argmax []int32, in []float32, s model.PoolShape, relu bool) int {
	return 0
}

func sumSGDSIMD(w, v []float32, parts [][]float32, off int, lr, momentum float32) int {
	return 0
}

func maxPool2AVX512(out []float32, argmax []int32, in []float32, s model.PoolShape, relu bool) bool {
	return false
}

func maxPoolReLU2AVX512(dIn, dOut, out []float32, argmax []int32, s model.PoolShape) bool {
	return false
}
