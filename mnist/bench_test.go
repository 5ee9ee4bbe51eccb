package mnist

import (
	"testing"
)

// BenchmarkLoad reads the real MNIST (data/mnist, from "make data"); it is skipped without it.
func BenchmarkLoad(b *testing.B) {
	dir := realDataDir(b)
	for b.Loop() {
		train, test, err := Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		if train.N+test.N != 70000 {
			b.Fatalf("%d+%d samples", train.N, test.N)
		}
	}
	b.ReportMetric(70000*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}
