package evalcorpus

import (
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"strings"
)

// Check digits for the held-out corpus (heldout.go), written from the
// standards again rather than shared with the generator above or the
// detectors, so a wrong rule in either does not make both agree.

// hoLuhn appends the Luhn check digit to body.
func hoLuhn(body string) string {
	sum := 0
	for k := 0; k < len(body); k++ {
		d := int(body[len(body)-1-k] - '0')
		if k%2 == 0 { // doubled: the check digit will sit to its right
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return body + string(rune('0'+(10-sum%10)%10))
}

// hoBadLuhn is hoLuhn with a wrong check digit.
func hoBadLuhn(body string) string {
	v := hoLuhn(body)
	last := (v[len(v)-1]-'0'+3)%10 + '0'
	return v[:len(v)-1] + string(rune(last))
}

// hoIBAN builds an IBAN from a country code and BBAN (ISO 13616 mod 97-10).
func hoIBAN(cc, bban string) string {
	s := bban + cc + "00"
	rem := 0
	for _, ch := range s {
		switch {
		case ch >= '0' && ch <= '9':
			rem = (rem*10 + int(ch-'0')) % 97
		default:
			rem = (rem*100 + int(ch-'A'+10)) % 97
		}
	}
	return fmt.Sprintf("%s%02d%s", cc, 98-rem, bban)
}

// hoGroup4 writes s in groups of four joined by sep, as printed on paper.
func hoGroup4(s, sep string) string {
	var parts []string
	for len(s) > 4 {
		parts = append(parts, s[:4])
		s = s[4:]
	}
	return strings.Join(append(parts, s), sep)
}

// hoSteuerID appends the ISO 7064 MOD 11,10 check digit to ten digits.
func hoSteuerID(ten string) string {
	product := 10
	for _, c := range ten {
		sum := (int(c-'0') + product) % 10
		if sum == 0 {
			sum = 10
		}
		product = (2 * sum) % 11
	}
	check := 11 - product
	if check == 10 {
		check = 0
	}
	return ten + string(rune('0'+check))
}

// hoNIR appends the key (97 − number mod 97) to a 13-digit NIR.
func hoNIR(thirteen string) string {
	var n int64
	for _, c := range thirteen {
		n = n*10 + int64(c-'0')
	}
	return fmt.Sprintf("%s%02d", thirteen, 97-n%97)
}

// hoDNILetter is the control letter of a DNI number (NIE: X=0, Y=1, Z=2).
func hoDNILetter(n int) string { return string("TRWAGMYFPDXBNJZSQVHLCKE"[n%23]) }

// hoFiscalCode appends the check character to 15 characters of a codice
// fiscale (odd positions by the decree's table, even ones by value).
func hoFiscalCode(fifteen string) string {
	odd := map[byte]int{'0': 1, '1': 0, '2': 5, '3': 7, '4': 9, '5': 13, '6': 15, '7': 17, '8': 19, '9': 21,
		'A': 1, 'B': 0, 'C': 5, 'D': 7, 'E': 9, 'F': 13, 'G': 15, 'H': 17, 'I': 19, 'J': 21, 'K': 2, 'L': 4, 'M': 18,
		'N': 20, 'O': 11, 'P': 3, 'Q': 6, 'R': 8, 'S': 12, 'T': 14, 'U': 16, 'V': 10, 'W': 22, 'X': 25, 'Y': 24, 'Z': 23}
	sum := 0
	for k := 0; k < 15; k++ {
		c := fifteen[k]
		if k%2 == 0 { // 1-based odd
			sum += odd[c]
			continue
		}
		if c >= '0' && c <= '9' {
			sum += int(c - '0')
		} else {
			sum += int(c - 'A')
		}
	}
	return fifteen + string(rune('A'+sum%26))
}

// hoBSN appends the 11-test digit to eight digits; ok is false when no
// digit makes it pass (remainder 10).
func hoBSN(eight string) (string, bool) {
	sum := 0
	for k, c := range eight {
		sum += int(c-'0') * (9 - k)
	}
	check := sum % 11
	if check == 10 {
		return "", false
	}
	return eight + string(rune('0'+check)), true
}

// Verhoeff tables (dihedral group D5).
var (
	hoVD = [10][10]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
		{3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
		{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}
	hoVP = [8][10]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
		{8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}}
	hoVInv = [10]int{0, 4, 3, 2, 1, 5, 6, 7, 8, 9}
)

// hoVerhoeff appends the Verhoeff check digit to body.
func hoVerhoeff(body string) string {
	c := 0
	for k := 0; k < len(body); k++ {
		c = hoVD[c][hoVP[(k+1)%8][int(body[len(body)-1-k]-'0')]]
	}
	return body + string(rune('0'+hoVInv[c]))
}

// hoGitHub builds a classic GitHub token: prefix, 30 characters and their
// CRC32 in base62, six characters.
func hoGitHub(prefix, thirty string) string {
	const b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	c := crc32.ChecksumIEEE([]byte(thirty))
	out := make([]byte, 6)
	for k := 5; k >= 0; k-- {
		out[k] = b62[c%62]
		c /= 62
	}
	return prefix + thirty + string(out)
}

// hoJWT builds a signed-looking JWT with the given header and claims.
func hoJWT(header, claims, sig string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(claims)) + "." + sig
}

// hoAzureKey is an 88-character base64 storage account key from 64 bytes.
func hoAzureKey(seed byte) string {
	b := make([]byte, 64)
	x := uint32(seed) + 0x9e37
	for k := range b {
		x = x*1103515245 + 12345
		b[k] = byte(x >> 16)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// hoHex is n hex digits from a seed.
func hoHex(seed uint32, n int) string {
	var b strings.Builder
	x := seed
	for b.Len() < n {
		x = x*1664525 + 1013904223
		fmt.Fprintf(&b, "%08x", x)
	}
	return b.String()[:n]
}
