package pii

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// distinct counts the distinct values of one type in one file. Up to
// exactDistinct values it keeps their hashes and counts exactly; past
// that a file dense with different values (a customer export, a log of
// millions of addresses) would hold a hash per value without bound, so
// the count goes on in a HyperLogLog sketch (Flajolet et al. 2007) of
// 2^hllBits one-byte registers, built from the hashes kept so far: about
// 1.6 % standard error, 4 KiB whatever the file holds.
type distinct struct {
	seen map[uint64]struct{} // nil once the sketch took over
	hll  []uint8
	n    int64 // exact count while seen is in use
}

const (
	exactDistinct = 1 << 14
	hllBits       = 12
)

// add counts hash h and reports whether it is new (always true once the
// sketch counts: it cannot tell).
func (d *distinct) add(h uint64) bool {
	if d.hll != nil {
		d.sketch(h)
		return false
	}
	if d.seen == nil {
		d.seen = map[uint64]struct{}{}
	}
	if _, dup := d.seen[h]; dup {
		return false
	}
	d.seen[h] = struct{}{}
	d.n++
	if len(d.seen) > exactDistinct {
		d.hll = make([]uint8, 1<<hllBits)
		for k := range d.seen {
			d.sketch(k)
		}
		d.seen = nil
	}
	return true
}

func (d *distinct) sketch(h uint64) {
	i := h >> (64 - hllBits)
	rank := uint8(bits.LeadingZeros64(h<<hllBits|1<<(hllBits-1))) + 1
	if rank > d.hll[i] {
		d.hll[i] = rank
	}
}

// count is the number of distinct values: exact up to exactDistinct, an
// estimate past it (never below what was counted exactly, nor above
// count, the values seen).
func (d *distinct) count(count int64) int64 {
	if d.hll == nil {
		return d.n
	}
	m := float64(len(d.hll))
	sum, zeros := 0.0, 0
	for _, r := range d.hll {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	est := 0.7213 / (1 + 1.079/m) * m * m / sum
	if est <= 2.5*m && zeros > 0 {
		est = m * math.Log(m/float64(zeros)) // small range: linear counting
	}
	return min(count, max(int64(exactDistinct)+1, int64(math.Round(est))))
}

// countHash is the hash distinct counts, keyed by key (Tokenizer.countKey):
// eight bytes a round of multiply and shift, then SplitMix64's finalizer,
// so the sketch, which reads the top bits, gets them well mixed. It never
// leaves the process; the tokens that do are HMACs.
func countHash(key uint64, v []byte) uint64 {
	h := key ^ uint64(len(v))*0x9e3779b97f4a7c15
	for ; len(v) >= 8; v = v[8:] {
		h = (h ^ binary.LittleEndian.Uint64(v)) * 0xbf58476d1ce4e5b9
		h ^= h >> 31
	}
	for _, c := range v {
		h = (h ^ uint64(c)) * 0x100000001b3
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ h>>31
}
