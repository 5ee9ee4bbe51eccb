package engine

import "testing"

// StepSamples is the batch, or the whole set when the batch is larger than it.
func TestStepSamples(t *testing.T) {
	for _, c := range []struct{ batch, n, want int }{{64, 60000, 64}, {64, 10, 10}, {10, 10, 10}, {1, 1, 1}} {
		cfg := Config{Batch: c.batch, Train: &Dataset{N: c.n}}
		if got := cfg.StepSamples(); got != c.want {
			t.Errorf("batch %d over %d samples: StepSamples() = %d, want %d", c.batch, c.n, got, c.want)
		}
	}
}
