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

// EQ(tab, at, r): mark the bytes of Y0 equal to tab's, store the mask at
// at(r).
#define EQ(tab, at, r) VPCMPEQB tab, Y0, Y2; VPMOVMSKB Y2, AX; MOVL AX, at(r)

// quietIn's arrays (candidates.go), 512 bytes each.
#define QDIGIT 0
#define QALPHA 512
#define QCOLON 1024
#define QSPACE 1536
#define QNL 2048
#define QEQ 2560
#define QDOT 3072
#define QDASH 3584
#define QPP 4096
#define QUPPER 4608
#define QMARKER 5120
#define QSTEM 5632
#define QGLUE 6144

#define BCAST(at, y) VPBROADCASTB bytes<>+at(SB), y

// INRANGE(x, lo, span, at): mark the bytes of x with x-lo <= span
// (unsigned), store the mask at at(R8). Clobbers Y1, Y2.
#define INRANGE(x, lo, span, at) VPSUBB lo, x, Y2; VPMINUB span, Y2, Y1; VPCMPEQB Y1, Y2, Y2; VPMOVMSKB Y2, AX; MOVL AX, at(R8)

// LOOK(off, hi, lo): the nibble indices of the 32 bytes at off(SI), their
// high nibbles in hi and low in lo: computed once for the class, stem and
// phone tables that all look them up (once a table cost four
// instructions more each: 16 of a pass's 32 bytes with the phone mask).
#define LOOK(off, hi, lo) \
	VMOVDQU off(SI), lo; \
	VPSRLW $4, lo, hi; \
	VPAND Y15, hi, hi; \
	VPAND Y15, lo, lo

// TAB(tabs, h, l, hi, lo, t, acc): acc &= the high nibble table at
// tabs+h at hi & the low one at tabs+l at lo, through t.
#define TAB(tabs, h, l, hi, lo, t, acc) \
	VMOVDQU tabs+h(SB), t; \
	VPSHUFB hi, t, t; \
	VPAND t, acc, acc; \
	VMOVDQU tabs+l(SB), t; \
	VPSHUFB lo, t, t; \
	VPAND t, acc, acc

// CLASSBITS(bits, at): mark the bytes whose class (Y2) has any of bits,
// store the 32-bit mask at at(R8); through Y6, Y3 zero.
#define CLASSBITS(bits, at) VPAND bits, Y2, Y6; VPCMPEQB Y3, Y6, Y6; VPMOVMSKB Y6, AX; NOTL AX; MOVL AX, at(R8)

// FIRST(off, o): the first byte's part of the 32 bytes at off(SI): its
// nibbles (LOOK) in Y1 and Y0, the class masks (lutHi, lutLo) stored,
// stemTabs' f of each byte in Y2 and its nonzero bytes in BX. Y3 is zero.
#define FIRST(off, o) \
	LOOK(off, Y1, Y0); \
	VPSHUFB Y1, Y14, Y2; \
	VPSHUFB Y0, Y13, Y6; \
	VPAND Y6, Y2, Y2; \
	CLASSBITS(Y5, QMARKER+o); \
	CLASSBITS(Y12, QDASH+o); \
	CLASSBITS(Y4, QGLUE+o); \
	VMOVDQU ·stemTabs+0(SB), Y2; \
	VPSHUFB Y1, Y2, Y2; \
	VMOVDQU ·stemTabs+32(SB), Y6; \
	VPSHUFB Y0, Y6, Y6; \
	VPAND Y6, Y2, Y2; \
	VPCMPEQB Y3, Y2, Y6; \
	VPMOVMSKB Y6, BX; \
	NOTL BX

