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
// error, and so is a header with N outside 1..10,000,000, H or W outside 1..1024, N·H·W
// over 2³⁰ pixels (4 GiB of float32), or a label of 10 or more. A gzip stream that fails
// its checksum or holds a bad deflate block is reported as corrupt. Pixels become
// float32(b)/255 in 0..1, as PyTorch's uint8.float().div(255).
//
// Memory follows the data, not the header: the images are read in chunks into a buffer
// that doubles as they arrive, so a header that promises more than the file holds fails
// ("header promises 1000000 images of 28×28, the data ends after 83 whole images") having
// allocated for what was there. Only regular files are read: a named pipe, a device or a
// directory in the place of a data file is refused before it is opened.
//
// Errors name the file and the problem on one line
// ("mnist: data/mnist/train-images-idx3-ubyte.gz: want magic 0x00000803, got 0x00000801");
// a path holding a newline, a control character or invalid UTF-8 is shown Go-quoted. A
// missing directory or file adds `run "make data" to fetch MNIST`
// (scripts/fetch-mnist.sh, which puts the four .gz files into data/mnist).
package mnist
