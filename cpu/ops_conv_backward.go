package cpu

import "github.com/vkcnn/vkcnn/model"

// padRowsMax bounds the stack buffer in which Conv2DBackwardData zero-pads one sample's
// dOut rows: OC·OH·(OW+2·(KW−1−PadW)) values (1,536 for the default network's second
// convolution). Larger shapes take the slower scatter path.
const padRowsMax = 4096

// Conv2DBackwardData computes the gradient with respect to the input,
//
//	dIn[n,c,y,x] = Σ_o Σ_i Σ_j w[o,c,i,j]·dOut[n,o,y−i+PadH,x−j+PadW]
//
// with dOut taken as zero outside (N,OC,OH,OW). dOut is (N,OC,OH,OW), w is (OC,C,KH,KW),
// dIn is (N,C,H,W) and is overwritten.
//
// It is a correlation of dOut with the flipped kernel. Every dOut row of a sample is first
// copied between KW−1−PadW zeros on either side into a stack buffer, so that every dIn
// column reads KW contiguous values and none needs clipping; then, two input channels at a
// time, blocks of 4 dIn columns keep their 2×4 sums in registers over every o, i, j.
// Where the CPU has AVX2 and FMA and the build has GOEXPERIMENT=simd, the 8-wide kernels
// of ops_conv_simd.go run instead.
func Conv2DBackwardData(dIn, dOut, w []float32, s model.ConvShape) {
	if len(dIn) != s.InLen() || len(dOut) != s.OutLen() || len(w) != s.WeightLen() {
		panic(errConvData)
	}
	checkPad(s)
	if convBackwardDataSIMD(dIn, dOut, w, s) {
		return
	}
	oh, ow := s.OH(), s.OW()
	m := s.KW - 1 - s.PadW // zeros on either side of a padded row
	pw := ow + 2*m         // padded row width = W + KW − 1
	if s.OC*oh*pw > padRowsMax {
		convBackwardDataScatter(dIn, dOut, w, s)
		return
	}
	var buf [padRowsMax]float32
	pad := buf[:s.OC*oh*pw]
	inPlane, outLen := s.H*s.W, s.OC*oh*ow
	for n := range s.N {
		src := dOut[n*outLen : (n+1)*outLen]
		for r := range s.OC * oh {
			copy(pad[r*pw+m:r*pw+m+ow], src[r*ow:(r+1)*ow])
		}
		for c := 0; c < s.C; c += 2 {
			c1 := min(c+1, s.C-1)
			p0 := dIn[(n*s.C+c)*inPlane : (n*s.C+c+1)*inPlane]
			p1 := dIn[(n*s.C+c1)*inPlane : (n*s.C+c1+1)*inPlane]
			for y := range s.H {
				// Kernel rows i whose dOut row y−i+PadH exists.
				iLo, iHi := max(0, y+s.PadH-oh+1), min(s.KH, y+s.PadH+1)
				r0, r1 := p0[y*s.W:(y+1)*s.W], p1[y*s.W:(y+1)*s.W]
				x := 0
				for ; x+4 <= s.W; x += 4 {
					// Taps j that reach a dOut column x+k−j+PadW inside the row for some k < 4;
					// the others would only read the zeros of the padding.
					jLo, jHi := max(0, x+s.PadW-ow+1), min(s.KW, x+s.PadW+4)
					a0, a1, a2, a3, b0, b1, b2, b3 := corrFlip2x4(pad, w, s, c, c1, iLo, iHi, jLo, jHi, y, x)
					q := r0[x : x+4 : x+4]
					q[0], q[1], q[2], q[3] = a0, a1, a2, a3
					q = r1[x : x+4 : x+4]
					q[0], q[1], q[2], q[3] = b0, b1, b2, b3
				}
				for ; x < s.W; x++ {
					r0[x] = corrFlipAt(pad, w, s, c, iLo, iHi, y, x)
					r1[x] = corrFlipAt(pad, w, s, c1, iLo, iHi, y, x)
				}
			}
		}
	}
}

