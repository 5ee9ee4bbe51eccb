//go:build goexperiment.simd && amd64

package cpu

import "github.com/vkcnn/vkcnn/model"

// The patch matrices of valid convolutions (no padding, every patch entry inside the
// input: all the presets' convolutions) for the AVX-512 ops of ops_conv_avx512.go, in
// assembly (im2col_avx512_amd64.s): one call and one span check per sample instead of a
// call per patch row, and the data gradient's col2im as a gather per input row instead
// of a scatter of overlapping vectors (whose reads of values just stored at another
// offset wait for the store to complete).

// im2col512 writes rows k0 ≤ k < k1 of one sample's patch matrix of a valid convolution
// (no padding),
//
//	col[(k−k0)·ld + y·OW + x] = img[c, y+i, x+j],   k = (c·KH + i)·KW + j,
//
// every entry of those rows (img is (C,H,W), ld ≥ P): im2colValid of im2col_avx512_amd64.s.
func im2col512(col []float32, ld int, img []float32, s model.ConvShape, k0, k1 int) {
	oh, ow := s.OH(), s.OW()
	if s.PadH != 0 || s.PadW != 0 || ld < oh*ow || k0 < 0 || k1 > s.C*s.KH*s.KW ||
		len(col) < (k1-k0-1)*ld+oh*ow || len(img) < s.C*s.H*s.W {
		panic(errSIMDSpan)
	}
	// A row's last vector: 16 lanes (mode 0), 8 (1; 4: the whole row), 1…7 (2) or 9…15
	// (3); the rows y < whole store it whole, where it ends at y·OW + span ≤ P.
	last := ow - 16*((ow-1)/16)
	mode, span := 3, ow-last+16
	switch {
	case ow == 8:
		mode = 4
	case last == 16:
		mode = 0
	case last == 8:
		mode = 1
	case last < 8:
		mode, span = 2, ow-last+8
	}
	whole := 0
	if oh*ow >= span {
		whole = min(oh-1, (oh*ow-span)/ow+1)
	}
	if k0 < k1 {
		im2colValid(&col[0], ld, &img[0], k0, k1-k0, s.H, s.W, s.KH, s.KW, oh, ow, whole, mode)
	}
}

// col2im512 writes one sample's input gradient of a valid convolution from its dcol (K
// rows ld apart):
//
//	dIn[c, yy, xx] = Σ_{i: 0 ≤ yy−i < OH} Σ_{j: 0 ≤ xx−j < OW} dcol[(c·KH+i)·KW + j, (yy−i)·OW + xx−j]
//
// every input value written (a gather per input row: col2imNarrow of
// im2col_avx512_amd64.s where an output row fits 8 lanes and an input row 16, else
// col2imValid).
func col2im512(dIn, dcol []float32, ld int, s model.ConvShape) {
	oh, ow := s.OH(), s.OW()
	k := s.C * s.KH * s.KW
	if s.PadH != 0 || s.PadW != 0 || ld < oh*ow || len(dcol) < (k-1)*ld+oh*ow || len(dIn) < s.C*s.H*s.W {
		panic(errSIMDSpan)
	}
	if ow <= 8 && s.W <= 16 { // lenet's second convolution: OW = 8, W = 12
		col2imNarrow(&dIn[0], &dcol[0], &rotate16[0][0], ld, s.C, s.H, s.W, s.KH, s.KW, oh, ow)
		return
	}
	// masks[q·KW + j]: the lanes l of columns xx = 16q + l that term j reads, 0 ≤ xx−j < OW.
	var stack [128]uint16
	chunks := (s.W + 15) / 16
	masks := stack[:0]
	if chunks*s.KW > len(stack) {
		masks = make([]uint16, 0, chunks*s.KW)
	}
	for q := range chunks {
		for j := range s.KW {
			var m uint16
			for l := range 16 {
				if d := 16*q + l - j; d >= 0 && d < ow {
					m |= 1 << l
				}
			}
			masks = append(masks, m)
		}
	}
	col2imValid(&dIn[0], &dcol[0], &masks[0], ld, s.C, s.H, s.W, s.KH, s.KW, oh, ow)
}

//go:noescape
func im2colValid(col *float32, ld int, img *float32, k0, nk, h, w, kh, kw, oh, ow, whole, mode int)

// rotate16[j] are the lane indices of VPERMPS that move lane l of a vector to lane l+j
// (mod 16).
var rotate16 = func() (r [16][16]uint32) {
	for j := range 16 {
		for l := range 16 {
			r[j][l] = uint32((l - j) & 15)
		}
	}
	return r
}()

//go:noescape
func col2imNarrow(dIn, dcol *float32, rot *uint32, ld, c, h, w, kh, kw, oh, ow int)

//go:noescape
func col2imValid(dIn, dcol *float32, masks *uint16, ld, c, h, w, kh, kw, oh, ow int)
