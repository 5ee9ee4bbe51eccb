//go:build goexperiment.simd && amd64

package cpu

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

// gemmCase is one call of gemm512 with its strides; pad is the number of sentinel values
// around each slice (and between dst's rows when ldd > nc).
type gemmCase struct {
	nf, nc, R, fs, ws, ldb, ldd int
	bias, acc                   bool
}

const gemmSentinel = float32(-12345.5)

// runGemmCase runs c on random data framed by sentinels and checks every element of dst
// against the float64 sum (tolerance: R float32 roundings of terms of size ≤ 1) and every
// other element of dst's slice, the sentinels included, unchanged.
func runGemmCase(t *testing.T, c gemmCase, src *rng.Source) bool {
	const pad = 37
	rnd := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = 2*src.Float32() - 1
		}
		return x
	}
	aLen := (c.nf-1)*c.fs + (c.R-1)*c.ws + 1
	bLen := (c.R-1)*c.ldb + c.nc
	if c.R == 0 {
		aLen, bLen = 0, 0
	}
	dLen := (c.nf-1)*c.ldd + c.nc
	// Each slice is a window of a larger one whose outside holds sentinels; the asm must
	// stay inside the window.
	frame := func(n int) ([]float32, []float32) {
		all := rnd(n + 2*pad)
		for i := range pad {
			all[i], all[n+pad+i] = gemmSentinel, gemmSentinel
		}
		return all, all[pad : pad+n : pad+n]
	}
	_, a := frame(aLen)
	_, b := frame(bLen)
	dAll, d := frame(dLen)
	old := append([]float32(nil), dAll...)
	var bias []float32
	if c.bias {
		bias = rnd(c.nf)
	}
	gemm512(d, c.ldd, a, c.fs, c.ws, b, c.ldb, bias, c.nf, c.nc, c.R, c.acc)
	ok := true
	inMatrix := make([]bool, len(dAll))
	for f := range c.nf {
		for col := range c.nc {
			i := pad + f*c.ldd + col
			inMatrix[i] = true
			var want float64
			for r := range c.R {
				want += float64(a[f*c.fs+r*c.ws]) * float64(b[r*c.ldb+col])
			}
			if bias != nil {
				want += float64(bias[f])
			}
			if c.acc {
				want += float64(old[i])
			}
			if got := float64(dAll[i]); math.Abs(got-want) > 1e-6*float64(c.R+3) || math.IsNaN(got) {
				ok = assert.Failf(t, "wrong value", "%+v: dst[f=%d, c=%d] = %v, want %v", c, f, col, got, want)
				return ok
			}
		}
	}
	for i, v := range dAll {
		if !inMatrix[i] && v != old[i] {
			return assert.Failf(t, "write outside the matrix", "%+v: dst slice index %d (window starts at %d) changed from %v to %v", c, i, pad, old[i], v)
		}
	}
	return ok
}

// TestGemm512Edges runs gemm512 against the float64 sum for every row count 1…13 (every
// kernel row count up to 13, and the balanced split of a second block), every column
// count 1…70 (partial last vectors of 1…4-vector blocks and a second 64-column block),
// reduction lengths 1…40 and 0, with and without bias and accumulation, and plain,
// padded and transposed strides, with sentinels around every slice.
func TestGemm512Edges(t *testing.T) {
	if !HasAVX512() {
		t.Skip("this CPU has no AVX-512: the kernels cannot run (reported by the kernel path tests)")
	}
	src := rng.New(7)
	n := 0
	for nf := 1; nf <= 13; nf++ {
		for nc := 1; nc <= 70; nc++ {
			R := 1 + (nf*7+nc*3)%40
			if nc%23 == 0 {
				R = 0
			}
			k := nf*71 + nc
			c := gemmCase{nf: nf, nc: nc, R: R, bias: k%2 == 0, acc: k%3 == 0}
			switch k % 4 {
			case 0: // dense: a is nf×R, b R×nc, dst nf×nc
				c.fs, c.ws, c.ldb, c.ldd = R, 1, nc, nc
			case 1: // a transposed (wᵀ of the data gradient), padded rows
				c.fs, c.ws, c.ldb, c.ldd = 1, nf+2, nc+5, nc+3
			case 2: // both strides larger than the matrix
				c.fs, c.ws, c.ldb, c.ldd = 2*R+1, 2, nc+17, nc+16
			case 3: // a column of one value per row, all rows reading the same terms
				c.fs, c.ws, c.ldb, c.ldd = 0, 3, 2*nc, nc+1
			}
			n++
			if !runGemmCase(t, c, src) {
				return
			}
		}
	}
	// Every row count of every vector count (up to the 24 rows of one vector) with
	// R 1…40, accumulate and bias on and off.
	for v := 1; v <= 4; v++ {
		for m := 1; m <= 25; m++ {
			for R := 1; R <= 40; R += 13 {
				for flags := range 4 {
					nc := 16*v - (m+R)%16
					c := gemmCase{nf: m, nc: nc, R: R, fs: R + 1, ws: 1, ldb: nc + 1, ldd: nc, bias: flags&1 != 0, acc: flags&2 != 0}
					n++
					if !runGemmCase(t, c, src) {
						return
					}
				}
			}
		}
	}
	t.Logf("%d cases", n)
}

