//go:build goexperiment.simd && amd64

package cpu

import "unsafe"

//go:generate go run gemm_avx512_gen.go

// gemmKernel is one micro-kernel of gemm_avx512_amd64.s (see its header):
//
//	d[f·ldd + c] (= or, acc ≠ 0, +=) bias[f] + Σ_{r<R} a[f·fs + r·ws]·b[r·ldb + c]
//
// for its m rows f and the columns c of its V vectors, the last one's lanes those of mask.
type gemmKernel func(a *float32, fs, ws int, b *float32, ldb int, d *float32, ldd int, bias *float32, r, mask, acc int)

const errGemmSpan = "cpu: gemm512: a matrix does not fit its slice"

// gemm512 computes, for f < nf and c < nc,
//
//	dst[f·ldd + c] (= or, acc, +=) bias[f] + Σ_{r<R} a[f·fs + r·ws]·b[r·ldb + c]
//
// with bias nil for no bias: a is an nf×R matrix of any strides (fs between rows, ws
// between terms; a transposed matrix is ws > fs), b an R×nc matrix of rows ldb apart and
// dst an nf×nc matrix of rows ldd apart. Nothing outside those elements is read or
// written. Each sum runs over r = 0, …, R−1 in order, then the bias, then the old dst: the
// result does not depend on the tiling below, the threads or the slices' alignment.
//
// The columns are taken 64 at a time (4 vectors; the last block fewer, its last vector
// masked), and for each such block the rows in ⌈nf/(24/V)⌉ blocks of nearly equal size,
// so that a kernel keeps its m·V ≤ 24 accumulators in registers over the whole sum and no
// block computes rows or vectors it does not store.
func gemm512(dst []float32, ldd int, a []float32, fs, ws int, b []float32, ldb int, bias []float32, nf, nc, R int, acc bool) {
	if nf <= 0 || nc <= 0 {
		return
	}
	if R < 0 || fs < 0 || ws < 0 || ldb < 0 || ldd < nc && nf > 1 ||
		len(dst) < (nf-1)*ldd+nc || bias != nil && len(bias) < nf ||
		R > 0 && (len(a) < (nf-1)*fs+(R-1)*ws+1 || len(b) < (R-1)*ldb+nc) {
		panic(errGemmSpan)
	}
	accFlag := 0
	if acc {
		accFlag = 1
	}
	pa, pb := unsafe.Pointer(unsafe.SliceData(a)), unsafe.Pointer(unsafe.SliceData(b))
	pd, pbias := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(nil)
	if bias != nil {
		pbias = unsafe.Pointer(unsafe.SliceData(bias))
	}
	if R == 0 { // no term reads a or b: point them at dst, which the kernel then does not load
		pa, pb, fs = pd, pd, 0
	}
	for c0 := 0; c0 < nc; c0 += 64 {
		cols := min(64, nc-c0)
		v := (cols + 15) / 16
		mask := 1<<(cols-16*(v-1)) - 1
		kernels := gemmKernels[v-1]
		blocks := (nf + len(kernels) - 1) / len(kernels)
		for i, f0 := 0, 0; i < blocks; i++ {
			m := ceilDiv(nf-f0, blocks-i) // the rows left, shared out evenly
			var pbf *float32
			if pbias != nil {
				pbf = (*float32)(unsafe.Add(pbias, 4*f0))
			}
			kernels[m-1]((*float32)(unsafe.Add(pa, 4*f0*fs)), fs, ws,
				(*float32)(unsafe.Add(pb, 4*c0)), ldb,
				(*float32)(unsafe.Add(pd, 4*(f0*ldd+c0))), ldd, pbf, R, mask, accFlag)
			f0 += m
		}
	}
}

// dotChunk is the number of terms (a multiple of 16) dot512 sums per pass over the
// blocks: a block of 6 rows of b and one of 4 rows of a, 30 KiB, stay in the L1 cache.
const dotChunk = 768

