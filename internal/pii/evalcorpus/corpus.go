// Package evalcorpus generates a labeled corpus for measuring the detectors:
// realistic filler lines, lines holding valid values of every detected
// type, and decoys built to fool a shape-only matcher (Luhn-failing card
// numbers, impossible SSNs, bad IBAN checksums, UUIDs, timestamps, version
// strings, order numbers). Deterministic per seed. Every value is made up.
package evalcorpus

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
)

// Doc is one generated document and what it holds.
type Doc struct {
	Name string
	Text []byte
	// Want counts the values of each type on each 1-based line.
	Want map[Key]int
	// Values are the raw personal values planted in Text, for tests that
	// prove none of them leaves the scanner.
	Values []string
	// Entries are Text's units (a line, or a PEM block's lines), for
	// rendering the document in other formats without splitting a unit.
	Entries []string
}

// Counts returns how many values of each type the document holds.
func (d Doc) Counts() map[string]int {
	out := map[string]int{}
	for k, n := range d.Want {
		out[k.Type] += n
	}
	return out
}

// Key is a (line, type) cell of the labels.
type Key struct {
	Line int
	Type string
}

// RequiredTypes are the types of pii-types.md's "Required" table, in the
// order the generator picks them.
var RequiredTypes = []string{"email", "credit_card", "us_ssn", "iban", "uk_nino", "ip_address", "aws_access_key",
	"private_key", "phone_number", "date_of_birth"}

// AllTypes are RequiredTypes and NextTypes.
var AllTypes = append(append([]string(nil), RequiredTypes...), NextTypes...)

// Generate returns docs documents of about lines lines each holding the
// required types.
func Generate(seed uint64, docs, lines int) []Doc {
	return GenerateTypes(seed, docs, lines, RequiredTypes)
}

// GenerateTypes returns docs documents of about lines lines each holding
// values of types (from AllTypes), and decoys for them.
func GenerateTypes(seed uint64, docs, lines int, types []string) []Doc {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	next := false
	for _, t := range types {
		for _, n := range NextTypes {
			next = next || t == n
		}
	}
	out := make([]Doc, docs)
	for d := range out {
		var b strings.Builder
		want := map[Key]int{}
		var values, entries []string
		for l := 1; l <= lines; l++ {
			var e string
			switch k := r.IntN(10); {
			case k < 4:
				e = filler(r)
			case k < 7:
				typ := types[r.IntN(len(types))]
				line, value, also := positive(r, typ)
				values = append(values, value)
				e = line
				want[Key{l, typ}]++
				for _, a := range also {
					want[Key{l, a}]++
				}
				l += strings.Count(line, "\n") // a PEM block spans lines
			default:
				if next && r.IntN(2) == 0 {
					e = decoyNext(r)
				} else {
					e = decoy(r)
				}
			}
			b.WriteString(e)
			b.WriteByte('\n')
			entries = append(entries, e)
		}
		out[d] = Doc{Name: fmt.Sprintf("doc-%03d.txt", d), Text: []byte(b.String()), Want: want, Values: values, Entries: entries}
	}
	return out
}

var words = strings.Fields("the order was shipped to the customer after review by the support team and the invoice " +
	"is attached please confirm receipt of payment status pending approved rejected meeting notes agenda project")

func filler(r *rand.Rand) string {
	switch r.IntN(3) {
	case 0:
		return fmt.Sprintf("2026-11-%02dT%02d:%02d:%02d.%03dZ INFO [worker-%d] GET /api/v2/items/%d 200 %dms",
			1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1000), r.IntN(16), r.IntN(1e6), r.IntN(900))
	case 1:
		n := 6 + r.IntN(10)
		ws := make([]string, n)
		for i := range ws {
			ws[i] = words[r.IntN(len(words))]
		}
		return strings.Join(ws, " ")
	default:
		return fmt.Sprintf("%d,%s,%d.%02d,%s", r.IntN(1e5), words[r.IntN(len(words))], r.IntN(1000), r.IntN(100), []string{"EUR", "USD", "GBP"}[r.IntN(3)])
	}
}