// REST(off, o): after FIRST and the next two bytes' stem tables (Y2
// holding f & g & h, Y3 zero): the stem mask (a stem letter whose next
// two bytes may continue it, or with a letter and a digit after it) and
// the masks of plain comparisons of the 32 bytes at off(SI).
#define REST(off, o) \
	VPCMPEQB Y3, Y2, Y2; \
	VPMOVMSKB Y2, R9; \
	NOTL R9; \
	VMOVDQU (off+2)(SI), Y0; \
	VPSUBB Y9, Y0, Y2; \
	VPMINUB Y8, Y2, Y1; \
	VPCMPEQB Y1, Y2, Y2; \
	VPMOVMSKB Y2, DX; \
	ANDL DX, BX; \
	VMOVDQU off(SI), Y0; \
	INRANGE(Y0, Y7, Y10, QUPPER+o); \
	VPOR Y12, Y0, Y0; \
	INRANGE(Y0, Y11, Y10, QALPHA+o); \
	VMOVDQU (off+1)(SI), Y0; \
	VPOR Y12, Y0, Y0; \
	VPSUBB Y11, Y0, Y2; \
	VPMINUB Y10, Y2, Y1; \
	VPCMPEQB Y1, Y2, Y2; \
	VPMOVMSKB Y2, AX; \
	ANDL AX, BX; \
	ORL R9, BX; \
	MOVL BX, (QSTEM+o)(R8); \
	VMOVDQU off(SI), Y0; \
	INRANGE(Y0, Y9, Y8, QDIGIT+o); \
	EQ(colons<>(SB), QCOLON+o, R8); \
	EQ(spaces<>(SB), QSPACE+o, R8); \
	EQ(newlines<>(SB), QNL+o, R8); \
	EQ(equals<>(SB), QEQ+o, R8); \
	EQ(dots<>(SB), QDOT+o, R8)

// HALF(off, o): the 32 bytes at off(SI) into the low (o=0) or high (o=4)
// halves of the block's entries of quietIn's masks (R8) but pp; reads two
// bytes past them (the stem mask). Uses Y0-Y3 and Y6 and leaves Y3 zero.
#define HALF(off, o) \
	FIRST(off, o); \
	LOOK(off+1, Y1, Y0); \
	TAB(·stemTabs, 64, 96, Y1, Y0, Y3, Y2); \
	LOOK(off+2, Y1, Y0); \
	TAB(·stemTabs, 128, 160, Y1, Y0, Y3, Y2); \
	VPXOR Y3, Y3, Y3; \
	REST(off, o)

// FUSED(off, o) is HALF and quietIn's pp (phoneTabs' f of each byte, s
// of the next and t of the one after, in Y6), each byte's nibbles looked
// up in both tables.
#define FUSED(off, o) \
	FIRST(off, o); \
	VMOVDQU ·phoneTabs+0(SB), Y6; \
	VPSHUFB Y1, Y6, Y6; \
	VMOVDQU ·phoneTabs+32(SB), Y3; \
	VPSHUFB Y0, Y3, Y3; \
	VPAND Y3, Y6, Y6; \
	LOOK(off+1, Y1, Y0); \
	TAB(·stemTabs, 64, 96, Y1, Y0, Y3, Y2); \
	TAB(·phoneTabs, 64, 96, Y1, Y0, Y3, Y6); \
	LOOK(off+2, Y1, Y0); \
	TAB(·stemTabs, 128, 160, Y1, Y0, Y3, Y2); \
	TAB(·phoneTabs, 128, 160, Y1, Y0, Y3, Y6); \
	VPXOR Y3, Y3, Y3; \
	VPCMPEQB Y3, Y6, Y6; \
	VPMOVMSKB Y6, AX; \
	NOTL AX; \
	MOVL AX, (QPP+o)(R8); \
	REST(off, o)

// SETUP loads candMasksAVX2's arguments and constants.
#define SETUP \
	MOVQ p+0(FP), SI; \
	MOVQ n+8(FP), CX; \
	MOVQ q+16(FP), R8; \
	VMOVDQU lutHi<>(SB), Y14; \
	VMOVDQU lutLo<>(SB), Y13; \
	BCAST(3, Y15); \
	BCAST(1, Y12); \
	BCAST(4, Y11); \
	BCAST(5, Y10); \
	BCAST(6, Y9); \
	BCAST(7, Y8); \
	BCAST(8, Y7); \
	BCAST(10, Y5); \
	BCAST(0, Y4); \
	VPXOR Y3, Y3, Y3

// NEXT moves to the next block.
#define NEXT \
	ADDQ $64, SI; \
	ADDQ $8, R8; \
	DECQ CX

// func candMasksAVX2(p *byte, n int, q *quietIn)
TEXT ·candMasksAVX2(SB), NOSPLIT, $0-24
	SETUP

loop:
	TESTQ CX, CX
	JZ    done
	HALF(0, 0)
	HALF(32, 4)
	NEXT
	JMP   loop

done:
	VZEROUPPER
	RET

