// Package checkpoint saves and loads a network's parameters as safetensors, the format
// PyTorch's safetensors library reads (https://github.com/huggingface/safetensors).
//
// # File format
//
//	u64 little-endian   n, the length of the JSON header
//	n bytes             the JSON header, padded with spaces so that 8+n is a multiple of 8
//	the data            every tensor's values, float32 little-endian, row-major
//
// The header maps each tensor name to its dtype, shape and byte range in the data
// (offsets from the start of the data, end exclusive), plus "__metadata__", a map of
// strings:
//
//	{"__metadata__":{"arch":"conv5x5x6,relu,…,dense10","format":"pt","name":"lenet-6-12"},
//	 "conv1.weight":{"dtype":"F32","shape":[6,1,5,5],"data_offsets":[0,600]},
//	 "conv1.bias":{"dtype":"F32","shape":[6],"data_offsets":[600,624]}, …}
//
// Tensors are named and laid out as model.Params (and as PyTorch names the same model):
// "<layer>.weight" then "<layer>.bias" for every conv ("conv1", …; weight [O,I,KH,KW]) and
// dense layer ("fc1", …; weight [out,in]), in network order, stored back to back in that
// order. "arch" is the canonical layer string (model.Arch.Spec), "name" the preset name
// or the same string.
//
// Save writes atomically: a temporary file in the same directory, synced, then renamed over
// the target, so a crash or an error leaves the old checkpoint whole. Load accepts a file
// only if it matches the arch exactly: the same arch string, every tensor present as F32
// with its exact shape, nothing else, and byte ranges that tile the data without a gap or
// an overlap. ReadArch reads only the header and returns the arch string. Every error
// names the file and what does not fit.
package checkpoint
