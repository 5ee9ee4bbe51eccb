//go:build ignore

// gemm_avx512_gen.go writes gemm_avx512_amd64.s and gemm_avx512_decl_amd64.go: the AVX-512
// micro-kernels of gemm_avx512.go, one per block shape m×V (m rows, V vectors of 16
// columns, m·V ≤ 24 accumulators). Run by `go generate ./cpu`; TestGemmKernelsGenerated
// checks that the committed files are its output.
//
//	go run gemm_avx512_gen.go [-dir DIR]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
)

// maxRows is the most rows a kernel of V vectors takes: 24 accumulators in Z8–Z31.
func maxRows(v int) int { return 24 / v }

// rowBase is the base register of row f, which addresses rows base, …, base+4.
var rowBase = []string{"AX", "DI", "R10", "R11", "R12"}

// rowAddr is the address of A's row f at the current r: its base register plus 0, 1, 2, 3
// or 4 row strides (R8 = fs bytes, R9 = 3·fs bytes).
func rowAddr(f int) string {
	b := rowBase[f/5]
	switch f % 5 {
	case 0:
		return "(" + b + ")"
	case 1:
		return "(" + b + ")(R8*1)"
	case 2:
		return "(" + b + ")(R8*2)"
	case 3:
		return "(" + b + ")(R9*1)"
	default:
		return "(" + b + ")(R8*4)"
	}
}

func acc(m, v, f, q int) string { return fmt.Sprintf("Z%d", 8+f*v+q) }