// func candMasksPairsAVX2(p *byte, n int, q *quietIn)
//
// candMasksAVX2 and quietIn's pp (phoneTabs' f of each byte, s of the
// next and t of the one after), through FUSED.
TEXT ·candMasksPairsAVX2(SB), NOSPLIT, $0-24
	SETUP

ploop:
	TESTQ CX, CX
	JZ    pdone
	FUSED(0, 0)
	FUSED(32, 4)
	NEXT
	JMP   ploop

pdone:
	VZEROUPPER
	RET

// Q(...) steps of quietStartsAVX2, one block per 64-bit lane: SHR(n, a, d)
// is d = a>>n, SHL likewise; AND(a, b, d) d = a & b; OR likewise; ANDN(a,
// b, d) d = a &^ b.
#define SHR(n, a, d) VPSRLQ $n, a, d
#define SHL(n, a, d) VPSLLQ $n, a, d
#define AND(a, b, d) VPAND a, b, d
#define OR(a, b, d) VPOR a, b, d
#define ANDN(a, b, d) VPANDN a, b, d

// func quietStartsAVX2(q *quietIn, off, n int, out *[64]uint64)
//
// quietStarts (candidates.go) step for step. Y0 dg, Y1 alnum, Y2 non,
// Y3 end then nc, Y4 the colons' part, Y5 d2 then d8, Y6 d3, Y7 d4, Y8
// d5, Y9 g then d6, Y10 a2 then a6, Y11 a4 then a8, Y12 q, Y15 ones.
TEXT ·quietStartsAVX2(SB), NOSPLIT, $0-32
	MOVQ q+0(FP), SI
	ADDQ off+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ out+24(FP), DI
	VPCMPEQQ Y15, Y15, Y15