// corrFlip2x4 returns, for k = 0..3,
// Σ_o Σ_{i∈[iLo,iHi)} Σ_{j∈[jLo,jHi)} w[o,c0,i,j]·pad[o,y−i+PadH,x+k+KW−1−j] as a0…a3 and
// the same with c1 as b0…b3, where pad holds one sample's dOut rows zero-padded to W+KW−1
// columns: dIn[c0,y,x+k] and dIn[c1,y,x+k].
func corrFlip2x4(pad, w []float32, s model.ConvShape, c0, c1, iLo, iHi, jLo, jHi, y, x int) (a0, a1, a2, a3, b0, b1, b2, b3 float32) {
	pw, kw := s.W+s.KW-1, s.KW
	last := kw - 1 - jLo // the padded column read by tap jLo at k = 0
	rowStep, wStep := s.OH()*pw, s.C*s.KH*kw
	for i := iLo; i < iHi; i++ {
		r := (y-i+s.PadH)*pw + x   // pad[0,y−i+PadH,x]
		k0 := (c0*s.KH+i)*kw + jLo // w[0,c0,i,jLo]
		k1 := (c1*s.KH+i)*kw + jLo // w[0,c1,i,jLo]
		for o := 0; o < s.OC; o, r, k0, k1 = o+1, r+rowStep, k0+wStep, k1+wStep {
			row := pad[r : r+kw+3]
			p, q := w[k0:k0+jHi-jLo], w[k1:k1+jHi-jLo]
			q = q[:len(p)]
			for j, u := range p {
				v := row[last-j : last-j+4 : last-j+4]
				t := q[j]
				x0, x1, x2, x3 := v[0], v[1], v[2], v[3]
				a0 += u * x0
				b0 += t * x0
				a1 += u * x1
				b1 += t * x1
				a2 += u * x2
				b2 += t * x2
				a3 += u * x3
				b3 += t * x3
			}
		}
	}
	return
}

// corrFlipAt is corrFlip2x4 for the single value dIn[c,y,x].
func corrFlipAt(pad, w []float32, s model.ConvShape, c, iLo, iHi, y, x int) float32 {
	oh, pw, last := s.OH(), s.W+s.KW-1, s.KW-1
	var a float32
	for o := range s.OC {
		for i := iLo; i < iHi; i++ {
			row := pad[(o*oh+y-i+s.PadH)*pw+x : (o*oh+y-i+s.PadH)*pw+x+s.KW]
			for j, u := range w[((o*s.C+c)*s.KH+i)*s.KW : ((o*s.C+c)*s.KH+i+1)*s.KW] {
				a += u * row[last-j]
			}
		}
	}
	return a
}

// convBackwardDataScatter is Conv2DBackwardData for shapes whose padded rows do not fit the
// stack buffer: every dOut row, scaled by one weight, is added to a contiguous run of a dIn
// row (a saxpy), which needs no clipping inside the run.
func convBackwardDataScatter(dIn, dOut, w []float32, s model.ConvShape) {
	oh, ow := s.OH(), s.OW()
	inPlane, outPlane, kLen := s.H*s.W, oh*ow, s.KH*s.KW
	clear(dIn)
	for n := range s.N {
		for c := range s.C {
			dst := dIn[(n*s.C+c)*inPlane : (n*s.C+c+1)*inPlane]
			for o := range s.OC {
				src := dOut[(n*s.OC+o)*outPlane : (n*s.OC+o+1)*outPlane]
				wk := w[(o*s.C+c)*kLen : (o*s.C+c+1)*kLen]
				for y := range oh {
					dRow := src[y*ow : (y+1)*ow]
					iLo, iHi := max(0, s.PadH-y), min(s.KH, s.H+s.PadH-y)
					for i := iLo; i < iHi; i++ {
						yi := y + i - s.PadH
						dst := dst[yi*s.W : (yi+1)*s.W]
						for j, wv := range wk[i*s.KW : (i+1)*s.KW] {
							// dOut columns x with 0 ≤ x+j−PadW < W.
							lo, hi := max(0, s.PadW-j), min(ow, s.W+s.PadW-j)
							if lo < hi {
								axpy(dst[lo+j-s.PadW:hi+j-s.PadW], wv, dRow[lo:hi])
							}
						}
					}
				}
			}
		}
	}
}