// dotKernel is one NT micro-kernel of gemm_avx512_amd64.s (see its header):
//
//	d[f·ldd + c] (= or, acc ≠ 0, +=) Σ_{r<R} a[f·lda + r]·b[c·ldb + r],   R = 16·nfull + popcount(mask)
//
// for its m rows f and n columns c.
type dotKernel func(a *float32, lda int, b *float32, ldb int, d *float32, ldd int, nfull, mask, acc int)

// dot512 computes, for f < nf and c < nc, the dot products of the rows of a and of b
//
//	dst[f·ldd + c] (= or, acc, +=) Σ_{r<R} a[f·lda + r]·b[c·ldb + r]
//
// (dst = a·bᵀ, for a weight gradient whose two operands both run along the reduction),
// reading and writing nothing outside those elements. Each sum is 16 partial sums (lane
// l: the terms r ≡ l mod 16, in order) added in a fixed tree, then the old dst: the
// result depends on R, never on the tiling, the threads or the alignment. The terms are
// taken dotChunk at a time, each pass's sums added to dst in order: for R > dotChunk,
// dst = (…((old + s_0) + s_1) + …) with s_q the sum of pass q's terms as above. Rows and
// columns are cut into blocks of nearly equal size of at most 4 rows and 6 columns (4·6
// accumulators in registers across a pass).
func dot512(dst []float32, ldd int, a []float32, lda int, b []float32, ldb int, nf, nc, R int, acc bool) {
	if nf <= 0 || nc <= 0 {
		return
	}
	if R < 0 || lda < 0 || ldb < 0 || ldd < nc && nf > 1 || len(dst) < (nf-1)*ldd+nc ||
		R > 0 && (len(a) < (nf-1)*lda+R || len(b) < (nc-1)*ldb+R) {
		panic(errGemmSpan)
	}
	accFlag := 0
	if acc {
		accFlag = 1
	}
	pa, pb := unsafe.Pointer(unsafe.SliceData(a)), unsafe.Pointer(unsafe.SliceData(b))
	pd := unsafe.Pointer(unsafe.SliceData(dst))
	if R == 0 { // no term reads a or b: point them at dst, which the kernel then does not load
		pa, pb, lda, ldb = pd, pd, 0, 0
	}
	rowBlocks, colBlocks := (nf+3)/4, (nc+5)/6
	for r0 := 0; r0 == 0 || r0 < R; r0 += dotChunk {
		rc := min(dotChunk, R-r0)
		nfull, mask := rc/16, 1<<(rc%16)-1
		if r0 > 0 {
			accFlag = 1
		}
		pa, pb := unsafe.Add(pa, 4*r0), unsafe.Add(pb, 4*r0)
		// The blocks of the operand with more rows outermost: each of its blocks is read
		// once, from the L1 cache while the other operand's blocks stream past it.
		block := func(f0, m, c0, n int) {
			dotKernels[m-1][n-1]((*float32)(unsafe.Add(pa, 4*f0*lda)), lda,
				(*float32)(unsafe.Add(pb, 4*c0*ldb)), ldb,
				(*float32)(unsafe.Add(pd, 4*(f0*ldd+c0))), ldd, nfull, mask, accFlag)
		}
		if nc >= nf {
			for j, c0 := 0, 0; j < colBlocks; j++ {
				n := ceilDiv(nc-c0, colBlocks-j)
				for i, f0 := 0, 0; i < rowBlocks; i++ {
					m := ceilDiv(nf-f0, rowBlocks-i)
					block(f0, m, c0, n)
					f0 += m
				}
				c0 += n
			}
		} else {
			for i, f0 := 0, 0; i < rowBlocks; i++ {
				m := ceilDiv(nf-f0, rowBlocks-i)
				for j, c0 := 0, 0; j < colBlocks; j++ {
					n := ceilDiv(nc-c0, colBlocks-j)
					block(f0, m, c0, n)
					c0 += n
				}
				f0 += m
			}
		}
	}
}

// ceilDiv is ⌈a/b⌉ for a ≥ 0, b > 0.
func ceilDiv(a, b int) int { return (a + b - 1) / b }