// runDotCase runs dot512 (nf×nc = a·bᵀ over R terms, a's rows lda apart, b's ldb) on
// random data framed by sentinels, and checks dst against the float64 sums and the rest of
// dst's slice unchanged.
func runDotCase(t *testing.T, c gemmCase, src *rng.Source) bool {
	const pad = 37
	lda, ldb := c.fs, c.ldb
	frame := func(n int) ([]float32, []float32) {
		all := make([]float32, n+2*pad)
		for i := range all {
			all[i] = 2*src.Float32() - 1
		}
		for i := range pad {
			all[i], all[n+pad+i] = gemmSentinel, gemmSentinel
		}
		return all, all[pad : pad+n : pad+n]
	}
	aLen, bLen := (c.nf-1)*lda+c.R, (c.nc-1)*ldb+c.R
	if c.R == 0 {
		aLen, bLen = 0, 0
	}
	_, a := frame(aLen)
	_, b := frame(bLen)
	dAll, d := frame((c.nf-1)*c.ldd + c.nc)
	old := append([]float32(nil), dAll...)
	dot512(d, c.ldd, a, lda, b, ldb, c.nf, c.nc, c.R, c.acc)
	inMatrix := make([]bool, len(dAll))
	for f := range c.nf {
		for col := range c.nc {
			i := pad + f*c.ldd + col
			inMatrix[i] = true
			var want float64
			for r := range c.R {
				want += float64(a[f*lda+r]) * float64(b[col*ldb+r])
			}
			if c.acc {
				want += float64(old[i])
			}
			if got := float64(dAll[i]); math.Abs(got-want) > 1e-6*float64(c.R+3) || math.IsNaN(got) {
				return assert.Failf(t, "wrong value", "%+v: dst[f=%d, c=%d] = %v, want %v", c, f, col, got, want)
			}
		}
	}
	for i, v := range dAll {
		if !inMatrix[i] && v != old[i] {
			return assert.Failf(t, "write outside the matrix", "%+v: dst slice index %d (window starts at %d) changed from %v to %v", c, i, pad, old[i], v)
		}
	}
	return true
}

// TestDot512Edges runs dot512 against the float64 sums for every row count 1…9 and
// column count 1…14 (every kernel shape, and balanced splits into two or three blocks),
// reduction lengths 0…70 (no, partial and several whole vectors) and past dotChunk (two
// and three passes), accumulation on and off, dense and padded strides, with sentinels
// around every slice.
func TestDot512Edges(t *testing.T) {
	if !HasAVX512() {
		t.Skip("this CPU has no AVX-512: the kernels cannot run (reported by the kernel path tests)")
	}
	src := rng.New(11)
	n := 0
	for nf := 1; nf <= 9; nf++ {
		for nc := 1; nc <= 14; nc++ {
			Rs := []int{0, 1, 15, 16, 17, 33 + nf + nc, 64, 70}
			if nf%4 == 1 && nc%5 == 1 { // several passes of dotChunk terms, the last partial
				Rs = append(Rs, dotChunk, dotChunk+1, 2*dotChunk+16*nf+nc)
			}
			for _, R := range Rs {
				k := nf*31 + nc*7 + R
				c := gemmCase{nf: nf, nc: nc, R: R, acc: k%2 == 0, fs: R, ldb: R, ldd: nc}
				if k%3 == 0 { // rows padded
					c.fs, c.ldb, c.ldd = R+3, R+17, nc+2
				}
				n++
				if !runDotCase(t, c, src) {
					return
				}
			}
		}
	}
	t.Logf("%d cases", n)
}