qloop:
	CMPQ CX, $0
	JLE  qdone
	VMOVDQU QDIGIT(SI), Y0
	VMOVDQU QALPHA(SI), Y1
	OR(Y0, Y1, Y1)
	VPXOR Y15, Y1, Y2

	// Colons of times.
	SHL(2, Y1, Y3)
	SHL(2, Y2, Y4)
	SHL(2, Y0, Y5)
	AND(Y3, Y5, Y5)
	SHL(3, Y2, Y6)
	AND(Y6, Y5, Y5)
	OR(Y5, Y4, Y4)
	SHL(3, Y1, Y6)
	AND(Y6, Y3, Y3)
	SHL(3, Y0, Y5)
	AND(Y3, Y5, Y5)
	SHL(4, Y2, Y6)
	AND(Y6, Y5, Y5)
	OR(Y5, Y4, Y4)
	SHL(4, Y1, Y6)
	AND(Y6, Y3, Y3)
	SHL(4, Y0, Y5)
	AND(Y3, Y5, Y5)
	SHL(5, Y2, Y6)
	AND(Y6, Y5, Y5)
	OR(Y5, Y4, Y4)
	SHL(5, Y1, Y6)
	AND(Y6, Y3, Y3)
	OR(Y3, Y4, Y4)
	SHL(1, Y0, Y5)
	AND(Y5, Y4, Y4)
	SHR(1, Y0, Y5)
	AND(Y5, Y4, Y4)
	AND(QCOLON(SI), Y4, Y4)
	VMOVDQU QDOT(SI), Y5
	SHL(2, Y5, Y6)
	SHL(3, Y5, Y3)
	OR(Y3, Y6, Y6)
	SHL(4, Y5, Y3)
	OR(Y3, Y6, Y6)
	ANDN(Y4, Y6, Y4)

	// Short numbers.
	VMOVDQU QALPHA(SI), Y5
	SHR(1, Y5, Y5)
	AND(QSPACE(SI), Y5, Y5)
	OR(QNL(SI), Y5, Y3)
	SHR(1, Y0, Y5)
	AND(Y0, Y5, Y5)
	SHR(2, Y0, Y6)
	AND(Y5, Y6, Y6)
	SHR(2, Y5, Y7)
	AND(Y5, Y7, Y7)
	SHR(4, Y0, Y8)
	AND(Y7, Y8, Y8)
	SHR(1, Y0, Y9)
	SHR(2, Y3, Y10)
	AND(Y10, Y9, Y9)
	AND(QDOT(SI), Y9, Y9)
	OR(Y3, Y9, Y10)
	SHR(5, Y10, Y10)
	AND(Y8, Y10, Y12)
	SHR(1, Y5, Y10)
	SHR(3, Y3, Y11)
	AND(Y11, Y10, Y10)
	AND(QDOT(SI), Y10, Y10)
	OR(Y10, Y9, Y9)
	OR(QNL(SI), Y9, Y10)
	SHR(4, Y10, Y10)
	AND(Y7, Y10, Y10)
	OR(Y10, Y12, Y12)
	SHR(1, Y6, Y10)
	SHR(4, Y3, Y11)
	AND(Y11, Y10, Y10)
	AND(QDOT(SI), Y10, Y10)
	OR(Y10, Y9, Y9)
	OR(Y3, Y9, Y10)
	SHR(3, Y10, Y10)
	AND(Y6, Y10, Y10)
	OR(Y10, Y12, Y12)
	SHR(1, Y7, Y10)
	SHR(5, Y3, Y11)
	AND(Y11, Y10, Y10)
	AND(QDOT(SI), Y10, Y10)
	OR(Y10, Y9, Y9)
	OR(Y3, Y9, Y10)
	SHR(2, Y10, Y10)
	AND(Y5, Y10, Y10)
	OR(Y10, Y12, Y12)
	SHR(1, Y8, Y10)
	SHR(6, Y3, Y11)
	AND(Y11, Y10, Y10)
	AND(QDOT(SI), Y10, Y10)
	OR(Y10, Y9, Y9)
	OR(Y3, Y9, Y10)
	SHR(1, Y10, Y10)
	AND(Y0, Y10, Y10)
	OR(Y10, Y12, Y12)
	SHR(4, Y5, Y9)
	AND(Y7, Y9, Y9)
	SHR(6, Y3, Y10)
	AND(Y9, Y10, Y10)
	OR(Y10, Y12, Y12)

	// Runs not all digits.
	VMOVDQU QCOLON(SI), Y10
	ANDN(Y2, Y10, Y3)
	SHR(1, Y1, Y10)
	AND(Y1, Y10, Y10)
	ANDN(Y10, Y5, Y11)
	SHR(2, Y3, Y13)
	AND(Y13, Y11, Y11)
	OR(Y11, Y12, Y12)
	SHR(2, Y1, Y11)
	AND(Y10, Y11, Y11)
	ANDN(Y11, Y6, Y11)
	SHR(3, Y3, Y13)
	AND(Y13, Y11, Y11)
	OR(Y11, Y12, Y12)
	SHR(2, Y10, Y11)
	AND(Y10, Y11, Y11)
	ANDN(Y11, Y7, Y13)
	SHR(4, Y3, Y14)
	AND(Y14, Y13, Y13)
	OR(Y13, Y12, Y12)
	SHR(4, Y1, Y13)
	AND(Y11, Y13, Y13)
	ANDN(Y13, Y8, Y13)
	SHR(5, Y3, Y14)
	AND(Y14, Y13, Y13)
	OR(Y13, Y12, Y12)
	SHR(4, Y10, Y10)
	AND(Y11, Y10, Y10)
	ANDN(Y10, Y9, Y13)
	SHR(6, Y3, Y14)
	AND(Y14, Y13, Y13)
	OR(Y13, Y12, Y12)
	SHR(6, Y1, Y13)
	AND(Y10, Y13, Y13)
	SHR(6, Y0, Y14)
	AND(Y9, Y14, Y14)
	ANDN(Y13, Y14, Y13)
	SHR(7, Y3, Y14)
	AND(Y14, Y13, Y13)
	OR(Y13, Y12, Y12)
	SHR(4, Y7, Y5)
	AND(Y7, Y5, Y5)
	SHR(4, Y11, Y13)
	AND(Y13, Y11, Y11)
	ANDN(Y11, Y5, Y13)
	SHR(8, Y3, Y14)
	AND(Y14, Y13, Y13)
	OR(Y13, Y12, Y12)
	SHR(8, Y11, Y13)
	AND(Y11, Y13, Y13)
	SHR(8, Y5, Y14)
	AND(Y5, Y14, Y14)
	ANDN(Y13, Y14, Y13)
	SHR(16, Y3, Y14)
	AND(Y14, Y13, Y13)
	OR(Y13, Y12, Y12)

	// Dates. Y5 is d8, Y9 d6: d2 again in Y10.
	SHR(1, Y0, Y10)
	AND(Y0, Y10, Y10)
	VMOVDQU QDASH(SI), Y11
	SHR(4, Y11, Y13)
	AND(Y7, Y13, Y13)
	SHR(7, Y11, Y14)
	AND(Y14, Y13, Y13)
	SHR(5, Y10, Y14)
	AND(Y14, Y13, Y13)
	SHR(8, Y10, Y14)
	AND(Y14, Y13, Y13)
	VPXOR Y15, Y0, Y14
	SHR(10, Y14, Y14)
	AND(Y14, Y13, Y13)
	OR(Y13, Y12, Y12)

	// Groups glued to a word: gl in Y11, alpha in Y3, space in Y2.
	VMOVDQU QALPHA(SI), Y3
	SHR(1, Y3, Y11)
	AND(Y0, Y11, Y11)
	SHR(2, Y3, Y13)
	AND(Y10, Y13, Y13)
	OR(Y13, Y11, Y11)
	SHR(3, Y3, Y13)
	AND(Y6, Y13, Y13)
	OR(Y13, Y11, Y11)
	SHR(4, Y3, Y13)
	AND(Y7, Y13, Y13)
	OR(Y13, Y11, Y11)
	SHR(5, Y3, Y13)
	AND(Y8, Y13, Y13)
	OR(Y13, Y11, Y11)
	VMOVDQU QSPACE(SI), Y2
	SHR(2, Y2, Y13)
	AND(Y10, Y13, Y13)
	SHR(3, Y11, Y14)
	AND(Y14, Y13, Y13)
	OR(Y13, Y12, Y12)
	SHR(3, Y2, Y13)
	AND(Y6, Y13, Y13)
	SHR(4, Y11, Y14)
	AND(Y14, Y13, Y13)
	OR(Y13, Y12, Y12)
	SHR(5, Y2, Y13)
	AND(Y8, Y13, Y13)
	SHR(6, Y11, Y14)
	AND(Y14, Y13, Y13)
	OR(Y13, Y12, Y12)
	SHR(6, Y2, Y13)
	AND(Y9, Y13, Y13)
	SHR(7, Y11, Y14)
	AND(Y14, Y13, Y13)
	OR(Y13, Y12, Y12)

	// After '=', a space or a newline; then the colons.
	VMOVDQU QEQ(SI), Y13
	OR(QSPACE(SI), Y13, Y13)
	OR(QNL(SI), Y13, Y13)
	SHL(1, Y13, Y13)
	AND(Y0, Y13, Y13)
	AND(Y13, Y12, Y12)
	OR(Y4, Y12, Y12)
	VMOVDQU Y12, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP  qloop

