package checkpoint

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"vkcnn/model"
)

// Load reads the checkpoint at path for arch a: the file's arch string must be a.Spec and
// its tensors exactly a's parameters (names, F32, shapes), laid out without gaps or
// overlaps. Every error names the file and what does not fit.
func Load(path string, a *model.Arch) (*model.Params, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	p, err := decode(data, a)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return p, nil
}

// ReadArch returns the arch string a checkpoint was made for (model.Parse accepts it),
// reading only its header.
func ReadArch(path string) (spec string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	h, err := readHeader(f)
	if err == nil {
		spec, _, err = h.arch()
	}
	if err != nil {
		return "", fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return spec, nil
}

// readHeader reads and parses the header of the safetensors file f.
func readHeader(f *os.File) (*header, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	prefix := make([]byte, min(st.Size(), 9))
	if _, err := io.ReadFull(f, prefix); err != nil {
		return nil, err
	}
	n, err := headerLength(prefix, st.Size())
	if err != nil {
		return nil, err
	}
	js := make([]byte, n)
	if _, err := f.ReadAt(js, 8); err != nil {
		return nil, fmt.Errorf("reading the %d-byte header: %w", n, err)
	}
	return parseHeader(js)
}

// decode parses a whole safetensors file and checks it against a.
func decode(data []byte, a *model.Arch) (*model.Params, error) {
	n, err := headerLength(data, int64(len(data)))
	if err != nil {
		return nil, err
	}
	h, err := parseHeader(data[8 : 8+n])
	if err != nil {
		return nil, err
	}
	spec, name, err := h.arch()
	if err != nil {
		return nil, err
	}
	if spec != a.Spec {
		return nil, fmt.Errorf("made for arch %s, not %s", describe(name, spec), describe(a.Name, a.Spec))
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
			if !slices.ContainsFunc(want, func(t model.Tensor) bool { return t.Name == name }) {
				return nil, fmt.Errorf("unexpected tensor %s (arch %s has %d tensors)", name, a.Name, len(want))
			}
		}
	}
	body := data[8+n:]
	if err := h.checkLayout(int64(len(body))); err != nil {
		return nil, err
	}
	p := a.NewParams()
	for i := range p.Tensors {
		t := &p.Tensors[i]
		src := body[h.entries[t.Name].DataOffsets[0]:]
		for j := range t.Data {
			t.Data[j] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*j:]))
		}
	}
	return p, nil
}

// describe quotes an arch by its name, adding its layer string when that differs.
func describe(name, spec string) string {
	if name == spec || name == "" {
		return fmt.Sprintf("%q", spec)
	}
	return fmt.Sprintf("%q (%s)", name, spec)
}
