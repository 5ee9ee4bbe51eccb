// Package model defines what a network is: its layers, the shapes that flow between them
// and its parameters, independent of the engine that runs it.
//
// Layout everywhere is NCHW, row-major, last index fastest. A sample is a C×H×W image
// (1×28×28 for MNIST, grey values pixel/255). Convolutions have stride 1 and weights laid
// out OIHW; pools have a square window whose stride equals its size and drop a trailing
// partial window (floor), as PyTorch does. A dense layer flattens its input in C,H,W order
// (PyTorch's torch.flatten(x, 1)) and has weights laid out (out, in). Every network ends
// in softmax cross-entropy over Classes logits: the last layer's output must have exactly
// Classes values.
//
// Parameters are initialised uniform in ±1/√fan_in from a seed (PyTorch's default for
// Conv2d and Linear), fan_in = C·KH·KW for a convolution and In for a dense layer, biases
// with the same bound.
package model