func kernel(w *bytes.Buffer, m, v int) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	name := fmt.Sprintf("gemmZ%dx%d", m, v)
	p("")
	p("// func %s(a *float32, fs, ws int, b *float32, ldb int, d *float32, ldd int, bias *float32, r, mask, acc int)", name)
	p("TEXT ·%s(SB), NOSPLIT, $0-88", name)
	p("\tMOVQ a+0(FP), AX")
	p("\tMOVQ fs+8(FP), R8")
	p("\tSHLQ $2, R8")
	p("\tLEAQ (R8)(R8*2), R9")
	p("\tMOVQ ws+16(FP), BX")
	p("\tSHLQ $2, BX")
	p("\tMOVQ b+24(FP), SI")
	p("\tMOVQ ldb+32(FP), DX")
	p("\tSHLQ $2, DX")
	p("\tMOVQ r+64(FP), CX")
	p("\tMOVQ mask+72(FP), R13")
	p("\tKMOVW R13, K1")
	nb := (m + 4) / 5 // row base registers
	for i := 1; i < nb; i++ {
		// base i = base i−1 + 5 fs = base i−1 + 4 fs + fs
		p("\tLEAQ (%s)(R8*4), %s", rowBase[i-1], rowBase[i])
		p("\tADDQ R8, %s", rowBase[i])
	}
	for f := range m {
		for q := range v {
			p("\tVPXORD %s, %s, %s", acc(m, v, f, q), acc(m, v, f, q), acc(m, v, f, q))
		}
	}
	p("\tTESTQ CX, CX")
	p("\tJZ epilogue")
	p("loop:")
	for q := range v {
		if q == v-1 {
			p("\tVMOVUPS.Z %d(SI), K1, Z%d", 64*q, q)
		} else {
			p("\tVMOVUPS %d(SI), Z%d", 64*q, q)
		}
	}
	for f := range m {
		z := 4 + f%2
		p("\tVBROADCASTSS %s, Z%d", rowAddr(f), z)
		for q := range v {
			p("\tVFMADD231PS Z%d, Z%d, %s", q, z, acc(m, v, f, q))
		}
	}
	for i := range nb {
		p("\tADDQ BX, %s", rowBase[i])
	}
	p("\tADDQ DX, SI")
	p("\tDECQ CX")
	p("\tJNZ loop")
	p("epilogue:")
	p("\tMOVQ d+40(FP), DI")
	p("\tMOVQ ldd+48(FP), R8")
	p("\tSHLQ $2, R8")
	p("\tMOVQ bias+56(FP), R10")
	p("\tTESTQ R10, R10")
	p("\tJZ nobias")
	for f := range m {
		p("\tVBROADCASTSS %d(R10), Z6", 4*f)
		for q := range v {
			p("\tVADDPS Z6, %s, %s", acc(m, v, f, q), acc(m, v, f, q))
		}
	}
	p("nobias:")
	p("\tMOVQ acc+80(FP), R11")
	p("\tTESTQ R11, R11")
	p("\tJZ store")
	for f := range m {
		for q := range v {
			if q == v-1 {
				p("\tVMOVUPS.Z %d(DI), K1, Z6", 64*q)
				p("\tVADDPS Z6, %s, %s", acc(m, v, f, q), acc(m, v, f, q))
			} else {
				p("\tVADDPS %d(DI), %s, %s", 64*q, acc(m, v, f, q), acc(m, v, f, q))
			}
		}
		if f < m-1 {
			p("\tADDQ R8, DI")
		}
	}
	p("\tMOVQ d+40(FP), DI")
	p("store:")
	for f := range m {
		for q := range v {
			if q == v-1 {
				p("\tVMOVUPS %s, K1, %d(DI)", acc(m, v, f, q), 64*q)
			} else {
				p("\tVMOVUPS %s, %d(DI)", acc(m, v, f, q), 64*q)
			}
		}
		if f < m-1 {
			p("\tADDQ R8, DI")
		}
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

// ntBase is the base register of rows 0–4 and of row 5 of the NT kernels' a and b.
var ntBase = [2][2]string{{"AX", "R10"}, {"BX", "R12"}}

// ntAddr is the address of row f of a (which 0) or b (which 1) at the current r: rows
// 0–4 from the first base plus 0, 1, 2, 3 or 4 row strides (a: R8 = lda, R9 = 3·lda;
// b: DX = ldb, R11 = 3·ldb, in bytes), row 5 from the second base.
func ntAddr(which, f int) string {
	st, st3 := "R8", "R9"
	if which == 1 {
		st, st3 = "DX", "R11"
	}
	b := ntBase[which][0]
	switch f {
	case 0:
		return "(" + b + ")"
	case 1:
		return "(" + b + ")(" + st + "*1)"
	case 2:
		return "(" + b + ")(" + st + "*2)"
	case 3:
		return "(" + b + ")(" + st3 + "*1)"
	case 4:
		return "(" + b + ")(" + st + "*4)"
	default:
		return "(" + ntBase[which][1] + ")"
	}
}

// ntKernel writes dotZ<m>x<n>: d[f·ldd + c] (+)= Σ_r a[f·lda + r]·b[c·ldb + r], its
// accumulators (f, c) = Z(8 + f·n + c) holding 16 partial sums each (lane l: the terms
// r ≡ l mod 16), summed across lanes at the end.
func ntKernel(w *bytes.Buffer, m, n int) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	name := fmt.Sprintf("dotZ%dx%d", m, n)
	p("")
	p("// func %s(a *float32, lda int, b *float32, ldb int, d *float32, ldd int, nfull, mask, acc int)", name)
	p("TEXT ·%s(SB), NOSPLIT, $0-72", name)
	p("\tMOVQ a+0(FP), AX")
	p("\tMOVQ lda+8(FP), R8")
	p("\tSHLQ $2, R8")
	p("\tLEAQ (R8)(R8*2), R9")
	p("\tMOVQ b+16(FP), BX")
	p("\tMOVQ ldb+24(FP), DX")
	p("\tSHLQ $2, DX")
	p("\tLEAQ (DX)(DX*2), R11")
	p("\tMOVQ nfull+48(FP), CX")
	p("\tMOVQ mask+56(FP), R13")
	p("\tKMOVW R13, K1")
	if m > 5 {
		p("\tLEAQ (AX)(R8*4), R10")
		p("\tADDQ R8, R10")
	}
	if n > 5 {
		p("\tLEAQ (BX)(DX*4), R12")
		p("\tADDQ DX, R12")
	}
	acc := func(f, c int) string { return fmt.Sprintf("Z%d", 8+f*n+c) }
	for f := range m {
		for c := range n {
			p("\tVPXORD %s, %s, %s", acc(f, c), acc(f, c), acc(f, c))
		}
	}
	body := func(masked bool) {
		ld := func(addr string, z int) {
			if masked {
				p("\tVMOVUPS.Z %s, K1, Z%d", addr, z)
			} else {
				p("\tVMOVUPS %s, Z%d", addr, z)
			}
		}
		for f := range m {
			ld(ntAddr(0, f), f)
		}
		for c := range n {
			z := 6 + c%2
			ld(ntAddr(1, c), z)
			for f := range m {
				p("\tVFMADD231PS Z%d, Z%d, %s", f, z, acc(f, c))
			}
		}
	}
	p("\tTESTQ CX, CX")
	p("\tJZ tail")
	p("loop:")
	body(false)
	p("\tADDQ $64, AX")
	p("\tADDQ $64, BX")
	if m > 5 {
		p("\tADDQ $64, R10")
	}
	if n > 5 {
		p("\tADDQ $64, R12")
	}
	p("\tDECQ CX")
	p("\tJNZ loop")
	p("tail:")
	p("\tTESTQ R13, R13")
	p("\tJZ reduce")
	body(true)
	p("reduce:")
	p("\tMOVQ d+32(FP), DI")
	p("\tMOVQ ldd+40(FP), R8")
	p("\tSHLQ $2, R8")
	p("\tMOVQ acc+64(FP), R13")
	p("\tMOVL $%d, R11", 1<<n-1)
	p("\tKMOVW R11, K2")
	for f := range m {
		// s_c = lanes l + l+8 of accumulator (f, c) in Y0…Y5 (zeros for c ≥ n), then
		// pairs of lanes added by VHADDPS twice and the two halves: row f's n sums in Y0.
		for c := range 6 {
			if c < n {
				p("\tVEXTRACTF64X4 $1, Z%d, Y%d", 8+f*n+c, c)
				p("\tVADDPS Y%d, Y%d, Y%d", 8+f*n+c, c, c)
			} else {
				p("\tVXORPS Y%d, Y%d, Y%d", c, c, c)
			}
		}
		p("\tVHADDPS Y1, Y0, Y0")
		p("\tVHADDPS Y3, Y2, Y2")
		p("\tVHADDPS Y2, Y0, Y0")
		p("\tVEXTRACTF128 $1, Y0, X1")
		p("\tVADDPS X1, X0, X0")
		if n > 4 {
			p("\tVHADDPS Y5, Y4, Y4")
			p("\tVHADDPS Y4, Y4, Y4")
			p("\tVEXTRACTF128 $1, Y4, X5")
			p("\tVADDPS X5, X4, X4")
			p("\tVINSERTF128 $1, X4, Y0, Y0")
		}
		p("\tTESTQ R13, R13")
		p("\tJZ st%d", f)
		p("\tVMOVUPS.Z (DI), K2, Y1")
		p("\tVADDPS Y1, Y0, Y0")
		p("st%d:", f)
		p("\tVMOVUPS Y0, K2, (DI)")
		if f < m-1 {
			p("\tADDQ R8, DI")
		}
	}
	p("\tVZEROUPPER")
	p("\tRET")
}