// TestGemm512ChecksSpans: a matrix that does not fit its slice panics before the asm runs.
func TestGemm512ChecksSpans(t *testing.T) {
	if !HasAVX512() {
		t.Skip("this CPU has no AVX-512: the kernels cannot run (reported by the kernel path tests)")
	}
	// 3×20 = (3×4)·(4×20), dense.
	a, b, d := make([]float32, 12), make([]float32, 80), make([]float32, 60)
	call := func(d, a, b, bias []float32) func() {
		return func() { gemm512(d, 20, a, 4, 1, b, 20, bias, 3, 20, 4, false) }
	}
	assert.NotPanics(t, call(d, a, b, nil))
	assert.PanicsWithValue(t, errGemmSpan, call(d[:59], a, b, nil), "short dst")
	assert.PanicsWithValue(t, errGemmSpan, call(d, a[:11], b, nil), "short a")
	assert.PanicsWithValue(t, errGemmSpan, call(d, a, b[:79], nil), "short b")
	assert.PanicsWithValue(t, errGemmSpan, call(d, a, b, make([]float32, 2)), "short bias")
	// 3×5 = (3×20)·(5×20)ᵀ
	dot := func(d, a, b []float32) func() { return func() { dot512(d, 5, a, 20, b, 20, 3, 5, 20, false) } }
	a, b, d = make([]float32, 60), make([]float32, 100), make([]float32, 15)
	assert.NotPanics(t, dot(d, a, b))
	assert.PanicsWithValue(t, errGemmSpan, dot(d[:14], a, b), "short dst")
	assert.PanicsWithValue(t, errGemmSpan, dot(d, a[:59], b), "short a")
	assert.PanicsWithValue(t, errGemmSpan, dot(d, a, b[:99]), "short b")
}

// TestGemm512IsDeterministic: the same product, computed whole and as slices of rows and
// columns (other block shapes and splits), is the same bit for bit.
func TestGemm512IsDeterministic(t *testing.T) {
	if !HasAVX512() {
		t.Skip("this CPU has no AVX-512: the kernels cannot run (reported by the kernel path tests)")
	}
	const nf, nc, R = 29, 150, 77
	src := rng.New(3)
	a, b := make([]float32, nf*R), make([]float32, R*nc)
	for i := range a {
		a[i] = 2*src.Float32() - 1
	}
	for i := range b {
		b[i] = 2*src.Float32() - 1
	}
	whole, parts := make([]float32, nf*nc), make([]float32, nf*nc)
	gemm512(whole, nc, a, R, 1, b, nc, nil, nf, nc, R, false)
	for f := 0; f < nf; f += 5 {
		for c := 0; c < nc; c += 21 {
			m, w := min(5, nf-f), min(21, nc-c)
			gemm512(parts[f*nc+c:], nc, a[f*R:], R, 1, b[c:], nc, nil, m, w, R, false)
		}
	}
	assert.Equal(t, whole, parts)
}

// TestGemmKernelsGenerated: gemm_avx512_amd64.s and its declarations are what
// gemm_avx512_gen.go writes (edit the generator, then go generate ./cpu).
func TestGemmKernelsGenerated(t *testing.T) {
	dir := t.TempDir()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goBin, "run", "gemm_avx512_gen.go", "-dir", dir).CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, name := range []string{"gemm_avx512_amd64.s", "gemm_avx512_decl_amd64.go"} {
		want, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		got, err := os.ReadFile(name)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(want, got), fmt.Sprintf("%s is not the generator's output: run go generate ./cpu", name))
	}
}

// BenchmarkGemm512 times the products of the wide presets' convolutions (a chunk of 8
// samples of lenet-16-32 and conv3-16-32-32), reporting multiply-adds per nanosecond.
func BenchmarkGemm512(b *testing.B) {
	for _, s := range []struct {
		name       string
		nf, nc, R  int
		transposed bool // a is stored R×nf (the data gradient's wᵀ)
	}{
		{"conv2-forward-32x512x400", 32, 512, 400, false},
		{"conv2-data-400x512x32", 400, 512, 32, true},
		{"conv2-filter-400x32x512", 400, 32, 512, false},
		{"conv1-forward-16x576x25", 16, 576, 25, false},
		{"conv1-filter-25x16x4608", 25, 16, 4608, false},
		{"conv3-forward-32x32x288", 32, 32, 288, false},
		{"dot-conv2-filter-32x400x512", 32, 400, 512, true},
		{"dot-conv1-filter-16x25x4608", 16, 25, 4608, true},
		{"dot-conv3-filter-32x288x32", 32, 288, 32, true},
	} {
		b.Run(s.name, func(b *testing.B) {
			if !HasAVX512() {
				b.Skip("no AVX-512")
			}
			a, bb, d := make([]float32, s.nf*s.R), make([]float32, s.R*s.nc), make([]float32, s.nf*s.nc)
			fs, ws := s.R, 1
			if s.transposed {
				fs, ws = 1, s.nf
			}
			for b.Loop() {
				if s.name[:3] == "dot" { // d = a·bᵀ, both R long rows
					dot512(d, s.nc, a, s.R, bb, s.R, s.nf, s.nc, s.R, false)
				} else {
					gemm512(d, s.nc, a, fs, ws, bb, s.nc, nil, s.nf, s.nc, s.R, false)
				}
			}
			b.ReportMetric(float64(b.N)*float64(s.nf*s.nc*s.R)/float64(b.Elapsed().Nanoseconds()), "MAC/ns")
		})
	}
}

