//go:build goexperiment.simd && amd64

package cpu

import (
	"fmt"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/vkcnn/vkcnn/model"
)

// guarded returns a slice of n float32 that ends exactly where an inaccessible page
// (PROT_NONE) begins, and one that begins right after another, filled with vals: an
// assembly kernel that reads or writes one value past either end dies with SIGSEGV
// instead of touching the neighbour in Go's heap, where such an access goes unseen.
func guarded(t *testing.T, vals []float32) (atEnd, atStart []float32) {
	t.Helper()
	page := syscall.Getpagesize()
	n := len(vals)
	bytes := (4*n + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, bytes+2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	require.NoError(t, err)
	t.Cleanup(func() { _ = syscall.Munmap(mem) })
	require.NoError(t, syscall.Mprotect(mem[:page], syscall.PROT_NONE))
	require.NoError(t, syscall.Mprotect(mem[page+bytes:], syscall.PROT_NONE))
	end := unsafe.Slice((*float32)(unsafe.Pointer(&mem[page+bytes-4*n])), n)
	copy(end, vals)
	mem2, err := syscall.Mmap(-1, 0, bytes+2*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	require.NoError(t, err)
	t.Cleanup(func() { _ = syscall.Munmap(mem2) })
	require.NoError(t, syscall.Mprotect(mem2[:page], syscall.PROT_NONE))
	require.NoError(t, syscall.Mprotect(mem2[page+bytes:], syscall.PROT_NONE))
	start := unsafe.Slice((*float32)(unsafe.Pointer(&mem2[page])), n)
	copy(start, vals)
	return end, start
}

func ramp(n int, seed float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32((i*7919)%1000)/1000 - 0.5 + seed
	}
	return v
}

// TestAVX512KernelsStayInTheirSlices runs the AVX-512 convolutions, im2col512, col2im512,
// gemm512 and dot512 on operands that end at (and begin after) an inaccessible page, on
// valid and padded shapes whose output rows are 1 to 65 values wide (every mode of the
// row tails), 1 to 3 samples and channels: no access outside the slices (which would be a
// SIGSEGV here), and the same results as on ordinary slices.
func TestAVX512KernelsStayInTheirSlices(t *testing.T) {
	if !cpuHasAVX512() {
		t.Skip("no AVX-512 on this CPU")
	}
	was := simd512
	simd512 = true
	defer func() { simd512 = was }()
	var shapes []model.ConvShape
	for _, w := range []int{1, 2, 3, 5, 8, 9, 12, 15, 16, 17, 24, 28, 33, 63, 64, 65} {
		for _, k := range []int{1, 2, 3, 5, 7} {
			if k > w {
				continue
			}
			for _, pad := range []int{0, k / 2, k - 1} {
				h := max(k, min(w, 9))
				shapes = append(shapes,
					model.ConvShape{N: 1, C: 1, H: h, W: w, OC: 1, KH: k, KW: k, PadH: pad, PadW: pad},
					model.ConvShape{N: 3, C: 3, H: h, W: w, OC: 5, KH: k, KW: k, PadH: pad, PadW: pad},
					model.ConvShape{N: 2, C: 2, H: k, W: w, OC: 17, KH: k, KW: min(k, w), PadH: 0, PadW: pad})
			}
		}
	}
	for _, s := range shapes {
		t.Run(fmt.Sprintf("%+v", s), func(t *testing.T) {
			in, dOut, w, b := ramp(s.InLen(), 0.1), ramp(s.OutLen(), -0.2), ramp(s.WeightLen(), 0.05), ramp(s.OC, 0.3)
			wantOut := make([]float32, s.OutLen())
			convForward512(wantOut, in, w, b, s)
			wantDIn := make([]float32, s.InLen())
			convBackwardData512(wantDIn, dOut, w, s)
			wantDW := make([]float32, s.WeightLen())
			convBackwardFilter512(wantDW, dOut, in, s)
			for side := range 2 {
				pick := func(v []float32) []float32 {
					e, st := guarded(t, v)
					return [][]float32{e, st}[side]
				}
				gin, gdOut, gw, gb := pick(in), pick(dOut), pick(w), pick(b)
				out := pick(make([]float32, s.OutLen()))
				convForward512(out, gin, gw, gb, s)
				require.Equal(t, wantOut, append([]float32(nil), out...), "forward, side %d", side)
				dIn := pick(make([]float32, s.InLen()))
				convBackwardData512(dIn, gdOut, gw, s)
				require.Equal(t, wantDIn, append([]float32(nil), dIn...), "data gradient, side %d", side)
				dW := pick(make([]float32, s.WeightLen()))
				convBackwardFilter512(dW, gdOut, gin, s)
				require.Equal(t, wantDW, append([]float32(nil), dW...), "filter gradient, side %d", side)
			}
			if s.PadH == 0 && s.PadW == 0 && s.N == 1 {
				k, p := s.C*s.KH*s.KW, s.OH()*s.OW()
				col := make([]float32, k*p)
				im2col512(col, p, in[:s.C*s.H*s.W], s, 0, k)
				for side := range 2 {
					e, st := guarded(t, make([]float32, k*p))
					gcol := [][]float32{e, st}[side]
					ge, gs := guarded(t, in[:s.C*s.H*s.W])
					im2col512(gcol, p, [][]float32{ge, gs}[side], s, 0, k)
					require.Equal(t, col, append([]float32(nil), gcol...), "im2col512, side %d", side)
					dcol := ramp(k*p, 0.2)
					want := make([]float32, s.C*s.H*s.W)
					col2im512(want, dcol, p, s)
					de, ds := guarded(t, dcol)
					ie, is := guarded(t, make([]float32, s.C*s.H*s.W))
					got := [][]float32{ie, is}[side]
					col2im512(got, [][]float32{de, ds}[side], p, s)
					require.Equal(t, want, append([]float32(nil), got...), "col2im512, side %d", side)
				}
			}
		})
	}
}

// TestAVX512ProductsStayInTheirSlices: gemm512 and dot512 with every operand ending at an
// inaccessible page, for row and column counts around the kernels' blocks and tails.
func TestAVX512ProductsStayInTheirSlices(t *testing.T) {
	if !cpuHasAVX512() {
		t.Skip("no AVX-512 on this CPU")
	}
	for _, nf := range []int{1, 2, 3, 5, 7, 17} {
		for _, nc := range []int{1, 7, 15, 16, 17, 63, 64, 65, 129} {
			for _, R := range []int{1, 3, 16, 17, 33} {
				a, b, bias := ramp(nf*R, 0.1), ramp(R*nc, -0.1), ramp(nf, 0.2)
				want := make([]float32, nf*nc)
				gemm512(want, nc, a, R, 1, b, nc, bias, nf, nc, R, false)
				ga, _ := guarded(t, a)
				gb, _ := guarded(t, b)
				gbias, _ := guarded(t, bias)
				got, _ := guarded(t, make([]float32, nf*nc))
				gemm512(got, nc, ga, R, 1, gb, nc, gbias, nf, nc, R, false)
				require.Equal(t, want, append([]float32(nil), got...), "gemm512 %dx%dx%d", nf, nc, R)

				bt := ramp(nc*R, 0.3)
				want = make([]float32, nf*nc)
				dot512(want, nc, a, R, bt, R, nf, nc, R, false)
				gbt, _ := guarded(t, bt)
				got, _ = guarded(t, make([]float32, nf*nc))
				dot512(got, nc, ga, R, gbt, R, nf, nc, R, false)
				require.Equal(t, want, append([]float32(nil), got...), "dot512 %dx%dx%d", nf, nc, R)
			}
		}
	}
}
