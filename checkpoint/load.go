package checkpoint

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"slices"
	"syscall"

	"github.com/vkcnn/vkcnn/model"
)

// Reader is one checkpoint file, open for reading, whose header has been read and parsed.
// Everything it reports (arch, parameters) comes from this one open file, so a checkpoint
// renamed over the path meanwhile cannot mix two files.
type Reader struct {
	path string
	r    io.ReaderAt
	c    io.Closer
	size int64 // bytes in the file
	n    int64 // bytes in the JSON header
	h    *header
}

// Open opens the checkpoint at path and reads its header: the 8-byte length first, bounded
// by maxHeader and the file size, then the header itself. It refuses anything but a regular
// file (a FIFO, a device, a folder) without reading from it.
func Open(path string) (*Reader, error) {
	f, size, err := openRegular(path)
	if err != nil {
		return nil, fileError(path, err)
	}
	r, err := newReader(f, size)
	if err != nil {
		f.Close()
		return nil, fileError(path, err)
	}
	r.path, r.c = path, f
	return r, nil
}

// Close closes the file.
func (r *Reader) Close() error {
	if r.c == nil {
		return nil
	}
	return r.c.Close()
}

// openRegular opens path for reading if it is a regular file, and returns its size. It
// stats the path first, so that a FIFO or a device is not even opened (opening a FIFO
// blocks until a writer comes), and opens with O_NONBLOCK, so that one swapped in between
// cannot block either; the open file is checked again.
func openRegular(path string) (*os.File, int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, 0, err
	}
	if !st.Mode().IsRegular() {
		return nil, 0, notRegular(st.Mode())
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, err
	}
	st, err = f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = notRegular(st.Mode())
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// newReader reads and parses the header of the size-byte safetensors file r.
func newReader(r io.ReaderAt, size int64) (*Reader, error) {
	prefix := make([]byte, min(size, 9))
	if len(prefix) > 0 {
		if _, err := r.ReadAt(prefix, 0); err != nil {
			return nil, fmt.Errorf("reading the header length: %w", err)
		}
	}
	n, err := headerLength(prefix, size)
	if err != nil {
		return nil, err
	}
	js := make([]byte, n)
	if _, err := r.ReadAt(js, 8); err != nil {
		return nil, fmt.Errorf("reading the %d-byte header: %w", n, err)
	}
	h, err := parseHeader(js)
	if err != nil {
		return nil, err
	}
	return &Reader{r: r, size: size, n: n, h: h}, nil
}

// Arch builds the arch the checkpoint was made for, on inputs of shape in with classes
// outputs: the "arch" of its metadata (a layer string or a preset name), named after the
// preset in "name" when that preset has the same layers. A file without one (a PyTorch
// state_dict) gives an error that wraps ErrNoArch.
func (r *Reader) Arch(in model.Shape, classes int) (*model.Arch, error) {
	spec, ok := r.h.meta["arch"]
	if !ok {
		return nil, fmt.Errorf("checkpoint %s: %w", show(r.path), ErrNoArch)
	}
	a, err := model.Build(spec, in, classes)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", show(r.path), err)
	}
	name := r.h.meta["name"]
	if _, preset := model.Presets[name]; preset && name != a.Name {
		if b, err := model.Build(name, in, classes); err == nil && sameLayers(a, b) {
			return b, nil
		}
	}
	return a, nil
}

// Load reads the parameters of arch a. The file must hold exactly a's parameters: every
// tensor by its name as F32 with its exact shape, nothing else (but the momentum buffers
// of a run's checkpoint, MomentumPrefix + a parameter's name, which it skips; State reads
// them), byte ranges that tile the
// data without a gap or an overlap; and if its metadata names an arch, that arch must have
// a's layers (compared after parsing, so a preset name and its layer string agree). The
// data is read only once all that holds, so what it allocates is bounded by a's size,
// whatever the file's. Every error names the file and what does not fit.
func (r *Reader) Load(a *model.Arch) (*model.Params, error) {
	p, err := r.load(a)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", show(r.path), err)
	}
	return p, nil
}

func (r *Reader) load(a *model.Arch) (*model.Params, error) {
	h := r.h
	if spec, ok := h.meta["arch"]; ok {
		made, err := model.Build(spec, a.Input, a.Classes)
		if err != nil || !sameLayers(made, a) {
			name := h.meta["name"]
			if name == "" {
				name = spec
			}
			return nil, fmt.Errorf("made for arch %s, not %s", describe(name, spec), describe(a.Name, a.Spec))
		}
	}
	want := a.ParamShapes()
	for _, w := range want {
		e, ok := h.entries[w.Name]
		switch {
		case !ok:
			return nil, fmt.Errorf("tensor %s (shape %v) is missing", w.Name, w.Shape)
		case e.Dtype != dtypeF32:
			return nil, fmt.Errorf("tensor %s: dtype %s, want %s", w.Name, e.Dtype, dtypeF32)
		case !slices.Equal(e.Shape, w.Shape):
			return nil, fmt.Errorf("tensor %s: shape %v, arch %s wants %v", w.Name, e.Shape, a.Name, w.Shape)
		}
	}
	if len(h.names) != len(want) {
		for _, name := range h.names {
			if isOptimState(name, h.entries[name], want) {
				continue // a run's momentum (State reads it): not a parameter
			}
			if !slices.ContainsFunc(want, func(t model.Tensor) bool { return t.Name == name }) {
				return nil, fmt.Errorf("unexpected tensor %s (arch %s has %d tensors)", name, a.Name, len(want))
			}
		}
	}
	// With a's tensors, and besides them only their momentum buffers, as F32 of a's
	// shapes, tiling the data means the data is 4·a.NumParams() bytes, or twice that: a
	// file of any other size is refused here, before anything is allocated for its data.
	if err := h.checkLayout(r.size - 8 - r.n); err != nil {
		return nil, err
	}
	p := a.NewParams()
	var buf []byte
	for i := range p.Tensors {
		t := &p.Tensors[i]
		buf = slices.Grow(buf[:0], 4*len(t.Data))[:4*len(t.Data)]
		if _, err := r.r.ReadAt(buf, 8+r.n+h.entries[t.Name].DataOffsets[0]); err != nil {
			return nil, fmt.Errorf("reading tensor %s: %w", t.Name, err)
		}
		for j := range t.Data {
			t.Data[j] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*j:]))
		}
	}
	return p, nil
}

// sameLayers reports whether two archs built for one input have the same layers and shapes.
func sameLayers(a, b *model.Arch) bool {
	return a.Input == b.Input && a.Classes == b.Classes && reflect.DeepEqual(a.Layers, b.Layers)
}

// describe quotes an arch by its name, adding its layer string when that differs.
func describe(name, spec string) string {
	if name == spec || name == "" {
		return fmt.Sprintf("%q", spec)
	}
	return fmt.Sprintf("%q (%s)", name, spec)
}
