package cpu

import (
	"fmt"

	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/model"
)

var _ engine.OptimState = (*Engine)(nil)

// Momentum implements engine.OptimState.
func (e *Engine) Momentum() (*model.Params, error) { return e.vel.Clone(), nil }

// SetMomentum implements engine.OptimState.
func (e *Engine) SetMomentum(v *model.Params) error {
	if err := e.arch.Check(v); err != nil {
		return fmt.Errorf("cpu: momentum: %w", err)
	}
	e.vel = v.Clone()
	return nil
}
