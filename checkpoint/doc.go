// Package checkpoint saves and loads a network's parameters as safetensors, the format
// PyTorch's safetensors library reads and writes (https://github.com/huggingface/safetensors).
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
// # Reading
//
// Open takes only a regular file (a FIFO, a device or a folder is refused before it is
// read) and reads its header: the length first, refused above 100 MB (the safetensors
// library's own limit) or past the end of the file, then the JSON. Every tensor entry must
// have a dtype, a shape and data_offsets of exactly two elements. Reader.Arch builds the
// arch in the metadata — a layer string or a preset name — and keeps the preset's name
// when "name" is a preset with the same layers. Reader.Load(a) accepts the file only if
// it holds a's parameters exactly: every tensor by name as F32 with its exact shape,
// nothing else, in any order but with byte ranges that tile the data without a gap or an
// overlap, so that the file's size is what a needs; and, if the metadata names an arch,
// that arch must have a's layers and shapes (compared after parsing, so "lenet-6-12" and
// its layer string agree). A file without metadata, such as
// safetensors.torch.save_file(model.state_dict()) writes, loads by tensor names for the
// arch the caller gives. Nothing is allocated for the data before all that holds, and
// arch and data come from the one open file, whatever is renamed over its path meanwhile.
// Every error names the file and what does not fit.
//
// # A run's state
//
// Target.SaveState also writes what continuing a run needs (train.State): its settings and
// position as "run.*" metadata keys (run.epochs, run.total_steps, run.lr0, run.lr1,
// run.momentum, run.batch, run.samples, run.seed, run.shuffle, run.epoch, run.step,
// run.loss_sum, run.correct, run.seconds, run.first_losses; numbers in the shortest form
// that reads back to the same bits), and, when the momentum is not 0, the momentum buffer
// of every parameter as an F32 tensor "optim.momentum.NAME" of NAME's shape, after the
// parameters. Reader.State reads them back. Load skips exactly those tensors, so -init
// and a PyTorch model that drops "optim.*" names load such a file's weights.
//
// # Writing
//
// Save refuses parameters (or momentum buffers) that are not all finite, naming the first
// bad value, so a diverged run never replaces its last good checkpoint. It writes atomically: a temporary file .NAME-NNNNNNNNNN.tmp beside the target, synced,
// then renamed over it, and the folder synced, so a crash or an error leaves the old
// checkpoint whole. A symbolic link is followed: its target is replaced and the link kept.
// The new file keeps the replaced file's permissions, else gets 0666 less the umask. Lock
// holds a path for a run: it checks up front what would make a save fail (Check: a
// non-regular or immutable target, a missing or unwritable folder, a name too long for
// the temporary file, found by creating and removing that very file) and takes an
// advisory lock on FILE.lock beside the target, so a second run saving there is refused;
// Close removes the lock file (one left by a killed run is harmless and reused), and Lock
// removes the temporary files such a run left. Abandon, for a signal handler, drops a save
// in progress (its temporary file goes; the checkpoint keeps its last complete content).
package checkpoint
