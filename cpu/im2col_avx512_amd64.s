//go:build goexperiment.simd && amd64

#include "textflag.h"

// The patch matrix of one sample of a valid convolution and its adding back, for
// im2col_avx512.go (which checks the spans). Rows of ow values are moved 16 at a time,
// the last 1…16 through a mask (fault-suppressing: nothing past a row is touched).

// func im2colValid(col *float32, ld int, img *float32, k0, nk, h, w, kh, kw, oh, ow, whole, mode int)
//
// col[(k−k0)·ld + y·ow + x] = img[(cc·h + y+i)·w + x+j] for the patch rows k0 ≤ k < k0+nk,
// k = (cc·kh + i)·kw + j, and y < oh, x < ow.
//
// A row's last vector has 16 lanes (mode 0), 8 (mode 1; mode 4: rows of exactly 8, a
// loop of their own), or 1…7 (mode 2, a Y register) or 9…15 (mode 3) of which K1 has
// the lanes: then it is read through K1, and for
// rows y < whole stored whole (its lanes past the row hold zeros that rows y+1, …,
// which the caller guarantees end within the patch row's oh·ow values, overwrite);
// masked stores, slow on AMD cores, are left to the last rows.
//
// Registers: DI &col[k−k0, 0]; SI &img[cc, i, 0]; R13 4·j; R12 i; DX &img[cc, y+i, j];
// R10 &col[k−k0, y·ow]; R11 the byte offset x·4 in a row; CX rows left; R8 4·ld; R9 4·w;
// AX 4·ow; BX 64·(whole vectors before the row's last one); K1 the last vector's lanes.
// The patch rows left count down in nk+32(FP); h+40(FP) becomes the bytes from row kh of
// a plane to the next plane, whole+88(FP) the rows left when the masked stores begin.
TEXT ·im2colValid(SB), NOSPLIT, $0-104
	MOVQ col+0(FP), DI
	MOVQ ld+8(FP), R8
	SHLQ $2, R8
	MOVQ w+48(FP), R9
	SHLQ $2, R9
	MOVQ ow+80(FP), AX
	LEAQ -1(AX), BX
	SHRQ $4, BX
	MOVQ BX, CX
	SHLQ $4, CX
	NEGQ CX
	ADDQ AX, CX // lanes of the last vector, 1…16
	MOVL $1, DX
	SHLL CX, DX
	DECL DX
	KMOVW DX, K1
	SHLQ $6, BX
	SHLQ $2, AX
	// cc, i, j of k0: k0 = (cc·kh + i)·kw + j
	MOVQ k0+24(FP), CX
	MOVQ CX, R13
	MOVQ kw+64(FP), R10
	XORQ DX, DX
	MOVQ R13, AX
	DIVQ R10 // AX = cc·kh + i, DX = j
	MOVQ DX, R13
	XORQ DX, DX
	DIVQ kh+56(FP) // AX = cc, DX = i
	MOVQ DX, R12
	// SI = img + ((cc·h + i)·w)·4
	IMULQ h+40(FP), AX
	ADDQ DX, AX
	IMULQ R9, AX
	MOVQ img+16(FP), SI
	ADDQ AX, SI
	SHLQ $2, R13
	MOVQ ow+80(FP), AX
	SHLQ $2, AX
	MOVQ h+40(FP), R11
	SUBQ kh+56(FP), R11
	IMULQ R9, R11
	MOVQ R11, h+40(FP)
	MOVQ oh+72(FP), R11
	SUBQ whole+88(FP), R11
	MOVQ R11, whole+88(FP)
	CMPQ nk+32(FP), $0
	JLE done

kloop:
	LEAQ (SI)(R13*1), DX
	MOVQ DI, R10
	MOVQ oh+72(FP), CX
	CMPQ mode+96(FP), $4
	JNE yloop

row8:
	VMOVUPS (DX), Y0
	VMOVUPS Y0, (R10)
	ADDQ R9, DX
	ADDQ $32, R10
	DECQ CX
	JNZ row8
	JMP krow

yloop:
	XORQ R11, R11
	TESTQ BX, BX
	JZ ylast