// BenchmarkIm2col times the patch matrices (im2col) and their adding back (col2im) of a
// chunk of 8 samples of lenet-16-32's convolutions, reporting patch values per nanosecond.
func BenchmarkIm2col(b *testing.B) {
	for _, s := range []struct {
		name string
		s    model.ConvShape
	}{
		{"conv1", model.ConvShape{N: 8, C: 1, H: 28, W: 28, OC: 16, KH: 5, KW: 5}},
		{"conv2", model.ConvShape{N: 8, C: 16, H: 12, W: 12, OC: 32, KH: 5, KW: 5}},
	} {
		k, p := s.s.C*s.s.KH*s.s.KW, s.s.OH()*s.s.OW()
		in, col := make([]float32, s.s.InLen()), make([]float32, k*p*s.s.N)
		inLen := s.s.InLen() / s.s.N
		b.Run(s.name+"/im2col", func(b *testing.B) {
			for b.Loop() {
				for n := range s.s.N {
					im2col(col[n*p:], p*s.s.N, in[n*inLen:(n+1)*inLen], s.s)
				}
			}
			b.ReportMetric(float64(b.N*len(col))/float64(b.Elapsed().Nanoseconds()), "values/ns")
		})
		b.Run(s.name+"/im2col-per-sample", func(b *testing.B) {
			for b.Loop() {
				for n := range s.s.N {
					im2col(col, p, in[n*inLen:(n+1)*inLen], s.s)
				}
			}
			b.ReportMetric(float64(b.N*len(col))/float64(b.Elapsed().Nanoseconds()), "values/ns")
		})
		b.Run(s.name+"/im2col512", func(b *testing.B) {
			for b.Loop() {
				for n := range s.s.N {
					im2col512(col[n*p:], p*s.s.N, in[n*inLen:(n+1)*inLen], s.s, 0, k)
				}
			}
			b.ReportMetric(float64(b.N*len(col))/float64(b.Elapsed().Nanoseconds()), "values/ns")
		})
		b.Run(s.name+"/im2col512-per-sample", func(b *testing.B) {
			for b.Loop() {
				for n := range s.s.N {
					im2col512(col, p, in[n*inLen:(n+1)*inLen], s.s, 0, k)
				}
			}
			b.ReportMetric(float64(b.N*len(col))/float64(b.Elapsed().Nanoseconds()), "values/ns")
		})
		b.Run(s.name+"/col2im512-per-sample", func(b *testing.B) {
			for b.Loop() {
				for n := range s.s.N {
					col2im512(in[n*inLen:(n+1)*inLen], col, p, s.s)
				}
			}
			b.ReportMetric(float64(b.N*len(col))/float64(b.Elapsed().Nanoseconds()), "values/ns")
		})
		b.Run(s.name+"/col2im512", func(b *testing.B) {
			for b.Loop() {
				for n := range s.s.N {
					col2im512(in[n*inLen:(n+1)*inLen], col[n*p:], p*s.s.N, s.s)
				}
			}
			b.ReportMetric(float64(b.N*len(col))/float64(b.Elapsed().Nanoseconds()), "values/ns")
		})
		b.Run(s.name+"/col2im", func(b *testing.B) {
			for b.Loop() {
				for n := range s.s.N {
					col2im(in[n*inLen:(n+1)*inLen], col[n*p:], p*s.s.N, s.s)
				}
			}
			b.ReportMetric(float64(b.N*len(col))/float64(b.Elapsed().Nanoseconds()), "values/ns")
		})
	}
}
