//go:build amd64 && !purego

#include "textflag.h"

// Nibble tables of candidate byte classes (candidates.go): a byte's class
// bits are lutHi[b>>4] & lutLo[b&15]; bytes of 0x80 and above get none.
// Bits: 0 stem letter in 0x6_, 1 stem letter in 0x7_ (d b g n e r s x;
// unused since STEM filters stems);
// 2 '(' '+', 3 ':' '=', 4 '@' (markers); 5 '-'; 6 '.' '/'; 7 '_'.
// Each 16-byte table is repeated for VPSHUFB's two 128-bit lanes.
DATA lutHi<>+0(SB)/8, $0x0201801008640000
DATA lutHi<>+8(SB)/8, $0
DATA lutHi<>+16(SB)/8, $0x0201801008640000
DATA lutHi<>+24(SB)/8, $0
GLOBL lutHi<>(SB), RODATA|NOPTR, $32

DATA lutLo<>+0(SB)/8, $0x0100010102030010
DATA lutLo<>+8(SB)/8, $0xC041280004080006
DATA lutLo<>+16(SB)/8, $0x0100010102030010
DATA lutLo<>+24(SB)/8, $0xC041280004080006
GLOBL lutLo<>(SB), RODATA|NOPTR, $32

DATA bytes<>+0(SB)/8, $0x093019610f0020e0
DATA bytes<>+8(SB)/8, $0x1c0341
GLOBL bytes<>(SB), RODATA|NOPTR, $16

DATA colons<>+0(SB)/8, $0x3a3a3a3a3a3a3a3a
DATA colons<>+8(SB)/8, $0x3a3a3a3a3a3a3a3a
DATA colons<>+16(SB)/8, $0x3a3a3a3a3a3a3a3a
DATA colons<>+24(SB)/8, $0x3a3a3a3a3a3a3a3a
GLOBL colons<>(SB), RODATA|NOPTR, $32

DATA spaces<>+0(SB)/8, $0x2020202020202020
DATA spaces<>+8(SB)/8, $0x2020202020202020
DATA spaces<>+16(SB)/8, $0x2020202020202020
DATA spaces<>+24(SB)/8, $0x2020202020202020
GLOBL spaces<>(SB), RODATA|NOPTR, $32

