package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"

	"github.com/vkcnn/vkcnn/model"
)

const (
	dtypeF32 = "F32"
	// maxHeader bounds the JSON header before it is read. It is the safetensors library's
	// own limit (MAX_HEADER_SIZE, 100 MB), so every file it writes is accepted, and a
	// corrupt length costs at most that much memory, and only in a file at least that
	// large (a vkcnn header is under a hundred bytes per tensor).
	maxHeader = 100_000_000
	metaKey   = "__metadata__"
)

// entry is a tensor's description in the header. parseHeader makes sure Dtype is set,
// Shape is present and DataOffsets has exactly two elements.
type entry struct {
	Dtype       string  `json:"dtype"`
	Shape       []int   `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// header is a parsed safetensors header: metadata, and tensor entries in file order.
type header struct {
	meta    map[string]string
	names   []string
	entries map[string]entry
}

// encode returns the safetensors bytes of p for arch a (p must pass a.Check).
func encode(a *model.Arch, p *model.Params) []byte { return encodeWith(a, p, nil, nil) }

// encodeWith is encode with more metadata (run, beside arch, format and name) and, when v
// is not nil, v's tensors (momentum buffers, v must pass a.Check) after p's, each named
// MomentumPrefix + its parameter's name.
func encodeWith(a *model.Arch, p *model.Params, run map[string]string, v *model.Params) []byte {
	var h bytes.Buffer
	m := map[string]string{"arch": a.Spec, "format": "pt", "name": a.Name}
	for k, x := range run {
		m[k] = x
	}
	meta, _ := json.Marshal(m)
	h.WriteString(`{"` + metaKey + `":`)
	h.Write(meta)
	all := slices.Clone(p.Tensors)
	if v != nil {
		for _, t := range v.Tensors {
			t.Name = MomentumPrefix + t.Name
			all = append(all, t)
		}
	}
	var off int64
	for _, t := range all {
		name, _ := json.Marshal(t.Name)
		e, _ := json.Marshal(entry{Dtype: dtypeF32, Shape: t.Shape, DataOffsets: []int64{off, off + 4*int64(len(t.Data))}})
		h.WriteByte(',')
		h.Write(name)
		h.WriteByte(':')
		h.Write(e)
		off += 4 * int64(len(t.Data))
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	out := make([]byte, 8, 8+int64(h.Len())+off)
	binary.LittleEndian.PutUint64(out, uint64(h.Len()))
	out = append(out, h.Bytes()...)
	for _, t := range all {
		for _, v := range t.Data {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		}
	}
	return out
}

// headerLength reads the 8-byte header length from the file's first 9 bytes (all of them
// if it is shorter) and checks it against the file size and the first header byte.
func headerLength(prefix []byte, size int64) (int64, error) {
	if len(prefix) > 8 && prefix[8] != '{' {
		return 0, fmt.Errorf("not a safetensors file: byte 8 is 0x%02x, not the '{' that starts the JSON header", prefix[8])
	}
	if size < 8 {
		return 0, fmt.Errorf("%d bytes, too short for a safetensors file (8-byte header length, JSON header, data)", size)
	}
	n := binary.LittleEndian.Uint64(prefix[:8])
	if n < 2 || n > maxHeader {
		return 0, fmt.Errorf("not a safetensors file: its first 8 bytes give a header length of %d (want 2..%d)", n, maxHeader)
	}
	if n > uint64(size-8) {
		return 0, fmt.Errorf("header length %d does not fit a file of %d bytes: truncated, or not a safetensors file", n, size)
	}
	return int64(n), nil
}

// parseHeader parses a JSON header: one object whose keys are "__metadata__" (a map of
// strings) and tensor names (each an entry), no key twice, nothing after it but spaces.
func parseHeader(js []byte) (*header, error) {
	h := &header{entries: map[string]entry{}}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a safetensors file: the header is not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("header: invalid JSON: %w", err)
		}
		key := tok.(string) // object keys are always strings
		if seen[key] {
			return nil, fmt.Errorf("header: key %q appears twice", key)
		}
		seen[key] = true
		if key == metaKey {
			if err := dec.Decode(&h.meta); err != nil {
				return nil, fmt.Errorf("header: %s is not a map of strings: %w", metaKey, err)
			}
			continue
		}
		var e entry
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("header: tensor %q: %w", key, err)
		}
		if err := e.check(); err != nil {
			return nil, fmt.Errorf("header: tensor %q: %w", key, err)
		}
		h.names = append(h.names, key)
		h.entries[key] = e
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("header: invalid JSON: %w", err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("header: %v after the JSON object", describeExtra(tok, err))
	}
	return h, nil
}

// check checks that the fields every safetensors entry has are present and well formed.
func (e *entry) check() error {
	switch {
	case e.Dtype == "":
		return errors.New("no dtype")
	case e.Shape == nil:
		return errors.New("no shape")
	case len(e.DataOffsets) != 2:
		return fmt.Errorf("data_offsets %v has %d elements, want 2 (begin, end)", e.DataOffsets, len(e.DataOffsets))
	}
	return nil
}

func describeExtra(tok json.Token, err error) string {
	if err != nil {
		return fmt.Sprintf("invalid text (%v)", err)
	}
	return fmt.Sprintf("unexpected %v", tok)
}

// checkLayout checks that the entries' byte ranges tile [0, dataLen) exactly, in some
// order, without a gap or an overlap, and that each range holds its shape's F32 values.
func (h *header) checkLayout(dataLen int64) error {
	names := slices.Clone(h.names)
	sort.SliceStable(names, func(i, j int) bool {
		return h.entries[names[i]].DataOffsets[0] < h.entries[names[j]].DataOffsets[0]
	})
	var end int64
	prev := "the start of the data"
	for _, name := range names {
		e := h.entries[name]
		b, f := e.DataOffsets[0], e.DataOffsets[1]
		if b < 0 || f < b {
			return fmt.Errorf("tensor %s: data_offsets [%d, %d] are not a byte range", name, b, f)
		}
		if b != end {
			what := "a gap"
			if b < end {
				what = "an overlap"
			}
			return fmt.Errorf("tensor %s: data_offsets [%d, %d] leave %s after %s (which ends at %d)", name, b, f, what, prev, end)
		}
		if f > dataLen {
			return fmt.Errorf("tensor %s: data_offsets [%d, %d] run past the end of the data (%d bytes; file truncated?)", name, b, f, dataLen)
		}
		if e.Dtype == dtypeF32 {
			n, ok := numel(e.Shape)
			if !ok || 4*n != f-b {
				return fmt.Errorf("tensor %s: %d bytes for shape %v of F32, want 4·%d", name, f-b, e.Shape, n)
			}
		}
		end, prev = f, "tensor "+name
	}
	if end != dataLen {
		return fmt.Errorf("%d bytes of data after the last tensor (the tensors take %d bytes, the file holds %d)", dataLen-end, end, dataLen)
	}
	return nil
}

// numel is the product of shape, false when a dimension is negative or it overflows.
func numel(shape []int) (int64, bool) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 || (d > 0 && n > math.MaxInt64/4/int64(d)) {
			return 0, false
		}
		n *= int64(d)
	}
	return n, true
}

// ErrNoArch is returned by Reader.Arch for a file without an "arch" in its metadata, such
// as the state_dict of a PyTorch model saved with safetensors.torch.save_file.
var ErrNoArch = errors.New(`no "arch" in __metadata__ (a plain state_dict?), so the arch must be given`)