yvec:
	VMOVUPS (DX)(R11*1), Z0
	VMOVUPS Z0, (R10)(R11*1)
	ADDQ $64, R11
	CMPQ R11, BX
	JLT yvec

ylast:
	CMPQ mode+96(FP), $1
	JLT last16
	JEQ last8
	CMPQ mode+96(FP), $2
	JEQ lastY
	VMOVUPS.Z (DX)(R11*1), K1, Z0
	CMPQ CX, whole+88(FP)
	JLE zmask
	VMOVUPS Z0, (R10)(R11*1)
	JMP ynext

zmask:
	VMOVUPS Z0, K1, (R10)(R11*1)
	JMP ynext

last16:
	VMOVUPS (DX)(R11*1), Z0
	VMOVUPS Z0, (R10)(R11*1)
	JMP ynext

last8:
	VMOVUPS (DX)(R11*1), Y0
	VMOVUPS Y0, (R10)(R11*1)
	JMP ynext

lastY:
	VMOVUPS.Z (DX)(R11*1), K1, Y0
	CMPQ CX, whole+88(FP)
	JLE ymask
	VMOVUPS Y0, (R10)(R11*1)
	JMP ynext

ymask:
	VMOVUPS Y0, K1, (R10)(R11*1)

ynext:
	ADDQ R9, DX
	ADDQ AX, R10
	DECQ CX
	JNZ yloop

	// the next k: j+1, or i+1 and j = 0, or the next plane and i = j = 0
krow:
	ADDQ R8, DI
	ADDQ $4, R13
	MOVQ kw+64(FP), R11
	SHLQ $2, R11
	CMPQ R13, R11
	JLT knext
	XORQ R13, R13
	ADDQ R9, SI
	INCQ R12
	CMPQ R12, kh+56(FP)
	JLT knext
	XORQ R12, R12
	ADDQ h+40(FP), SI

knext:
	DECQ nk+32(FP)
	JNZ kloop

done:
	VZEROUPPER
	RET

// func col2imValid(dIn, dcol *float32, masks *uint16, ld, c, h, w, kh, kw, oh, ow int)
//
// dIn[(cc·h + yy)·w + xx] = Σ_{i: 0 ≤ yy−i < oh} Σ_{j<kw} dcol[((cc·kh + i)·kw + j)·ld + (yy−i)·ow + xx−j]
//
// over the terms with 0 ≤ xx−j < ow, summed in the order of j and then of i into four
// accumulators, (even j, even i), (even j, odd i), (odd j, even i), (odd j, odd i), added
// as (0 + 1) + (2 + 3) at the end. The input row is taken 16 columns
// xx = x0 + l at a time; the term j of lane l is read at &dcol[k, (yy−i)·ow + x0 − j] + 4l
// through the mask masks[(x0/16)·kw + j] of the lanes with 0 ≤ x0 + l − j < ow (a lane
// outside is neither read nor faulted on), and the 16 sums are stored through the mask
// of the lanes x0 + l < w.
//
// Registers: DI &dIn[cc, yy, x0]; SI &dcol[cc·kh·kw, 0] (channel cc's first patch row);
// R8 4·ld; R9 4·kw·ld − 4·ow (from row i, column y to row i+1, column y−1); AX the
// chunk's masks; BX yy; CX x0; DX the address of term (i, j); R10 j; R11 i left;
// R12 &dcol[(cc·kh + iLo)·kw + j, (yy−iLo)·ow + x0 − j]; R13 scratch; Z0–Z3 the sums,
// Z4, Z5 terms; K2 the term mask of j, K1 the store mask. ld+24(FP) becomes the count of
// rows i of the input row.
TEXT ·col2imValid(SB), NOSPLIT, $0-88
	MOVQ dIn+0(FP), DI
	MOVQ dcol+8(FP), SI
	MOVQ ld+24(FP), R8
	SHLQ $2, R8
	MOVQ kw+64(FP), R9
	IMULQ R8, R9
	MOVQ ow+80(FP), R13
	SHLQ $2, R13
	SUBQ R13, R9

c2cloop:
	XORQ BX, BX

