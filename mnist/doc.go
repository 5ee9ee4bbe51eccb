// Package mnist reads the MNIST digits (or any data set in the same files) into a Dataset.
//
// # File format
//
// MNIST comes as four IDX files (http://yann.lecun.com/exdb/mnist/), each either raw or
// gzip-compressed (recognised by the gzip magic 1f 8b, whatever the name):
//
//	train-images-idx3-ubyte  60000 training images    t10k-images-idx3-ubyte  10000 test images
//	train-labels-idx1-ubyte  60000 training labels    t10k-labels-idx1-ubyte  10000 test labels
//
// An IDX file is a big-endian header followed by the data:
//
//	magic  u32  0x00000803 for images (unsigned bytes, 3 dimensions), 0x00000801 for labels
//	dims   u32 × (magic & 0xff)   N, H, W for images; N for labels
//	data   N·H·W (or N) bytes, row-major: image after image, row after row
//
// The data must be exactly as long as the header says; a shorter or a longer file is an
// error, and so is a header with N outside 1..10,000,000, H or W outside 1..1024, or a
// label of 10 or more. Pixels become float32(b)/255 in 0..1, as PyTorch's
// uint8.float().div(255).
//
// Errors name the file and the problem on one line
// ("mnist: data/mnist/train-images-idx3-ubyte.gz: want magic 0x00000803, got 0x00000801");
// a missing directory or file adds `run "make data" to fetch MNIST`
// (scripts/fetch-mnist.sh, which puts the four .gz files into data/mnist).
package mnist
