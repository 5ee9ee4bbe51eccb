package gpu

import (
	"fmt"

	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/vulkan"
)

var _ engine.OptimState = (*Engine)(nil)

// Momentum implements engine.OptimState: it downloads the momentum buffer.
func (e *Engine) Momentum() (*model.Params, error) {
	flat := make([]float32, e.nParams)
	if err := vulkan.Download(flat, e.b.vel, 0); err != nil {
		return nil, err
	}
	v := e.arch.NewParams()
	for i, t := range v.Tensors {
		copy(t.Data, flat[e.params[i].offset:])
	}
	return v, nil
}

// SetMomentum implements engine.OptimState: it uploads v into the momentum buffer (the
// padding between tensors stays zero).
func (e *Engine) SetMomentum(v *model.Params) error {
	if err := e.arch.Check(v); err != nil {
		return fmt.Errorf("gpu: momentum: %w", err)
	}
	flat := make([]float32, e.nParams)
	for i, t := range v.Tensors {
		copy(flat[e.params[i].offset:], t.Data)
	}
	return vulkan.Upload(e.b.vel, 0, flat)
}
