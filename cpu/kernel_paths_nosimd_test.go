//go:build !(goexperiment.simd && amd64)

package cpu_test

// kernelPaths are the convolution kernels of this build: the scalar ones only, the SIMD
// kernels needing GOEXPERIMENT=simd on amd64.
func kernelPaths() []kernelPath {
	const why = "built without GOEXPERIMENT=simd on amd64"
	return []kernelPath{
		{name: "avx512", why: why},
		{name: "avx2", why: why},
		{name: "scalar", can: true, use: func() func() { return func() {} }},
	}
}