c2yloop:
	XORQ CX, CX
	MOVQ masks+16(FP), AX

c2xloop:
	// iLo = max(0, yy−oh+1), i runs iHi − iLo = min(kh, yy+1) − iLo times
	MOVQ BX, R13
	SUBQ oh+72(FP), R13
	INCQ R13
	XORQ R11, R11
	TESTQ R13, R13
	CMOVQGT R13, R11 // iLo
	MOVQ BX, R13
	INCQ R13
	CMPQ R13, kh+56(FP)
	JLE c2ihi
	MOVQ kh+56(FP), R13

c2ihi:
	// R12 = SI + iLo·(4·kw·ld) + (yy−iLo)·4·ow + 4·x0
	MOVQ R11, R12
	IMULQ kw+64(FP), R12
	IMULQ R8, R12
	ADDQ SI, R12
	SUBQ R11, R13 // rows i
	MOVQ R11, R10
	NEGQ R10
	ADDQ BX, R10
	IMULQ ow+80(FP), R10
	LEAQ (R12)(R10*4), R12
	LEAQ (R12)(CX*4), R12
	MOVQ R13, ld+24(FP) // rows i
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	XORQ R10, R10

c2jloop:
	CMPQ R10, kw+64(FP)
	JGE c2jdone
	KMOVW (AX)(R10*2), K2
	MOVQ R12, DX
	MOVQ ld+24(FP), R11
	TESTQ $1, R10
	JNZ c2odd

c2even:
	CMPQ R11, $2
	JLT c2even1
	VMOVUPS.Z (DX), K2, Z4
	VADDPS Z4, Z0, Z0
	VMOVUPS.Z (DX)(R9*1), K2, Z5
	VADDPS Z5, Z1, Z1
	LEAQ (DX)(R9*2), DX
	SUBQ $2, R11
	JMP c2even

c2even1:
	TESTQ R11, R11
	JZ c2jnext
	VMOVUPS.Z (DX), K2, Z4
	VADDPS Z4, Z0, Z0
	JMP c2jnext

c2odd:
	CMPQ R11, $2
	JLT c2odd1
	VMOVUPS.Z (DX), K2, Z4
	VADDPS Z4, Z2, Z2
	VMOVUPS.Z (DX)(R9*1), K2, Z5
	VADDPS Z5, Z3, Z3
	LEAQ (DX)(R9*2), DX
	SUBQ $2, R11
	JMP c2odd

c2odd1:
	TESTQ R11, R11
	JZ c2jnext
	VMOVUPS.Z (DX), K2, Z4
	VADDPS Z4, Z2, Z2

c2jnext:
	LEAQ -4(R12)(R8*1), R12
	INCQ R10
	JMP c2jloop

c2jdone:
	VADDPS Z1, Z0, Z0
	VADDPS Z3, Z2, Z2
	VADDPS Z2, Z0, Z0
	// store lanes x0 + l < w: 16 and on to the next chunk, or the last 1…16
	MOVQ w+48(FP), R13
	SUBQ CX, R13
	CMPQ R13, $16
	JGT c2full
	MOVQ CX, R10
	MOVQ R13, CX
	MOVL $1, R13
	SHLL CX, R13
	DECL R13
	KMOVW R13, K1
	VMOVUPS Z0, K1, (DI)
	LEAQ (DI)(CX*4), DI
	JMP c2xnext

c2full:
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	ADDQ $16, CX
	MOVQ kw+64(FP), R13
	LEAQ (AX)(R13*2), AX
	JMP c2xloop

c2xnext:
	INCQ BX
	CMPQ BX, h+40(FP)
	JLT c2yloop

	// the next channel's patch rows
	MOVQ kh+56(FP), R13
	IMULQ kw+64(FP), R13
	IMULQ R8, R13
	ADDQ R13, SI
	DECQ c+32(FP)
	JNZ c2cloop
	VZEROUPPER
	RET