qdone:
	VZEROUPPER
	RET

// func quietLongAVX2(q *quietIn, off, n int, out *[64]uint64)
//
// quietLongStarts (candidates.go) step for step, four blocks a step.
TEXT ·quietLongAVX2(SB), NOSPLIT, $0-32
	MOVQ q+0(FP), SI
	ADDQ off+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ out+24(FP), DI
	VPCMPEQQ Y15, Y15, Y15

lloop:
	CMPQ CX, $0
	JLE  ldone
	VMOVDQU QDIGIT(SI), Y0
	VMOVDQU QALPHA(SI), Y1

	// key in Y5: no phone pair back to the last stop, which is in the
	// block; a letter then '=' before.
	VPOR    QNL(SI), Y0, Y2
	VPXOR   Y15, Y2, Y3
	AND(QPP(SI), Y3, Y4)
	VPADDQ  Y4, Y3, Y5
	ANDN(Y3, Y5, Y5)
	OR(Y4, Y5, Y5)
	VPXOR   Y15, Y5, Y5
	VPXOR   Y6, Y6, Y6
	VPSUBQ  Y2, Y6, Y6
	AND(Y2, Y6, Y6)
	SHL(1, Y6, Y6)
	VPADDQ  Y15, Y6, Y6
	VPXOR   Y15, Y6, Y6
	AND(Y6, Y5, Y5)
	SHL(2, Y5, Y5)
	SHL(2, Y1, Y6)
	AND(Y6, Y5, Y5)
	VMOVDQU QEQ(SI), Y6
	SHL(1, Y6, Y6)
	AND(Y6, Y5, Y5)

	// end in Y2, endLow in Y3.
	SHR(1, Y1, Y6)
	AND(QSPACE(SI), Y6, Y6)
	OR(QNL(SI), Y6, Y2)
	VMOVDQU QUPPER(SI), Y6
	ANDN(Y1, Y6, Y6)
	SHR(1, Y6, Y6)
	AND(QSPACE(SI), Y6, Y6)
	OR(QNL(SI), Y6, Y3)

	// d2 Y6, d3 Y7, d4 Y8; gD Y9; ql Y12.
	SHR(1, Y0, Y6)
	AND(Y0, Y6, Y6)
	SHR(2, Y0, Y7)
	AND(Y6, Y7, Y7)
	SHR(2, Y6, Y8)
	AND(Y6, Y8, Y8)
	SHR(1, Y0, Y9)
	SHR(2, Y2, Y10)
	AND(Y10, Y9, Y9)
	SHR(1, Y6, Y10)
	SHR(3, Y2, Y11)
	AND(Y11, Y10, Y10)
	OR(Y10, Y9, Y9)
	SHR(1, Y7, Y10)
	SHR(4, Y2, Y11)
	AND(Y11, Y10, Y10)
	OR(Y10, Y9, Y9)
	AND(QDOT(SI), Y9, Y9)
	SHR(1, Y9, Y12)
	AND(Y0, Y12, Y12)
	SHR(2, Y9, Y10)
	AND(Y6, Y10, Y10)
	OR(Y10, Y12, Y12)
	SHR(3, Y9, Y10)
	AND(Y7, Y10, Y10)
	OR(Y10, Y12, Y12)
	SHR(4, Y9, Y10)
	AND(Y8, Y10, Y10)
	OR(Y10, Y12, Y12)
	SHR(4, Y0, Y11)
	AND(Y8, Y11, Y11)
	SHR(5, Y9, Y10)
	AND(Y11, Y10, Y10)
	OR(Y10, Y12, Y12)
	SHR(4, Y6, Y11)
	AND(Y8, Y11, Y11)
	SHR(6, Y9, Y10)
	AND(Y11, Y10, Y10)
	OR(Y10, Y12, Y12)
	SHR(6, Y0, Y13)
	AND(Y11, Y13, Y13)
	SHR(7, Y9, Y10)
	SHR(7, Y2, Y14)
	OR(Y14, Y10, Y10)
	AND(Y13, Y10, Y10)
	OR(Y10, Y12, Y12)
	SHR(4, Y8, Y13)
	AND(Y8, Y13, Y13)
	SHR(8, Y9, Y10)
	SHR(8, Y3, Y14)
	OR(Y14, Y10, Y10)
	AND(Y13, Y10, Y10)
	OR(Y10, Y12, Y12)
	SHR(8, Y6, Y14)
	AND(Y13, Y14, Y14)
	SHR(10, Y2, Y10)
	AND(Y14, Y10, Y10)
	OR(Y10, Y12, Y12)
	AND(Y5, Y12, Y12)
	VMOVDQU Y12, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP  lloop