const asmHeader = `// Code generated by gemm_avx512_gen.go; DO NOT EDIT.

//go:build goexperiment.simd && amd64

#include "textflag.h"

// The AVX-512F micro-kernels of gemm_avx512.go. Kernel gemmZ<m>x<V> computes, for the rows
// f < m and the columns c < 16·(V−1) + popcount(mask) (the last vector's lanes are those of
// mask),
//
//	d[f·ldd + c] (= or, acc ≠ 0, +=) bias[f] + Σ_{r<R} a[f·fs + r·ws]·b[r·ldb + c]
//
// with bias nil for no bias. Strides are in float32 values. The sum over r runs in order
// r = 0, 1, …, R−1 in one fused multiply-add per term, then the bias is added, then the old
// d: the same order for every block shape. The last vector of b and d is read and written
// through the mask K1 (fault-suppressing), so nothing past the columns is touched.
//
// Registers:
//
//	Z0–Z3    the V vectors of b's row r            Z4, Z5  a[f, r] broadcast, alternately
//	Z6       bias / old d in the epilogue          Z8–Z31  accumulator (f, q) = Z(8 + f·V + q)
//	AX, DI, R10, R11, R12  &a[f, r] of rows 0, 5, 10, 15, 20; rows base+1…base+4 are
//	         (base)(R8*1), (R8*2), (R9*1), (R8*4)  with R8 = 4·fs, R9 = 12·fs bytes
//	BX       4·ws   SI  &b[r, 0]   DX  4·ldb   CX  terms left   K1  the last vector's lanes
//
// In the epilogue DI walks d's rows (R8 = 4·ldd), R10 is bias.
`