// positive returns a line holding exactly one value of typ, the value, and
// the other types the line holds (a service-account key file's private key).
func positive(r *rand.Rand, typ string) (line, value string, also []string) {
	v := func(_, prefix, val, suffix string) (string, string, []string) { return prefix + val + suffix, val, nil }
	switch typ {
	case "email":
		return v("email", "contact: ", fmt.Sprintf("%s.%s%d@%s", pick(r, "anna", "li", "omar", "zoe", "ravi"), pick(r, "berg", "chen", "diaz"), r.IntN(999), pick(r, "example.com", "mail.example.org", "corp.example.co.uk")), "")
	case "credit_card":
		return v("credit_card", "paid with card ", group(card(r), pick(r, "", " ", "-")), "")
	case "us_ssn":
		return v("us_ssn", "employee SSN ", ssn(r), "")
	case "iban":
		return v("iban", "transfer to ", iban(r), "")
	case "uk_nino":
		return v("uk_nino", "NI number ", nino(r), "")
	case "ip_address":
		if r.IntN(2) == 0 {
			return v("ip_address", "client ", fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254)), " connected")
		}
		return v("ip_address", "client ", fmt.Sprintf("2001:db8:%x::%x", r.IntN(0xffff), 1+r.IntN(0xfff)), " connected")
	case "aws_access_key":
		const b32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
		k := make([]byte, 16)
		for i := range k {
			k[i] = b32[r.IntN(len(b32))]
		}
		return v("aws_access_key", "aws_access_key_id = ", pick(r, "AKIA", "ASIA")+string(k), "")
	case "private_key":
		const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		body := make([]byte, 64)
		for i := range body {
			body[i] = b64[r.IntN(len(b64))]
		}
		kind := pick(r, "", "RSA ", "EC ", "OPENSSH ")
		// As in a PEM file, or escaped into a JSON or YAML value.
		nl := pick(r, "\n", `\n`)
		return fmt.Sprintf("-----BEGIN %sPRIVATE KEY-----%s%s%s-----END %sPRIVATE KEY-----", kind, nl, body, nl, kind), string(body), nil
	case "phone_number":
		return v("phone_number", "phone: ", phone(r), "")
	case "date_of_birth":
		y, m, d := 1940+r.IntN(70), 1+r.IntN(12), 1+r.IntN(28)
		date := pick(r, fmt.Sprintf("%04d-%02d-%02d", y, m, d), fmt.Sprintf("%02d.%02d.%04d", d, m, y), fmt.Sprintf("%02d/%02d/%04d", d, m, y))
		return v("date_of_birth", pick(r, "DOB: ", "date of birth ", "born ", "Geburtsdatum "), date, "")
	}
	return positiveNext(r, typ)
}

func decoy(r *rand.Rand) string {
	switch r.IntN(8) {
	case 0: // Luhn-failing 16 digits
		c := card(r)
		last := (c[len(c)-1]-'0'+1+byte(r.IntN(8)))%10 + '0'
		return "ref " + c[:len(c)-1] + string(last)
	case 1: // impossible SSNs
		return "code " + pick(r, "000", "666", fmt.Sprint(900+r.IntN(100))) + fmt.Sprintf("-%02d-%04d", 1+r.IntN(98), 1+r.IntN(9998))
	case 2: // bad IBAN checksum
		v := iban(r)
		return "account " + v[:2] + fmt.Sprintf("%02d", (int(v[2]-'0')*10+int(v[3]-'0')+1+r.IntN(90))%98+2) + v[4:]
	case 3:
		return fmt.Sprintf("request id %08x-%04x-%04x-%04x-%012x", r.Uint32(), r.IntN(0xffff), r.IntN(0xffff), r.IntN(0xffff), r.Uint64()&0xffffffffffff)
	case 4:
		return fmt.Sprintf("deployed v%d.%d.%d.%d at %d", r.IntN(10), r.IntN(30), r.IntN(100), r.IntN(1000), 1700000000+r.IntN(1e8))
	case 5:
		return fmt.Sprintf("order no. %04d-%04d-%04d", r.IntN(1e4), r.IntN(1e4), r.IntN(1e4))
	case 6:
		return fmt.Sprintf("created 2026-%02d-%02d, amount %d,%03d.%02d", 1+r.IntN(12), 1+r.IntN(28), r.IntN(999), r.IntN(1000), r.IntN(100))
	default:
		return fmt.Sprintf("tracking %d%d", 100000000+r.IntN(9e8), r.IntN(1e6))
	}
}

