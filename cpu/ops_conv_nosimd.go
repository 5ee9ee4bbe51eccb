//go:build !(goexperiment.simd && amd64)

package cpu

import "github.com/vkcnn/vkcnn/model"

// Without GOEXPERIMENT=simd on amd64 there are no SIMD convolutions (ops_conv_simd.go):
// these report that they did nothing, and the scalar kernels run.

func convForwardSIMD(out, in, w, b []float32, s model.ConvShape) bool { return false }

func convBackwardDataSIMD(dIn, dOut, w []float32, s model.ConvShape) bool { return false }

func convBackwardFilterSIMD(dW, dOut, in []float32, s model.ConvShape) bool { return false }

func convBiasGradSIMD(dB, dOut []float32, s model.ConvShape) bool { return false }