ldone:
	VZEROUPPER
	RET

// func fireAVX2(q *quietIn, n int, cr uint64, out *[64]uint64)
//
// fireMask (candidates.go) of q's blocks, four per step (n rounded up
// to four; n <= 64), a block in each 64-bit lane: each lane's carry is
// the lane before's (VPERMQ rotates them, VPBLENDD puts the step
// before's last, or cr, in lane 0). Y0 digit, Y1 alnum, Y2 glue, Y3
// dash, Y4 colon, Y5 carry words then f, Y6 rotated, Y7 c, Y8 pa, Y9
// the carry into the step, Y10-Y12 scratch, Y13 ones in each lane, Y14
// threes, Y15 all ones.
TEXT ·fireAVX2(SB), NOSPLIT, $0-32
	MOVQ q+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ cr+16(FP), AX
	MOVQ out+24(FP), DI
	VPCMPEQQ Y15, Y15, Y15
	VPSRLQ $63, Y15, Y13
	VPSRLQ $62, Y15, Y14
	VPXOR Y9, Y9, Y9
	VMOVQ AX, X9

floop:
	CMPQ CX, $0
	JLE  fdone
	VMOVDQU QDIGIT(SI), Y0
	VMOVDQU QALPHA(SI), Y1
	OR(Y0, Y1, Y1)
	VMOVDQU QGLUE(SI), Y2
	VMOVDQU QDASH(SI), Y3
	VMOVDQU QCOLON(SI), Y4

	// Each lane's carry word: alnum>>63 | glue>>63<<1 | dash>>63<<2 |
	// colon>>63<<3 | digit>>62<<4; c is the lane before's.
	SHR(63, Y1, Y5)
	SHR(63, Y2, Y10)
	SHL(1, Y10, Y10)
	OR(Y10, Y5, Y5)
	SHR(63, Y3, Y10)
	SHL(2, Y10, Y10)
	OR(Y10, Y5, Y5)
	SHR(63, Y4, Y10)
	SHL(3, Y10, Y10)
	OR(Y10, Y5, Y5)
	SHR(62, Y0, Y10)
	SHL(4, Y10, Y10)
	OR(Y10, Y5, Y5)
	VPERMQ $0x93, Y5, Y6
	VPBLENDD $0x03, Y9, Y6, Y7
	VMOVDQU Y6, Y9

	// pa = alnum<<1 | c&1; pg = glue<<1 | c>>1&1; pd = dash<<1 | c>>2&1.
	SHL(1, Y1, Y8)
	AND(Y13, Y7, Y10)
	OR(Y10, Y8, Y8)
	SHL(1, Y2, Y11)
	SHR(1, Y7, Y10)
	AND(Y13, Y10, Y10)
	OR(Y10, Y11, Y11)
	SHL(1, Y3, Y12)
	SHR(2, Y7, Y10)
	AND(Y13, Y10, Y10)
	OR(Y10, Y12, Y12)

	// clock = (colon<<1 | c>>3&1) & (digit<<2 | c>>4&3); Y4 is it.
	SHL(1, Y4, Y4)
	SHR(3, Y7, Y10)
	AND(Y13, Y10, Y10)
	OR(Y10, Y4, Y4)
	SHL(2, Y0, Y5)
	SHR(4, Y7, Y10)
	AND(Y14, Y10, Y10)
	OR(Y10, Y5, Y5)
	AND(Y5, Y4, Y4)

	// f = marker | (upper|stem)&^pa | digit&^(pa|pg|clock) | dash&pd.
	AND(Y12, Y3, Y3)
	OR(Y8, Y11, Y11)
	OR(Y4, Y11, Y11)
	ANDN(Y0, Y11, Y0)
	OR(Y0, Y3, Y3)
	VMOVDQU QUPPER(SI), Y5
	OR(QSTEM(SI), Y5, Y5)
	ANDN(Y5, Y8, Y5)
	OR(Y5, Y3, Y3)
	OR(QMARKER(SI), Y3, Y3)
	VMOVDQU Y3, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP  floop

