package vulkan_test

import (
	"testing"

	"github.com/vkcnn/vkcnn/internal/gputest"
	"github.com/vkcnn/vkcnn/vulkan"
)

// BenchmarkDispatch measures the cost of one small dispatch plus a compute→compute barrier
// inside a command buffer recorded once and replayed (the engine's pattern): 256 relu
// dispatches of 64 values per submission, validation off. It reports µs/dispatch from the
// host's clock and, where the queue has timestamps, gpu-µs/dispatch from the device's.
func BenchmarkDispatch(b *testing.B) {
	d := gputest.Open(b, vulkan.Options{Index: vulkan.Auto, AllowCPU: true})
	defer d.Close()
	const perSubmit, n = 256, 64
	buf, err := d.NewBuffer(2*4*n, vulkan.DeviceLocal)
	if err != nil {
		b.Fatal(err)
	}
	k := kernel(b, d, "relu_forward", 64)
	bind, err := k.Bind(buf.Range(0, 4*n), buf.Range(4*n, 4*n))
	if err != nil {
		b.Fatal(err)
	}
	var q *vulkan.QueryPool
	if d.Limits.TimestampValidBits > 0 {
		if q, err = d.NewTimestamps(2); err != nil {
			b.Fatal(err)
		}
	}
	c, err := d.NewCommands(true)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Begin(); err != nil {
		b.Fatal(err)
	}
	if q != nil {
		c.ResetTimestamps(q)
		c.Timestamp(q, 0)
	}
	p := count{n}
	for range perSubmit {
		c.Dispatch(bind, vulkan.Bytes(&p), n)
		c.Barrier()
	}
	if q != nil {
		c.Timestamp(q, 1)
	}
	if err := c.End(); err != nil {
		b.Fatal(err)
	}
	var gpuNs float64
	b.ResetTimer()
	for b.Loop() {
		if err := d.Submit(c); err != nil {
			b.Fatal(err)
		}
		if q != nil {
			ns, err := q.Times()
			if err != nil {
				b.Fatal(err)
			}
			gpuNs += ns[1] - ns[0]
		}
	}
	dispatches := float64(b.N * perSubmit)
	b.ReportMetric(float64(b.Elapsed().Microseconds())/dispatches, "µs/dispatch")
	if q != nil {
		b.ReportMetric(gpuNs/1e3/dispatches, "gpu-µs/dispatch")
	}
}
