package gpu

import (
	"fmt"
	"unsafe"

	"github.com/vkcnn/vkcnn/vulkan"
)

// Ops runs each op of the internal/optest.Ops contract as one dispatch on a Device: every
// call checks its arguments (an error naming a slice of the wrong length, a label or an
// argmax out of range, before anything is allocated), allocates device-local buffers,
// uploads the inputs, dispatches the op's shader, waits, and downloads the outputs. It
// exists for the parity suite, in test files, not for speed (the engine keeps everything
// on the device and shares only the calls of calls.go). Every output buffer has guardWords extra words
// holding a sentinel that are checked after the dispatch, so that a shader writing past
// the end of an output is an error.
type Ops struct {
	d *vulkan.Device
	// WG is the workgroup size the shaders are built for (default 64).
	WG int
	// extra holds SPIR-V, by shader name, of shaders that are not embedded (a test's).
	extra map[string][]byte
}

// NewOps returns the ops of d with workgroup size 64.
func NewOps(d *vulkan.Device) *Ops { return &Ops{d: d, WG: 64} }

// guardWords is the number of sentinel words after every output.
const guardWords = 16

// guardBits is the sentinel: a signalling-NaN pattern that no op produces.
const guardBits = 0x7fa5a5a5

// poisonBits fills an output before a dispatch, so that an element the shader fails to
// write reads as NaN.
const poisonBits = 0x7fc00bad

// arg is one buffer argument of a dispatch: its name (for errors), its 4-byte elements
// viewed as bytes, and whether the shader writes it.
type arg struct {
	name  string
	data  []byte
	out   bool
	inout bool // written and read: uploaded before, downloaded after
}

func input[T vulkan.Elem](name string, s []T) arg { return arg{name: name, data: asBytes(s)} }
func output[T vulkan.Elem](name string, s []T) arg {
	return arg{name: name, data: asBytes(s), out: true}
}
func inout[T vulkan.Elem](name string, s []T) arg {
	return arg{name: name, data: asBytes(s), out: true, inout: true}
}

// asBytes views 4-byte elements as bytes.
func asBytes[T vulkan.Elem](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*4)
}

// asWords views bytes (a multiple of 4 of them) as 32-bit words.
func asWords(b []byte) []uint32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&b[0])), len(b)/4)
}

// run executes op over args (in binding order).
func (o *Ops) run(op call, args ...arg) error {
	d, name := o.d, op.name
	var k *vulkan.Kernel
	var err error
	if code, ok := o.extra[name]; ok {
		k, err = d.Kernel(name, code, o.WG)
	} else {
		k, err = kernel(d, name, o.WG)
	}
	if err != nil {
		return err
	}
	bufs := make([]*vulkan.Buffer, len(args))
	defer func() {
		for _, b := range bufs {
			b.Destroy()
		}
	}()
	ranges := make([]vulkan.Range, len(args))
	for i, a := range args {
		size := len(a.data)
		if a.out {
			size += 4 * guardWords
		}
		b, err := d.NewBuffer(size, vulkan.DeviceLocal)
		if err != nil {
			return fmt.Errorf("gpu: %s: buffer %s: %w", name, a.name, err)
		}
		bufs[i] = b
		init := a.data
		if a.out {
			init = make([]byte, size)
			words := asWords(init)
			for j := range words {
				words[j] = poisonBits
				if j*4 >= len(a.data) {
					words[j] = guardBits
				}
			}
			if a.inout {
				copy(init, a.data)
			}
		}
		if err := vulkan.Upload(b, 0, asWords(init)); err != nil {
			return fmt.Errorf("gpu: %s: uploading %s: %w", name, a.name, err)
		}
		ranges[i] = b.All()
	}
	b, err := bind(k, ranges...)
	if err != nil {
		return err
	}
	defer b.Free()
	err = d.OneShot(func(c *vulkan.Commands) { (&recorder{Commands: c}).record(b, op) })
	if err != nil {
		return fmt.Errorf("gpu: %s: %w", name, err)
	}
	for i, a := range args {
		if !a.out {
			continue
		}
		back := make([]byte, bufs[i].Size())
		if err := vulkan.Download(asWords(back), bufs[i], 0); err != nil {
			return fmt.Errorf("gpu: %s: downloading %s: %w", name, a.name, err)
		}
		guard := unsafe.Slice((*uint32)(unsafe.Pointer(&back[len(a.data)])), guardWords)
		for j, w := range guard {
			if w != guardBits {
				return fmt.Errorf("gpu: %s wrote past the end of %s (guard word %d is 0x%08x)", name, a.name, j, w)
			}
		}
		copy(a.data, back[:len(a.data)])
	}
	return nil
}

// length is a slice argument's name, its length and the length its shape needs.
type length struct {
	name      string
	got, want int
}

// check returns an error naming the first argument whose length is not the one its shape
// needs; nothing has been allocated or dispatched yet.
func check(op string, args ...length) error {
	for _, a := range args {
		if a.got != a.want {
			return fmt.Errorf("gpu: %s: %s has %d values, the shape needs %d", op, a.name, a.got, a.want)
		}
	}
	return nil
}

// same returns an error listing every argument's length unless all are equal: for the
// elementwise ops, whose length no shape fixes.
func same(op string, names []string, lens ...int) error {
	for _, n := range lens {
		if n != lens[0] {
			msg := ""
			for i, name := range names {
				if i > 0 {
					msg += ", "
				}
				msg += fmt.Sprintf("%s %d", name, lens[i])
			}
			return fmt.Errorf("gpu: %s: the slices differ in length (%s values)", op, msg)
		}
	}
	return nil
}

// checkAct is check for x, the input of a fused activation's derivative, when a reads it.
func checkAct(op string, n, want int, a act) error {
	if a == actNone {
		return nil
	}
	return check(op, length{"x", n, want})
}
