package cpu_test

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/cpu"
	"github.com/vkcnn/vkcnn/engine"
	"github.com/vkcnn/vkcnn/internal/optest"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// kernelPath is one set of convolution kernels: its name, whether this build and CPU can
// run it (and why not), and use, which selects it and returns what restores the setting
// it found.
type kernelPath struct {
	name string
	can  bool
	why  string
	use  func() (restore func())
}

// requiredPaths are the kernel paths that VKCNN_REQUIRE_KERNELS (comma-separated, e.g.
// "avx512,avx2") says must run here: a test that cannot run one fails instead of
// reporting it.
func requiredPaths() map[string]bool {
	req := map[string]bool{}
	for _, p := range strings.Split(os.Getenv("VKCNN_REQUIRE_KERNELS"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			req[p] = true
		}
	}
	return req
}

// notTested prints, once per test binary, that a kernel path was not tested and why: to
// stderr, so that a plain `go test` (without -v) shows it too.
var notTested sync.Map

// forEachPath runs f as a subtest on every kernel path this build and CPU can run, or on
// those of only that are. A path it cannot run is reported with its reason (t.Log, and once
// on stderr), and fails the test when VKCNN_REQUIRE_KERNELS names it.
func forEachPath(t *testing.T, f func(t *testing.T), only ...string) {
	req := requiredPaths()
	ran := 0
	for _, p := range kernelPaths() {
		if len(only) > 0 && !slices.Contains(only, p.name) {
			continue
		}
		if !p.can {
			if req[p.name] {
				t.Errorf("kernel path %s required by VKCNN_REQUIRE_KERNELS cannot run: %s", p.name, p.why)
			} else {
				t.Logf("kernel path %s NOT TESTED: %s", p.name, p.why)
				if _, done := notTested.LoadOrStore(p.name, true); !done {
					fmt.Fprintf(os.Stderr, "vkcnn/cpu: kernel path %s NOT TESTED: %s\n", p.name, p.why)
				}
			}
			continue
		}
		ran++
		t.Run(p.name, func(t *testing.T) {
			defer p.use()()
			f(t)
		})
	}
	if ran == 0 && len(only) == 0 {
		t.Fatal("no kernel path can run")
	}
}

// TestOpsEveryKernelPath runs the op parity suite (every kernel against the float64
// reference, internal/optest) once per convolution kernel path this machine can execute:
// AVX-512, AVX2+FMA and scalar in a GOEXPERIMENT=simd build, scalar in a plain one.
func TestOpsEveryKernelPath(t *testing.T) {
	forEachPath(t, func(t *testing.T) { optest.All(t, ops{}) })
}

// TestWideTrainingIsIndependentOfGOMAXPROCS trains a wide preset (the 16-lane kernels'
// pooled patch matrices, shared by the goroutines, and the group passes of dW) with 1 and
// with 3 goroutines on every kernel path: the weights must be bit-identical.
func TestWideTrainingIsIndependentOfGOMAXPROCS(t *testing.T) {
	a, err := model.Parse("conv3-16-32-32")
	require.NoError(t, err)
	data := randomSet(40, a.Input, 3)
	forEachPath(t, func(t *testing.T) {
		run := func(procs int) *model.Params {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			e, err := cpu.New(engine.Config{Arch: a, Batch: 20, Momentum: 0.9, Seed: 4, Train: data, Test: data})
			require.NoError(t, err)
			require.NoError(t, e.SetParams(a.InitParams(2)))
			_, _, err = train.Run(e, train.Options{Epochs: 2, LR0: 0.05, LR1: 0.01, Seed: 1, Shuffle: true}, nil)
			require.NoError(t, err)
			p, err := e.Params()
			require.NoError(t, err)
			return p
		}
		p1, p3 := run(1), run(3)
		assert.Equal(t, p1, p3, "bit-identical weights with 1 and 3 goroutines")
		assert.NotEqual(t, a.InitParams(2), p1, "training changed the weights")
	})
}
