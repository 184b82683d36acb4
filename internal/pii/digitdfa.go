package pii

import (
	"regexp"
	"regexp/syntax"
	"sync"
)

// digitMatcher is a phone metadata pattern (libphonenumber's national
// number, leading digits and national prefix patterns: digits, classes,
// counts and alternations) matched against a string of ASCII digits.
// The library's patterns run through Go's regexp cost a microsecond or
// more each, and an international number of a calling code with many
// regions (+1: 25) asks dozens of them: on logs with a few "+1" numbers
// that was 5% of the agent's time. The pattern is compiled once into a
// DFA over the ten digits, one table lookup a digit; the regexp answers
// for any other byte and for a pattern the DFA cannot take (an
// assertion inside it, too many states). TestDigitMatcherAgrees holds
// the DFA to the regexp on every pattern of the metadata.
type digitMatcher struct {
	re     func() *regexp.Regexp // "^(?:p)$", or "^(?:p)" for a prefix; compiled when first asked
	dfa    *digitDFA             // nil: the regexp alone
	prefix bool                  // a match of a prefix of the string is enough
}

// newDigitMatcher compiles pattern p, anchored at the start and, unless
// prefix, at the end, as regexp.Compile("^(?:"+p+")$") would.
func newDigitMatcher(p string, prefix bool) (*digitMatcher, error) {
	expr := "^(?:" + p + ")$"
	if prefix {
		expr = "^(?:" + p + ")"
	}
	m := &digitMatcher{dfa: compileDigitDFA(p), prefix: prefix}
	if m.dfa != nil {
		// The pattern parsed: the regexp is only for what the DFA does
		// not read (a byte that is no digit), compiled then.
		m.re = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
		return m, nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	m.re = func() *regexp.Regexp { return re }
	return m, nil
}

// match is m.re.MatchString(s).
func (m *digitMatcher) match(s string) bool {
	d := m.dfa
	if d == nil {
		return m.re().MatchString(s)
	}
	st := uint16(0)
	if m.prefix && d.accept[0] {
		return true
	}
	for k := 0; k < len(s); k++ {
		c := s[k] - '0'
		if c > 9 {
			return m.re().MatchString(s)
		}
		st = d.next[st][c]
		if st == dfaDead {
			// No match can continue; a prefix match would have been
			// seen at an accepting state. Any non-digit later does not
			// change that.
			return false
		}
		if m.prefix && d.accept[st] {
			return true
		}
	}
	return d.accept[st]
}

// digitDFA is a pattern as a DFA over the digits 0-9: state 0 is the
// start, next[s][d] the state after digit d (dfaDead: no match can follow),
// accept[s] whether the digits read so far are in the pattern's language.
type digitDFA struct {
	next   [][10]uint16 // 20 bytes a state: numbers are rare in text, the tables seldom in cache
	accept []bool
}

// digitDFAMax bounds a DFA's states (the subset construction may grow
// exponentially; the metadata's patterns need a few hundred at most),
// below dfaDead, the state no match follows.
const (
	digitDFAMax = 1 << 14
	dfaDead     = 0xffff
)

// compileDigitDFA builds p's DFA by the subset construction over the
// program regexp/syntax compiles for it, or returns nil when p has an
// empty-width assertion (^, $, \b: the DFA does not track context) or
// needs more than digitDFAMax states. Built when a calling code's first
// number is met, so kept cheap: each instruction's closure is computed
// once, sets are marked in a stamped array, not maps.
func compileDigitDFA(p string) *digitDFA {
	re, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return nil
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil
	}
	n := len(prog.Inst)
	// clos[pc]: the rune-consuming instructions reachable from pc without
	// consuming, and whether a match is (match[pc]).
	clos := make([][2]int32, n) // clos[pc]'s bounds in arena
	var arena []uint32
	match := make([]bool, n)
	done := make([]bool, n)
	stamp := make([]uint32, n)
	gen := uint32(0)
	stampU, genU := make([]uint32, n), uint32(0) // add's marks
	var stack []uint32
	closureOf := func(start uint32) bool {
		gen++
		lo := len(arena)
		m := false
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			pc := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if stamp[pc] == gen {
				continue
			}
			stamp[pc] = gen
			switch in := &prog.Inst[pc]; in.Op {
			case syntax.InstAlt, syntax.InstAltMatch:
				stack = append(stack, in.Arg, in.Out)
			case syntax.InstCapture, syntax.InstNop:
				stack = append(stack, in.Out)
			case syntax.InstMatch:
				m = true
			case syntax.InstFail:
			case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
				arena = append(arena, pc)
			default: // InstEmptyWidth
				return false
			}
		}
		clos[start], match[start], done[start] = [2]int32{int32(lo), int32(len(arena))}, m, true
		return true
	}
	// runes[pc] are the digits instruction pc consumes, a bit each.
	runes := make([]uint16, n)
	for pc := range prog.Inst {
		for c := range 10 {
			if in := &prog.Inst[pc]; in.Op >= syntax.InstRune && in.MatchRune(rune('0'+c)) {
				runes[pc] |= 1 << c
			}
		}
	}
	d := &digitDFA{}
	// ids finds a state by its set's hash, an order-free sum of each
	// instruction's mix (no sort, no key to build); a hit is checked
	// against the set itself, and a collision (never seen) gives up.
	ids := map[uint64]int32{}
	var sets [][2]int32 // each state's instructions' bounds in arena
	var set []uint32
	// add returns the state of the union of the closures of pcs (-1:
	// empty and no match), made if new; ok false when the DFA cannot
	// be built.
	add := func(pcs []uint32) (id int32, ok bool) {
		genU++
		set = set[:0]
		m := false
		var h uint64
		for _, pc := range pcs {
			if !done[pc] && !closureOf(pc) {
				return 0, false
			}
			m = m || match[pc]
			for _, q := range arena[clos[pc][0]:clos[pc][1]] {
				if stampU[q] != genU {
					stampU[q] = genU
					set = append(set, q)
					x := uint64(q+1) * 0x9E3779B97F4A7C15
					h += x ^ x>>29
				}
			}
		}
		if len(set) == 0 && !m {
			return -1, true
		}
		if m {
			h ^= 0x5555555555555555
		}
		if id, hit := ids[h]; hit {
			old := arena[sets[id][0]:sets[id][1]]
			if len(old) != len(set) || d.accept[id] != m {
				return 0, false
			}
			for _, q := range old {
				if stampU[q] != genU {
					return 0, false
				}
			}
			return id, true
		}
		id = int32(len(sets))
		ids[h] = id
		sets = append(sets, [2]int32{int32(len(arena)), int32(len(arena) + len(set))})
		arena = append(arena, set...)
		d.next = append(d.next, [10]uint16{})
		d.accept = append(d.accept, m)
		return id, true
	}
	if id, ok := add([]uint32{uint32(prog.Start)}); !ok {
		return nil
	} else if id < 0 {
		// A pattern that matches nothing: one dead state.
		return &digitDFA{next: [][10]uint16{{dfaDead, dfaDead, dfaDead, dfaDead, dfaDead, dfaDead, dfaDead, dfaDead, dfaDead, dfaDead}}, accept: []bool{false}}
	}
	var to []uint32
	for s := 0; s < len(sets); s++ {
		if len(sets) > digitDFAMax {
			return nil
		}
		for c := range 10 {
			to = to[:0]
			for _, pc := range arena[sets[s][0]:sets[s][1]] {
				if runes[pc]&(1<<c) != 0 {
					to = append(to, prog.Inst[pc].Out)
				}
			}
			id, ok := add(to)
			if !ok {
				return nil
			}
			if id < 0 {
				d.next[s][c] = dfaDead
			} else {
				d.next[s][c] = uint16(id)
			}
		}
	}
	return d
}
