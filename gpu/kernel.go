package gpu

import (
	"fmt"
	"io/fs"

	"github.com/vkcnn/vkcnn/shaders"
	"github.com/vkcnn/vkcnn/vulkan"
)

// kernel returns the pipeline of the embedded shaders/<name>.spv with workgroup size wg.
func kernel(d *vulkan.Device, name string, wg int) (*vulkan.Kernel, error) {
	code, err := fs.ReadFile(shaders.FS, name+".spv")
	if err != nil {
		return nil, fmt.Errorf("gpu: shader %s.spv is not embedded (run make shaders): %w", name, err)
	}
	return d.Kernel(name, code, wg)
}

// binding is a kernel's descriptor set with the kernel's shader name, which a recorded
// call must match.
type binding struct {
	*vulkan.Binding
	name string
}

// bind binds k to ranges (see vulkan.Kernel.Bind).
func bind(k *vulkan.Kernel, ranges ...vulkan.Range) (*binding, error) {
	b, err := k.Bind(ranges...)
	if err != nil {
		return nil, err
	}
	return &binding{b, k.Name}, nil
}

// recorder records calls into a command buffer; with prof set, each call is followed by a
// timestamp (see Engine.Profile).
type recorder struct {
	*vulkan.Commands
	prof *profile
}

// record records op with binding b (and, when profiling, a timestamp after it).
func (c *recorder) record(b *binding, op call) {
	if b.name != op.name {
		panic("gpu: a binding recorded with another shader's call")
	}
	if op.grid.groups > 0 {
		c.DispatchGroups(b.Binding, op.push, op.grid.groups)
	} else {
		c.Dispatch(b.Binding, op.push, op.grid.total)
	}
	if p := c.prof; p != nil {
		p.ops = append(p.ops, op.name)
		c.Timestamp(p.q, len(p.ops))
	}
}
