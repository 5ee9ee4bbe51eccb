//go:build goexperiment.simd && amd64

package cpu

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vkcnn/vkcnn/internal/rng"
	"github.com/vkcnn/vkcnn/model"
)

// TestIm2colAsm checks im2col512 and col2im512 against their definitions on valid
// convolutions of every kernel size 1…5 × 1…4, input widths 1…37 (rows of one, two and
// three vectors, full and partial) and heights, 1…3 channels and row lengths ld > P, with
// sentinels after every slice: im2col exactly (a copy; all rows, and a range of rows
// starting inside a channel), col2im within float32 rounding of its ≤ KH·KW terms.
func TestIm2colAsm(t *testing.T) {
	if !HasAVX512() {
		t.Skip("this CPU has no AVX-512: the kernels cannot run (reported by the kernel path tests)")
	}
	src := rng.New(5)
	const guard = 40
	n := 0
	for kh := 1; kh <= 5; kh++ {
		for kw := 1; kw <= 4; kw++ {
			for w := kw; w <= 37; w += 1 + (w+kh)%3 {
				h := kh + (w*kw)%5
				c := 1 + (w+kh+kw)%3
				s := model.ConvShape{N: 1, C: c, H: h, W: w, OC: 1, KH: kh, KW: kw}
				k, p := c*kh*kw, s.OH()*s.OW()
				ld := p + (w % 4)
				img := make([]float32, c*h*w+guard)
				for i := range img {
					img[i] = 2*src.Float32() - 1
				}
				col := make([]float32, (k-1)*ld+p+guard)
				for i := range col {
					col[i] = gemmSentinel
				}
				im2col512(col, ld, img[:c*h*w], s, 0, k)
				for kk := range k {
					cc, i, j := kk/(kh*kw), kk%(kh*kw)/kw, kk%kw
					for q := range ld {
						got, want := col[kk*ld+q], gemmSentinel
						if q < p {
							want = img[(cc*h+q/s.OW()+i)*w+q%s.OW()+j]
						}
						if kk*ld+q < len(col)-guard && got != want {
							assert.Failf(t, "im2col", "%+v ld %d: col[%d, %d] = %v, want %v", s, ld, kk, q, got, want)
							return
						}
					}
				}
				for i := (k-1)*ld + p; i < len(col); i++ {
					if col[i] != gemmSentinel {
						assert.Failf(t, "im2col wrote past the matrix", "%+v ld %d: col[%d]", s, ld, i)
						return
					}
				}
				// Rows k0 ≤ k < k1 alone: the same rows, nothing written past them.
				k0, k1 := k/3, k-k/4
				part := make([]float32, (k1-k0)*ld+guard)
				for i := range part {
					part[i] = gemmSentinel
				}
				im2col512(part, ld, img[:c*h*w], s, k0, k1)
				for i := range part {
					want := gemmSentinel
					if kk, q := k0+i/ld, i%ld; kk < k1 && q < p {
						want = col[kk*ld+q]
					}
					if part[i] != want {
						assert.Failf(t, "im2col rows", "%+v ld %d rows %d…%d: part[%d] = %v, want %v", s, ld, k0, k1, i, part[i], want)
						return
					}
				}
				// col2im of a random dcol, with sentinels past dIn.
				for i := range col {
					col[i] = 2*src.Float32() - 1
				}
				dIn := make([]float32, c*h*w+guard)
				for i := range dIn {
					dIn[i] = gemmSentinel
				}
				col2im512(dIn[:c*h*w], col, ld, s)
				for cc := range c {
					for yy := range h {
						for xx := range w {
							var want float64
							for i := range kh {
								for j := range kw {
									y, x := yy-i, xx-j
									if y >= 0 && y < s.OH() && x >= 0 && x < s.OW() {
										want += float64(col[((cc*kh+i)*kw+j)*ld+y*s.OW()+x])
									}
								}
							}
							got := float64(dIn[(cc*h+yy)*w+xx])
							if math.Abs(got-want) > 1e-5 {
								assert.Failf(t, "col2im", "%+v ld %d: dIn[%d, %d, %d] = %v, want %v", s, ld, cc, yy, xx, got, want)
								return
							}
						}
					}
				}
				for i := c * h * w; i < len(dIn); i++ {
					if dIn[i] != gemmSentinel {
						assert.Failf(t, "col2im wrote past dIn", "%+v: dIn[%d]", s, i)
						return
					}
				}
				n++
			}
		}
	}
	t.Logf("%d shapes", n)
}