fdone:
	VZEROUPPER
	RET

DATA highs<>+0(SB)/8, $0xc2c2c2c2c2c2c2c2
DATA highs<>+8(SB)/8, $0xc2c2c2c2c2c2c2c2
DATA highs<>+16(SB)/8, $0xc2c2c2c2c2c2c2c2
DATA highs<>+24(SB)/8, $0xc2c2c2c2c2c2c2c2
GLOBL highs<>(SB), RODATA|NOPTR, $32

// func highBytesAVX2(p *byte, n int) bool
//
// Whether any of the n 128-byte chunks at p has a byte of 0xC2 or more:
// their bytewise maximum, one VPMAXUB per 32 bytes, compared once.
TEXT ·highBytesAVX2(SB), NOSPLIT, $0-17
	MOVQ    p+0(FP), SI
	MOVQ    n+8(FP), CX
	VPXOR   Y0, Y0, Y0

hloop:
	TESTQ   CX, CX
	JZ      hdone
	VPMAXUB (SI), Y0, Y0
	VPMAXUB 32(SI), Y0, Y0
	VPMAXUB 64(SI), Y0, Y0
	VPMAXUB 96(SI), Y0, Y0
	ADDQ    $128, SI
	DECQ    CX
	JMP     hloop

hdone:
	VMOVDQU   highs<>(SB), Y1
	VPMAXUB   Y0, Y1, Y1
	VPCMPEQB  Y0, Y1, Y1
	VPMOVMSKB Y1, AX
	TESTL     AX, AX
	SETNE     ret+16(FP)
	VZEROUPPER
	RET