func pick(r *rand.Rand, s ...string) string { return s[r.IntN(len(s))] }

// card returns a Luhn-valid number with a real issuer prefix and length.
func card(r *rand.Rand) string {
	p := pick(r, "4:16", "51:16", "55:16", "2221:16", "34:15", "37:15", "6011:16", "3530:16")
	var prefix string
	var n int
	fmt.Sscanf(strings.Replace(p, ":", " ", 1), "%s %d", &prefix, &n)
	d := []byte(prefix)
	for len(d) < n-1 {
		d = append(d, byte('0'+r.IntN(10)))
	}
	sum := 0
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i] - '0')
		if (len(d)-1-i)%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return string(append(d, byte('0'+(10-sum%10)%10)))
}

func group(s, sep string) string {
	if sep == "" {
		return s
	}
	var parts []string
	for len(s) > 4 {
		parts = append(parts, s[:4])
		s = s[4:]
	}
	return strings.Join(append(parts, s), sep)
}

func ssn(r *rand.Rand) string {
	for {
		a := 1 + r.IntN(899)
		if a == 666 || a == 78 || a == 219 || a == 123 || a == 457 {
			continue
		}
		return fmt.Sprintf("%03d-%02d-%04d", a, 1+r.IntN(99), 1+r.IntN(9999))
	}
}

// iban builds a valid IBAN: country, check digits from mod 97, BBAN.
func iban(r *rand.Rand) string {
	c := pick(r, "DE:18", "GB:18", "FR:23", "NL:14", "ES:20", "IT:23", "BE:12", "CH:17")
	cc, n := c[:2], 0
	fmt.Sscanf(c[3:], "%d", &n)
	bban := make([]byte, n)
	for i := range bban {
		bban[i] = byte('0' + r.IntN(10))
	}
	if cc == "GB" || cc == "NL" {
		for i := 0; i < 4; i++ {
			bban[i] = byte('A' + r.IntN(26))
		}
	}
	var digits strings.Builder
	for _, ch := range string(bban) + cc + "00" {
		if ch >= 'A' && ch <= 'Z' {
			fmt.Fprintf(&digits, "%d", ch-'A'+10)
		} else {
			digits.WriteRune(ch)
		}
	}
	v, _ := new(big.Int).SetString(digits.String(), 10)
	check := 98 - int(new(big.Int).Mod(v, big.NewInt(97)).Int64())
	s := fmt.Sprintf("%s%02d%s", cc, check, bban)
	if r.IntN(2) == 0 {
		return group(s, " ")
	}
	return s
}

func nino(r *rand.Rand) string {
	const first, second = "ABCEGHJKLMNOPRSTWXYZ", "ABCEGHJKLMNPRSTWXYZ"
	for {
		p := string([]byte{first[r.IntN(len(first))], second[r.IntN(len(second))]})
		switch p {
		case "BG", "GB", "NK", "KN", "TN", "NT", "ZZ":
			continue
		}
		d := fmt.Sprintf("%06d", r.IntN(1e6))
		s := string("ABCD"[r.IntN(4)])
		if r.IntN(2) == 0 {
			return fmt.Sprintf("%s %s %s %s %s", p, d[:2], d[2:4], d[4:], s)
		}
		return p + d + s
	}
}

// phone returns a number from ranges that numbering plans assign.
func phone(r *rand.Rand) string {
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("+1 %s 555 %04d", pick(r, "212", "415", "312", "617", "202", "303", "206", "512"), r.IntN(10000))
	case 1:
		return fmt.Sprintf("+44 20 7946 %04d", r.IntN(10000)) // London
	case 2:
		return fmt.Sprintf("+49 30 %08d", 10000000+r.IntN(89999999)) // Berlin
	default:
		return fmt.Sprintf("+33 1 %02d %02d %02d %02d", r.IntN(100), r.IntN(100), r.IntN(100), r.IntN(100)) // Paris
	}
}