DATA newlines<>+0(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA newlines<>+8(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA newlines<>+16(SB)/8, $0x0a0a0a0a0a0a0a0a
DATA newlines<>+24(SB)/8, $0x0a0a0a0a0a0a0a0a
GLOBL newlines<>(SB), RODATA|NOPTR, $32

DATA equals<>+0(SB)/8, $0x3d3d3d3d3d3d3d3d
DATA equals<>+8(SB)/8, $0x3d3d3d3d3d3d3d3d
DATA equals<>+16(SB)/8, $0x3d3d3d3d3d3d3d3d
DATA equals<>+24(SB)/8, $0x3d3d3d3d3d3d3d3d
GLOBL equals<>(SB), RODATA|NOPTR, $32

DATA dots<>+0(SB)/8, $0x2e2e2e2e2e2e2e2e
DATA dots<>+8(SB)/8, $0x2e2e2e2e2e2e2e2e
DATA dots<>+16(SB)/8, $0x2e2e2e2e2e2e2e2e
DATA dots<>+24(SB)/8, $0x2e2e2e2e2e2e2e2e
GLOBL dots<>(SB), RODATA|NOPTR, $32

// EQ(tab, at): mark the bytes of Y0 equal to tab's, store the mask at at(DI).
#define EQ(tab, at) VPCMPEQB tab, Y0, Y2; VPMOVMSKB Y2, AX; MOVL AX, at(DI)

#define BCAST(at, y) VPBROADCASTB bytes<>+at(SB), y

// NONZERO(bits, at): mark the bytes whose class (Y1) has any of bits, store
// the 32-bit mask at at(DI).
#define NONZERO(bits, at) VPAND bits, Y1, Y2; VPCMPEQB Y3, Y2, Y2; VPMOVMSKB Y2, AX; NOTL AX; MOVL AX, at(DI)

// INRANGE(x, lo, span, at): mark the bytes of x with x-lo <= span
// (unsigned), store the mask at at(DI). Clobbers Y1, Y2.
#define INRANGE(x, lo, span, at) VPSUBB lo, x, Y2; VPMINUB span, Y2, Y1; VPCMPEQB Y1, Y2, Y2; VPMOVMSKB Y2, AX; MOVL AX, at(DI)

// NIBBLES(x, hi, lo, t, out): out = hi[x>>4] & lo[x&15] for each byte
// of x, the tables at hi and lo loaded through t. Clobbers x.
#define NIBBLES(x, hi, lo, t, out) \
	VPSRLW $4, x, out; \
	VPAND Y15, out, out; \
	VMOVDQU hi, t; \
	VPSHUFB out, t, out; \
	VPAND Y15, x, x; \
	VMOVDQU lo, t; \
	VPSHUFB x, t, x; \
	VPAND x, out, out

// STEM(off, o): the stem mask of the 32 bytes at off(SI): a stem letter
// whose next byte may continue it (f & g, stemTabs) or with a digit two
// bytes on. Reads up to two bytes past them; uses Y0-Y3 and sets Y3 to
// zero again.
#define STEM(off, o) \
	VMOVDQU off(SI), Y0; \
	NIBBLES(Y0, ·stemTabs+0(SB), ·stemTabs+32(SB), Y2, Y1); \
	VMOVDQU (off+1)(SI), Y0; \
	NIBBLES(Y0, ·stemTabs+64(SB), ·stemTabs+96(SB), Y3, Y2); \
	VPAND Y1, Y2, Y2; \
	VPXOR Y3, Y3, Y3; \
	VPCMPEQB Y3, Y2, Y2; \
	VPMOVMSKB Y2, AX; \
	NOTL AX; \
	VPCMPEQB Y3, Y1, Y1; \
	VPMOVMSKB Y1, BX; \
	NOTL BX; \
	VMOVDQU (off+2)(SI), Y0; \
	VPSUBB Y9, Y0, Y2; \
	VPMINUB Y8, Y2, Y1; \
	VPCMPEQB Y1, Y2, Y2; \
	VPMOVMSKB Y2, DX; \
	ANDL DX, BX; \
	ORL BX, AX; \
	MOVL AX, (0+o)(DI)

// HALF(off, o): the 32 bytes at off(SI) into the low (o=0) or high (o=4)
// halves of the block's twelve masks; reads two bytes past them (STEM).
#define HALF(off, o) \
	STEM(off, o); \
	VMOVDQU off(SI), Y0; \
	VPSRLW $4, Y0, Y1; \
	VPAND Y15, Y1, Y1; \
	VPSHUFB Y1, Y14, Y1; \
	VPAND Y15, Y0, Y2; \
	VPSHUFB Y2, Y13, Y2; \
	VPAND Y2, Y1, Y1; \
	NONZERO(Y5, 8+o); \
	NONZERO(Y12, 16+o); \
	NONZERO(Y4, 24+o); \
	INRANGE(Y0, Y7, Y10, 32+o); \
	VPOR Y12, Y0, Y0; \
	INRANGE(Y0, Y11, Y10, 40+o); \
	VMOVDQU off(SI), Y0; \
	INRANGE(Y0, Y9, Y8, 48+o); \
	EQ(colons<>(SB), 56+o); \
	EQ(spaces<>(SB), 64+o); \
	EQ(newlines<>(SB), 72+o); \
	EQ(equals<>(SB), 80+o); \
	EQ(dots<>(SB), 88+o)

// func candMasksAVX2(p *byte, n int, out *rawMasks)
TEXT ·candMasksAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ out+16(FP), DI
	VMOVDQU lutHi<>(SB), Y14
	VMOVDQU lutLo<>(SB), Y13
	BCAST(3, Y15)
	BCAST(1, Y12)
	BCAST(4, Y11)
	BCAST(5, Y10)
	BCAST(6, Y9)
	BCAST(7, Y8)
	BCAST(8, Y7)
		BCAST(10, Y5)
	BCAST(0, Y4)
	VPXOR Y3, Y3, Y3

loop:
	TESTQ CX, CX
	JZ    done
	HALF(0, 0)
	HALF(32, 4)
	ADDQ $64, SI
	ADDQ $96, DI
	DECQ CX
	JMP  loop

done:
	VZEROUPPER
	RET
