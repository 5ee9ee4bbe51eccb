package gpu

import (
	"fmt"
	"os"
	"sync"

	"github.com/vkcnn/vkcnn/vulkan"
)

// kernel returns the pipeline of shader name with workgroup size wg on d, for the parity
// suite's Ops (the engine has its own, Engine.kernel): the embedded SPIR-V, or its
// replacement in $VKCNN_SHADER_DIR, which is then named on stderr once per process, so that
// `VKCNN_SHADER_DIR=DIR go test ./gpu` checks a changed shader and says so.
func kernel(d *vulkan.Device, name string, wg int) (*vulkan.Kernel, error) {
	s, err := loadShaderSet()
	if err != nil {
		return nil, err
	}
	code, path, err := s.code(name)
	if err != nil {
		return nil, err
	}
	if path != "" {
		if _, seen := noticed.LoadOrStore(path, true); !seen {
			fmt.Fprintf(os.Stderr, "gpu: %s: shader %s from %s, not the embedded one\n", ShaderDirEnv, name, path)
		}
	}
	return d.Kernel(name, code, wg)
}

// noticed holds the replacement files kernel has named.
var noticed sync.Map

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
