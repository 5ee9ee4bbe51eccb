package cpu

import "vkcnn/model"

// Gradient computes the gradient of the batch's mean loss without updating the weights and
// returns it with that loss: the whole-network gradient check's view of the engine.
func (e *Engine) Gradient(batch []int32, globalStep uint32) (*model.Params, float32) {
	e.gradient(batch, globalStep)
	loss, _ := e.sumLoss(len(batch))
	return e.grad.Clone(), loss
}
