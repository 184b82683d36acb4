package pii

// keyPairs[b*37+c] says whether some key with a value kind ends in the
// two characters b c (alnumIndex each): keySuffix3 over its first
// character. A '=' after two letters or digits no key ends in names
// nothing, unless maybeKey's walk back over separators meets a non-ASCII
// byte first (quietKey).
var keyPairs = func() (t [37 * 37]bool) {
	for b := range 37 {
		for c := range 37 {
			for a := range 37 {
				if x := suffix3(a, b, c); keySuffix3[x/8]&(1<<(x%8)) != 0 {
					t[b*37+c] = true
					break
				}
			}
		}
	}
	return t
}()

// quietKey reports whether maybeKey(text, k) is false for a '=' at k
// after two letters or digits (alnumIndex b and c) that end no key in
// keyPairs: maybeKey's answer is then true only when its walk back from
// k-3 over '_' '-' '.' and ' ' (to k-8 at most) stops at a non-ASCII
// byte. On key=value logs this spares maybeKey's loop the keys with a
// separator (dur_ms=, " ts=").
func quietKey(text []byte, k int, b, c uint8) bool {
	if keyPairs[int(b)*37+int(c)] {
		return false
	}
	for j := k - 3; j >= 0 && k-j <= 8; j-- {
		switch x := text[j]; {
		case x >= 0x80:
			return false
		case x == '_' || x == '-' || x == '.' || x == ' ':
		default:
			return true
		}
	}
	return true
}
