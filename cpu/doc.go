// Package cpu is the fast CPU engine, the fallback where no GPU is usable. Its ops compute
// what the float64 reference internal/ref defines; the parity suite internal/optest holds
// them, like the GPU's, to that reference.
//
// # Ops
//
// Each op is a free function, outputs first, with the layouts of package model: NCHW
// activations, OIHW convolution weights, (out, in) dense weights, all row-major with the
// last index fastest. Convolutions have stride 1 and symmetric zero padding; pools have a
// square window whose stride equals its size. The ops are
//
//	conv     out[n,o,y,x]  = b[o] + Σ_c Σ_i Σ_j w[o,c,i,j]·in[n,c,y+i−PadH,x+j−PadW]
//	         dIn[n,c,y,x]  = Σ_o Σ_i Σ_j w[o,c,i,j]·dOut[n,o,y−i+PadH,x−j+PadW]
//	         dW[o,c,i,j]   = Σ_n Σ_y Σ_x dOut[n,o,y,x]·in[n,c,y+i−PadH,x+j−PadW]
//	         dB[o]         = Σ_n Σ_y Σ_x dOut[n,o,y,x]
//	relu     out = max(in, 0),        dIn = dOut·[out > 0]
//	sigmoid  out = 1/(1+e^−in),       dIn = dOut·out·(1−out)
//	maxpool  out = max of the window, argmax = flat index into in of its first maximum
//	minpool  out = min of the window, argmin likewise (first minimum); backward as maxpool's
//	avgpool  out = mean of the window
//	dropout  out[i] = in[i]·Scale·[rng.DropoutBits(Seed, Step, i) ≥ Threshold]
//	dense    out[n,o] = b[o] + Σ_i w[o,i]·in[n,i]
//	         dIn[n,i] = Σ_o dOut[n,o]·w[o,i],  dW[o,i] = Σ_n dOut[n,o]·in[n,i],  dB[o] = Σ_n dOut[n,o]
//	softmax cross-entropy
//	         loss[n] = log Σ_k e^{z[n,k]} − z[n,y_n],  dZ[n,k] = (softmax(z_n)[k] − [k = y_n])·scale
//	sgd      v = μ·v + g, w −= lr·v   (w −= lr·g when μ = 0)
//
// where a term whose input index falls outside the input (in the padding) is zero.
// Backward functions overwrite their outputs; gradients are summed over the batch.
// An out-of-window element of a pool (the trailing rows and columns that floor drops) has
// gradient zero.
//
// The functions are the CPU engine's inner loops: they never allocate, they panic with a
// constant message when a slice's length does not match the shape (a programmer error),
// and their innermost loops run along contiguous rows so that one sample (N = 1) of the
// default network trains in well under a millisecond on one core. They are safe to call
// from several goroutines on disjoint outputs.
//
// The three convolutions have SIMD kernels when built with GOEXPERIMENT=simd, as the
// Makefile does: where the CPU has AVX-512 (F, CD, BW, DQ, VL), patch matrices (im2col)
// and matrix products by Go-assembly micro-kernels of 16 lanes (ops_conv_avx512.go,
// gemm_avx512.go); else, where it has AVX2 and FMA, 8-wide archsimd kernels; otherwise
// the scalar kernels run. The paths differ only in float32 rounding (FMA, summation
// order), so a checkpoint is bit-reproducible on one build and machine, not across them.
//
// # Engine
//
// Engine trains in parallel over the samples of a batch: fixed chunks of 8 samples go to
// GOMAXPROCS goroutines, each chunk's gradient is summed by the batched ops, and the chunk
// gradients are summed in chunk order, so the weights never depend on the goroutine count.
// The sum of the chunk gradients and the SGD step are one pass (sumSGD), split over the
// goroutines in blocks of a tensor's values.
//
// The engine and the Predictor run one plan of passes (forward.go): a ReLU next to a
// max-pool is one pass, out = relu(maxpool(in)) with the argmax taken before the ReLU, whose
// backward is the pool's scatter masked by out > 0 (the same values as the two layers, proven
// in passMaxPoolReLU's comment); a ReLU after a layer whose backward does not read its own
// output (conv, dense, pools, dropout) runs in place. Sigmoid, min- and average-pool run as
// layers of their own.
package cpu
