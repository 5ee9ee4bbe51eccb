// Package vkcnn classifies pictures of handwritten digits with a network trained by this
// project's train command (or any checkpoint it can read): load a checkpoint, give it
// images, read back the digit and the ten class probabilities.
//
//	m, err := vkcnn.Load("lenet.safetensors")
//	...
//	p, err := m.Predict(img) // any image.Image: a scan, a photo, a drawing
//	fmt.Println(p.Digit, p.Probs[p.Digit])
//
// Each image is first made into MNIST's 28×28 form by package digit (grey, ink light on
// black, cropped to the ink, scaled so that its longer side is 20 px, centre of mass on
// pixel (14, 14)); the network then runs forward on the CPU (package cpu's Predictor), with
// no dataset and nothing of training. Probs is the softmax of the network's ten outputs z,
// p_k = e^{z_k} / Σ_j e^{z_j}, and Digit the first k with the largest z_k.
//
// Train trains a network on an MNIST-format data set on the CPU, as the train command does
// (the same loop, schedule and checkpoints), reporting progress through a callback; its
// context's cancellation stops the run after the step it is in and keeps the checkpoint.
package vkcnn
