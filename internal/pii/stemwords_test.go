package pii

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// stemPrefixSwitch is stemPrefix's last step as it was, a switch: the
// reference of stemWords3 and its filter.
func stemPrefixSwitch(w uint32) bool {
	switch w {
	case 0x626972 /* bir */, 0x626f72 /* bor */, 0x626461 /* bda */, 0x642e6f /* d.o */, 0x646f62 /* dob */, 0x676562 /* geb */, 0x6e6163 /* nac */, 0x6e6169 /* nai */, 0x6e6174 /* nat */, 0x6e6173 /* nas */, 0x6ec3a9, /* né */
		0x726573 /* res */, 0x72c3a9 /* ré */, 0x646f6d /* dom */, 0x64656d, /* dem */
		0x666973, /* fis */
		0x676870 /* ghp */, 0x67686f /* gho */, 0x676875 /* ghu */, 0x676873 /* ghs */, 0x676872 /* ghr */, 0x676974 /* git */, 0x676c70 /* glp */, 0x786f78 /* xox */, 0x736b5f /* sk_ */, 0x726b5f /* rk_ */, 0x65796a /* eyj */ :
		return true
	}
	return false
}

// stemPrefix's filter and list answer as the switch for every three
// bytes (the earlier checks, IBAN, MRZ and hex entity, kept out of the
// way: no digit third, no '<' second, nothing before).
func TestStemWords3AgreesWithSwitch(t *testing.T) {
	text := []byte{0, 0, 0}
	hits := 0
	for b0 := range 256 {
		for b1 := range 256 {
			if b1 == '<' {
				continue
			}
			for b2 := range 256 {
				if isDigit(byte(b2)) {
					continue
				}
				text[0], text[1], text[2] = byte(b0), byte(b1), byte(b2)
				w := uint32(lower(text[0]))<<16 | uint32(lower(text[1]))<<8 | uint32(lower(text[2]))
				want := stemPrefixSwitch(w)
				if want != stemPrefix(append(text[:3:3], ' '), 0) {
					require.Equal(t, want, !want, "%q", text)
				}
				if want {
					hits++
				}
			}
		}
	}
	require.Equal(t, 192, hits) // the words in every mix of cases
}
