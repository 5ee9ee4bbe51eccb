// Package ref is the definition of every op of the network: plain float64 Go, one output
// value at a time, written from the formulas below and nothing else (no blocking, no
// vectors, no reuse of one sum for another), in the manner of llm.c's train_gpt2.c. It is
// the oracle of the parity suite internal/optest: the CPU engine's fast kernels (package
// cpu) and the GPU's shaders (package gpu) are both implementations under test against it,
// each within a tolerance stated with its reason. The reference is itself checked: its
// backward functions against central finite differences of its forward ones, and its
// forward functions against cases worked out by hand (this package's tests).
//
// # Layout
//
// Every tensor is a flat slice, row-major with the last index fastest: activations NCHW,
// convolution weights OIHW, dense weights (Out, In), dense activations (N, In). Outputs come
// first in every signature and are overwritten (backward functions never accumulate into
// what the caller passed). Argmax and correct flags are int32, labels int32 in [0, K).
//
// # The ops
//
//	conv     out[n,o,y,x] = b[o] + Σ_c Σ_i Σ_j w[o,c,i,j]·in[n,c,y+i−PadH,x+j−PadW]
//	         dIn[n,c,y,x] = Σ_o Σ_i Σ_j w[o,c,i,j]·dOut[n,o,y−i+PadH,x−j+PadW]
//	         dW[o,c,i,j]  = Σ_n Σ_y Σ_x dOut[n,o,y,x]·in[n,c,y+i−PadH,x+j−PadW]
//	         dB[o]        = Σ_n Σ_y Σ_x dOut[n,o,y,x]
//	relu     out = max(in, 0),         dIn = dOut·[out > 0]
//	sigmoid  out = 1/(1+e^−in),        dIn = dOut·out·(1−out)
//	maxpool  out = max of the window,  argmax = flat index into in (over N·C·H·W) of the
//	         window's first maximum in row-major order;  dIn[argmax[j]] = dOut[j], else 0
//	minpool  out = min of the window,  argmin as argmax with the first minimum;  the
//	         same backward, dIn[argmin[j]] = dOut[j], else 0
//	avgpool  out = mean of the window, dIn = dOut/Size² inside a window, else 0
//	dropout  out[i] = in[i]·Scale·[rng.DropoutBits(Seed, Step, Offset+i) ≥ Threshold],
//	         dIn the same mask applied to dOut
//	dense    out[n,o] = b[o] + Σ_i w[o,i]·in[n,i]
//	         dIn[n,i] = Σ_o dOut[n,o]·w[o,i],  dW[o,i] = Σ_n dOut[n,o]·in[n,i],  dB[o] = Σ_n dOut[n,o]
//	softmax cross-entropy, logits z (N,K), labels y (N)
//	         loss[n] = log Σ_k e^{z[n,k]} − z[n,y_n]
//	         dZ[n,k] = (softmax(z_n)[k] − [k = y_n])·scale
//	         correct[n] = [first maximum of z_n is at y_n]
//	sgd      v = μ·v + g, w −= lr·v   (μ = 0: w −= lr·g, v untouched)
//
// A term whose input index falls outside the input (in the zero padding) is zero; the
// trailing rows and columns of a pool that no window covers (H and W need not be
// multiples of Size) get gradient zero. A slice whose length does not match its shape is a
// programmer error: every function checks all lengths before writing anything and panics
// with a constant message.
//
// Float64 rounding is about 1e-16 relative per operation, so on the suite's sizes (sums of
// at most ~40,000 terms) the reference is exact to far below the float32 tolerances that
// the implementations are held to.
package ref