// Conv2DBackwardFilter computes the gradients with respect to the weights and the bias,
// summed over the batch,
//
//	dW[o,c,i,j] = Σ_n Σ_y Σ_x dOut[n,o,y,x]·in[n,c,y+i−PadH,x+j−PadW]
//	dB[o]       = Σ_n Σ_y Σ_x dOut[n,o,y,x]
//
// with in taken as zero outside (N,C,H,W). dW is (OC,C,KH,KW) and dB (OC), both
// overwritten.
//
// Each weight is a sum of dot products of dOut rows with shifted input rows. Two filters
// and four neighbouring taps j at a time keep their 2×4 sums in registers over the columns
// where all four taps are inside the row; the border columns are added tap by tap. An odd
// last filter runs as a pair with itself. Where the CPU has AVX2 and FMA and the build has
// GOEXPERIMENT=simd, the 8-wide kernels of ops_conv_simd.go compute dW instead.
func Conv2DBackwardFilter(dW, dB, dOut, in []float32, s model.ConvShape) {
	if len(dW) != s.WeightLen() || len(dB) != s.OC || len(dOut) != s.OutLen() || len(in) != s.InLen() {
		panic(errConvFilter)
	}
	checkPad(s)
	oh, ow := s.OH(), s.OW()
	inPlane, outPlane := s.H*s.W, oh*ow
	if !convBiasGradSIMD(dB, dOut, s) {
		for o := range s.OC {
			var sum float32
			for n := range s.N {
				sum += sumf(dOut[(n*s.OC+o)*outPlane : (n*s.OC+o+1)*outPlane])
			}
			dB[o] = sum
		}
	}
	if convBackwardFilterSIMD(dW, dOut, in, s) {
		return
	}
	for o := 0; o < s.OC; o += 2 {
		o1 := min(o+1, s.OC-1)
		for c := range s.C {
			for i := range s.KH {
				// dOut rows y whose input row y+i−PadH is inside.
				yLo, yHi := max(0, s.PadH-i), min(oh, s.H+s.PadH-i)
				dw0 := dW[((o*s.C+c)*s.KH+i)*s.KW : ((o*s.C+c)*s.KH+i+1)*s.KW]
				dw1 := dW[((o1*s.C+c)*s.KH+i)*s.KW : ((o1*s.C+c)*s.KH+i+1)*s.KW]
				j := 0
				for ; j+4 <= s.KW; j += 4 {
					// Columns x whose taps j … j+3 are all inside the row.
					xLo, xHi := max(0, s.PadW-j), min(ow, s.W+s.PadW-j-3)
					var a, b [4]float32
					for n := range s.N {
						d0 := dOut[(n*s.OC+o)*outPlane : (n*s.OC+o+1)*outPlane]
						d1 := dOut[(n*s.OC+o1)*outPlane : (n*s.OC+o1+1)*outPlane]
						img := in[(n*s.C+c)*inPlane : (n*s.C+c+1)*inPlane]
						if xLo < xHi {
							a0, a1, a2, a3, b0, b1, b2, b3 := filter2x4(d0, d1, img, s, yLo, yHi, xLo, xHi, i-s.PadH, j-s.PadW)
							a[0], a[1], a[2], a[3] = a[0]+a0, a[1]+a1, a[2]+a2, a[3]+a3
							b[0], b[1], b[2], b[3] = b[0]+b0, b[1]+b1, b[2]+b2, b[3]+b3
						}
						if s.PadW > 0 {
							for k := range 4 {
								a[k] += filterEdge(d0, img, s, yLo, yHi, xLo, xHi, i-s.PadH, j+k-s.PadW)
								b[k] += filterEdge(d1, img, s, yLo, yHi, xLo, xHi, i-s.PadH, j+k-s.PadW)
							}
						}
					}
					copy(dw0[j:j+4], a[:])
					copy(dw1[j:j+4], b[:])
				}
				for ; j < s.KW; j++ {
					// Columns x whose input column x+j−PadW is inside.
					xLo, xHi := max(0, s.PadW-j), min(ow, s.W+s.PadW-j)
					var a, b float32
					for n := range s.N {
						d0 := dOut[(n*s.OC+o)*outPlane : (n*s.OC+o+1)*outPlane]
						d1 := dOut[(n*s.OC+o1)*outPlane : (n*s.OC+o1+1)*outPlane]
						img := in[(n*s.C+c)*inPlane : (n*s.C+c+1)*inPlane]
						if xLo < xHi {
							a0, b0 := filter2x1(d0, d1, img, s, yLo, yHi, xLo, xHi, i-s.PadH, j-s.PadW)
							a, b = a+a0, b+b0
						}
					}
					dw0[j], dw1[j] = a, b
				}
			}
		}
	}
}