// ntRows and ntCols bound the NT kernels' blocks: 4 rows of a in Z0–Z3, two vectors of b
// in Z6, Z7 (alternately) and 4·6 accumulators in Z8–Z31.
const ntRows, ntCols = 4, 6

const ntHeader = `
// The NT kernels dotZ<m>x<n> compute, for the rows f < m and the columns c < n,
//
//	d[f·ldd + c] (= or, acc ≠ 0, +=) Σ_{r<R} a[f·lda + r]·b[c·ldb + r],   R = 16·nfull + popcount(mask)
//
// (both operands run along r: a dot product of row f of a with row c of b). Lane l of
// accumulator (f, c) sums the terms r ≡ l (mod 16) in order; the terms of the last partial
// vector are read through the mask K1 (zeros elsewhere); the 16 lanes are then added as
// u_l = (l, l+8) for l < 8, then (u_0+u_1)+(u_2+u_3) and (u_4+u_5)+(u_6+u_7), then those
// two (VHADDPS on a row's accumulators at once), and the old d added last; a row's n sums
// are stored through the mask K2.
//
// Registers: Z0–Z3 the vectors of a's rows at r, Z6/Z7 that of b's row c, Z8–Z31
// accumulator (f, c) = Z(8 + f·n + c); AX &a[0, r] (R8 = 4·lda, R9 = 12·lda), BX &b[0, r]
// (DX = 4·ldb, R11 = 12·ldb), R12 &b[5, r]; CX whole vectors left, K1 the tail's lanes.
// In the epilogue Y0–Y5 hold a row's half-added accumulators, DI walks d's rows (R8 =
// 4·ldd), K2 has the n lanes of a row.
`

func main() {
	dir := flag.String("dir", ".", "directory to write the files to")
	flag.Parse()
	var s, g bytes.Buffer
	s.WriteString(asmHeader)
	g.WriteString(`// Code generated by gemm_avx512_gen.go; DO NOT EDIT.

//go:build goexperiment.simd && amd64

package cpu

// The micro-kernels of gemm_avx512_amd64.s, gemmZ<m>x<V>: m rows, V vectors of 16 columns.
`)
	for v := 1; v <= 4; v++ {
		for m := 1; m <= maxRows(v); m++ {
			kernel(&s, m, v)
			fmt.Fprintf(&g, "\n//go:noescape\nfunc gemmZ%dx%d(a *float32, fs, ws int, b *float32, ldb int, d *float32, ldd int, bias *float32, r, mask, acc int)\n", m, v)
		}
	}
	s.WriteString(ntHeader)
	for m := 1; m <= ntRows; m++ {
		for n := 1; n <= ntCols; n++ {
			ntKernel(&s, m, n)
			fmt.Fprintf(&g, "\n//go:noescape\nfunc dotZ%dx%d(a *float32, lda int, b *float32, ldb int, d *float32, ldd int, nfull, mask, acc int)\n", m, n)
		}
	}
	fmt.Fprintf(&g, "\n// dotKernels[m−1][n−1] is dotZ<m>x<n>.\nvar dotKernels = [%d][%d]dotKernel{\n", ntRows, ntCols)
	for m := 1; m <= ntRows; m++ {
		g.WriteString("\t{")
		for n := 1; n <= ntCols; n++ {
			if n > 1 {
				g.WriteString(", ")
			}
			fmt.Fprintf(&g, "dotZ%dx%d", m, n)
		}
		g.WriteString("},\n")
	}
	g.WriteString("}\n")
	g.WriteString("\n// gemmKernels[V−1][m−1] is gemmZ<m>x<V>.\nvar gemmKernels = [4][]gemmKernel{\n")
	for v := 1; v <= 4; v++ {
		g.WriteString("\t{")
		for m := 1; m <= maxRows(v); m++ {
			if m > 1 {
				g.WriteString(", ")
			}
			fmt.Fprintf(&g, "gemmZ%dx%d", m, v)
		}
		g.WriteString("},\n")
	}
	g.WriteString("}\n")
	for name, b := range map[string][]byte{"gemm_avx512_amd64.s": s.Bytes(), "gemm_avx512_decl_amd64.go": g.Bytes()} {
		if err := os.WriteFile(filepath.Join(*dir, name), b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
