package pii

// Check-digit algorithms a custom detector may require (custom.go). Luhn
// is detect.go's, the cards' own; the IBAN check in more.go computes MOD
// 97-10 inline over its rotated form, as mod97_10 does over a match.

// checksums run over a match's digits (a letter prefix such as "EMP"
// dropped), mod97_10 over its letters and digits.
var checksums = map[string]func([]byte) bool{
	ChecksumLuhn:     onDigits(func(v []byte) bool { return len(v) >= 2 && luhn(v) }),
	ChecksumMod97:    mod97_10,
	ChecksumMod11_10: onDigits(mod11_10),
	ChecksumVerhoeff: onDigits(verhoeff),
	ChecksumElevenT:  onDigits(elevenTest),
}

func onDigits(f func([]byte) bool) func([]byte) bool {
	return func(v []byte) bool {
		d := make([]byte, 0, len(v))
		for _, c := range v {
			if isDigit(c) {
				d = append(d, c)
			}
		}
		return f(d)
	}
}

func allDigits(v []byte) bool {
	for _, c := range v {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// mod97_10 is ISO 7064 MOD 97-10: the value (letters A=10 … Z=35) is 1
// modulo 97.
func mod97_10(v []byte) bool {
	if len(v) < 3 {
		return false
	}
	r := 0
	for _, c := range v {
		switch {
		case isDigit(c):
			r = (r*10 + int(c-'0')) % 97
		case isUpper(c):
			n := int(c-'A') + 10
			r = (r*100 + n) % 97
		default:
			return false
		}
	}
	return r == 1
}

// mod11_10 is ISO 7064 MOD 11,10 (pure system, hybrid): the last digit
// is the check digit of the others.
func mod11_10(v []byte) bool {
	if len(v) < 2 || !allDigits(v) {
		return false
	}
	p := 10
	for _, c := range v[:len(v)-1] {
		s := (int(c-'0') + p) % 10
		if s == 0 {
			s = 10
		}
		p = (s * 2) % 11
	}
	check := (11 - p) % 10
	return check == int(v[len(v)-1]-'0')
}

var (
	verhoeffD = [10][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}
	verhoeffP = [8][10]int{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}}
)

// verhoeff checks a number whose last digit is its Verhoeff check digit.
func verhoeff(v []byte) bool {
	if len(v) < 2 || !allDigits(v) {
		return false
	}
	c := 0
	for i := 0; i < len(v); i++ {
		c = verhoeffD[c][verhoeffP[i%8][int(v[len(v)-1-i]-'0')]]
	}
	return c == 0
}

// elevenTest is the Dutch 11-test (elfproef): digits weighted n…2 and the
// last one −1 sum to a multiple of 11 (and not 0).
func elevenTest(v []byte) bool {
	if len(v) < 8 || len(v) > 12 || !allDigits(v) {
		return false
	}
	sum, n := 0, len(v)
	for i, c := range v[:n-1] {
		sum += (n - i) * int(c-'0')
	}
	sum -= int(v[n-1] - '0')
	return sum != 0 && sum%11 == 0
}