// filter2x4 returns, for k = 0..3, Σ_{y∈[yLo,yHi)} Σ_{x∈[xLo,xHi)} d0[y,x]·img[y+dy,x+dx+k]
// as a0…a3 and the same with d1 as b0…b3, where d0, d1 are (OH,OW) dOut planes and img an
// (H,W) input plane; every column read must lie inside its row.
func filter2x4(d0, d1, img []float32, s model.ConvShape, yLo, yHi, xLo, xHi, dy, dx int) (a0, a1, a2, a3, b0, b1, b2, b3 float32) {
	ow, nx := s.OW(), xHi-xLo
	d := yLo*ow + xLo            // d0[yLo,xLo]
	r := (yLo+dy)*s.W + xLo + dx // img[yLo+dy,xLo+dx]
	for y := yLo; y < yHi; y, d, r = y+1, d+ow, r+s.W {
		p, q := d0[d:d+nx], d1[d:d+nx]
		q = q[:len(p)]
		row := img[r : r+nx+3]
		for x, u := range p {
			v := row[x : x+4 : x+4]
			t := q[x]
			x0, x1, x2, x3 := v[0], v[1], v[2], v[3]
			a0 += u * x0
			b0 += t * x0
			a1 += u * x1
			b1 += t * x1
			a2 += u * x2
			b2 += t * x2
			a3 += u * x3
			b3 += t * x3
		}
	}
	return
}

// filter2x1 returns Σ_{y∈[yLo,yHi)} Σ_{x∈[xLo,xHi)} d[y,x]·img[y+dy,x+dx] for d = d0 and
// d = d1, two columns per step into separate sums.
func filter2x1(d0, d1, img []float32, s model.ConvShape, yLo, yHi, xLo, xHi, dy, dx int) (a, b float32) {
	ow, nx := s.OW(), xHi-xLo
	d := yLo*ow + xLo            // d0[yLo,xLo]
	r := (yLo+dy)*s.W + xLo + dx // img[yLo+dy,xLo+dx]
	var a1, b1 float32
	for y := yLo; y < yHi; y, d, r = y+1, d+ow, r+s.W {
		p, q := d0[d:d+nx], d1[d:d+nx]
		row := img[r : r+nx]
		q, row = q[:len(p)], row[:len(p)]
		x := 0
		for ; x+2 <= len(p); x += 2 {
			a += p[x] * row[x]
			b += q[x] * row[x]
			a1 += p[x+1] * row[x+1]
			b1 += q[x+1] * row[x+1]
		}
		if x < len(p) {
			a += p[x] * row[x]
			b += q[x] * row[x]
		}
	}
	return a + a1, b + b1
}

// filterEdge returns Σ_y Σ_x d[y,x]·img[y+dy,x+dx] over the columns x outside
// [xLo, xHi) whose input column x+dx lies inside the row: what filter2x4 left out of one
// tap.
func filterEdge(d, img []float32, s model.ConvShape, yLo, yHi, xLo, xHi, dy, dx int) float32 {
	ow := s.OW()
	lo, hi := max(0, -dx), min(ow, s.W-dx)
	xLo, xHi = max(xLo, lo), min(xHi, hi)
	if xLo >= xHi { // no columns were done by filter2x4
		xLo, xHi = hi, hi
	}
	var a float32
	for y := yLo; y < yHi; y++ {
		dr, r := d[y*ow:(y+1)*ow], img[(y+dy)*s.W:(y+dy+1)*s.W]
		for x := lo; x < xLo; x++ {
			a += dr[x] * r[x+dx]
		}
		for x := xHi; x < hi; x++ {
			a += dr[x] * r[x+dx]
		}
	}
	return a
}