// func col2imNarrow(dIn, dcol *float32, rot *uint32, ld, c, h, w, kh, kw, oh, ow int)
//
// col2imValid's sum for rows of at most 8 outputs and 16 inputs (ow ≤ 8, w ≤ 16), with
// one full (ow = 8) or masked 8-lane load per term: per input row (cc, yy) and offset j,
// t_j = Σ_{i: 0 ≤ yy−i < oh} dcol[((cc·kh + i)·kw + j)·ld + (yy−i)·ow + 0…7] (i in order,
// lanes ≥ ow zero), then dIn[cc, yy, 0…w−1] = Σ_j (t_j moved up by j lanes) in the order
// of j: a permutation by rot[16·j …] (lane l from lane (l−j) mod 16, the zero lanes
// ow…15 rotating into 0…j−1, since j ≤ w−ow ≤ 16−ow).
//
// Registers: DI &dIn[cc, yy, 0]; SI channel cc's first patch row; R8 4·ld; R9 4·kw·ld −
// 4·ow; AX rot; BX yy; CX j; DX the address of term (i, j); R10 that of (iLo, j); R11 i
// left; R13 scratch; Z0 the row's sums, Y1 t_j, Y2 a term, Z3 t_j moved, Z4 the
// rotation; K1 the ow lanes of a term, K2 the w lanes of the row. ld+24(FP) becomes the
// count of rows i of the input row.
TEXT ·col2imNarrow(SB), NOSPLIT, $0-88
	MOVQ dIn+0(FP), DI
	MOVQ dcol+8(FP), SI
	MOVQ rot+16(FP), AX
	MOVQ ld+24(FP), R8
	SHLQ $2, R8
	MOVQ kw+64(FP), R9
	IMULQ R8, R9
	MOVQ ow+80(FP), R13
	SHLQ $2, R13
	SUBQ R13, R9
	MOVQ ow+80(FP), CX
	MOVL $1, R13
	SHLL CX, R13
	DECL R13
	KMOVW R13, K1
	MOVQ w+48(FP), CX
	MOVL $1, R13
	SHLL CX, R13
	DECL R13
	KMOVW R13, K2

ncloop:
	XORQ BX, BX

nyloop:
	// iLo = max(0, yy−oh+1), R13 = min(kh, yy+1)
	MOVQ BX, R13
	SUBQ oh+72(FP), R13
	INCQ R13
	XORQ R11, R11
	TESTQ R13, R13
	CMOVQGT R13, R11
	MOVQ BX, R13
	INCQ R13
	CMPQ R13, kh+56(FP)
	JLE nihi
	MOVQ kh+56(FP), R13

nihi:
	// R10 = SI + iLo·(4·kw·ld) + (yy−iLo)·4·ow
	MOVQ R11, R10
	IMULQ kw+64(FP), R10
	IMULQ R8, R10
	ADDQ SI, R10
	SUBQ R11, R13
	MOVQ R13, ld+24(FP) // rows i
	MOVQ BX, R13
	SUBQ R11, R13
	IMULQ ow+80(FP), R13
	LEAQ (R10)(R13*4), R10
	VPXORD Z0, Z0, Z0
	XORQ CX, CX

njloop:
	MOVQ R10, DX
	MOVQ ld+24(FP), R11
	VPXORD Z1, Z1, Z1

niloop:
	VMOVUPS.Z (DX), K1, Y2
	VADDPS Y2, Y1, Y1
	ADDQ R9, DX
	DECQ R11
	JNZ niloop

	MOVQ CX, R13
	SHLQ $6, R13
	VMOVDQU32 (AX)(R13*1), Z4
	VPERMPS Z1, Z4, Z3
	VADDPS Z3, Z0, Z0
	ADDQ R8, R10 // term (iLo, j+1): the next patch row
	INCQ CX
	CMPQ CX, kw+64(FP)
	JLT njloop

	VMOVUPS Z0, K2, (DI)
	MOVQ w+48(FP), R13
	LEAQ (DI)(R13*4), DI
	INCQ BX
	CMPQ BX, h+40(FP)
	JLT nyloop

	MOVQ kh+56(FP), R13
	IMULQ kw+64(FP), R13
	IMULQ R8, R13
	ADDQ R13, SI
	DECQ c+32(FP)
	JNZ ncloop
	VZEROUPPER
	RET
