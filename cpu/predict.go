package cpu

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/vkcnn/vkcnn/model"
)

// predictChunk is the number of images one goroutine runs through the network at a time.
const predictChunk = 64

// Predictor runs a trained network forward on the CPU: what inference needs, built from an
// arch and its parameters alone (no dataset, no optimiser state). Dropout is the identity,
// as in evaluation. A Predictor is safe for concurrent use.
type Predictor struct {
	arch    *model.Arch
	plan    *plan
	params  *model.Params
	workers int
	pool    sync.Pool // *predictScratch
}

// predictScratch holds the activations of up to predictChunk images: acts[0] is the input
// (the caller's images, not copied), acts[i+1] the output of layer i (plan.newActs);
// argmax[i] is pooling layer i's (unused) index output, one buffer shared by every
// pooling layer.
type predictScratch struct {
	acts   [][]float32
	argmax [][]int32
}

// NewPredictor builds a predictor for arch a with parameters p (copied, so that p may
// change afterwards). p must have exactly a's tensors, names and shapes.
func NewPredictor(a *model.Arch, p *model.Params) (*Predictor, error) {
	if a == nil || p == nil {
		return nil, fmt.Errorf("cpu: predictor needs an arch and its parameters")
	}
	if err := a.Check(p); err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	pr := &Predictor{arch: a, plan: newPlan(a), params: p.Clone(), workers: runtime.GOMAXPROCS(0)}
	pr.pool.New = func() any {
		s := &predictScratch{acts: pr.plan.newActs(predictChunk, true)}
		most := 0
		for i := range a.Layers {
			if k := a.Layers[i].Kind; k == model.MaxPool || k == model.MinPool {
				most = max(most, a.Layers[i].Out.Len())
			}
		}
		shared := make([]int32, predictChunk*most)
		s.argmax = make([][]int32, len(a.Layers))
		for i := range s.argmax {
			s.argmax[i] = shared
		}
		return s
	}
	return pr, nil
}

// Arch is the network the predictor runs.
func (pr *Predictor) Arch() *model.Arch { return pr.arch }

// Logits computes the last layer's outputs for the images: len(images)/In values per image
// of In = C·H·W values (NCHW, the arch's input shape), and returns them as (N, Classes),
// row-major. Images are split into chunks of 64 run on GOMAXPROCS goroutines; each image's
// logits depend on that image alone.
func (pr *Predictor) Logits(images []float32) ([]float32, error) {
	in, k := pr.arch.Input.Len(), pr.arch.Classes
	if len(images)%in != 0 {
		return nil, fmt.Errorf("cpu: %d input values are not whole images of %s", len(images), pr.arch.Input)
	}
	n := len(images) / in
	out := make([]float32, n*k)
	chunks := (n + predictChunk - 1) / predictChunk
	parallelFor(min(pr.workers, chunks), chunks, func(c int) {
		lo, hi := c*predictChunk, min(n, (c+1)*predictChunk)
		s := pr.pool.Get().(*predictScratch)
		copy(out[lo*k:hi*k], pr.forward(s, images[lo*in:hi*in], hi-lo))
		pr.pool.Put(s)
	})
	return out, nil
}

// forward runs n images x through the network in s and returns the logits, (n, Classes).
// x is read, never written: no pass runs in place in the input (newPlan).
func (pr *Predictor) forward(s *predictScratch, x []float32, n int) []float32 {
	s.acts[0] = x
	forwardLayers(pr.plan, pr.params, s.acts, s.argmax, n, dropoutMasks{})
	s.acts[0] = nil
	return s.acts[len(s.acts)-1][:n*pr.arch.Classes]
}

// parallelFor runs f(0..n-1) on up to workers goroutines (inline when workers ≤ 1).
func parallelFor(workers, n int, f func(i int)) {
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		})
	}
	wg.Wait()
}
