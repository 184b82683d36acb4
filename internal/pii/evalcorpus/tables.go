package evalcorpus

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Table is a generated customer export, as a spreadsheet or a CRM writes
// one: a header row and one person per row. Want names, per column, the
// type every cell of that column holds ("" for a column no detector
// type describes, such as a person's name), so a test can assert
// findings column by column.
type Table struct {
	Header []string
	Rows   [][]string
	Want   []string
}

// GermanCustomers returns rows customers as a German-locale faker would
// make them (name, email, phone, IBAN, card, IP), every value valid: phone
// numbers from assigned German ranges in the national and international
// forms Germans write, DE IBANs with mod-97 check digits, Luhn-valid card
// numbers with real issuer prefixes, public IPv4 and documentation IPv6.
// Deterministic per seed; every value is made up.
func GermanCustomers(seed uint64, rows int) Table {
	r := rand.New(rand.NewPCG(seed, 0x7ab1e))
	t := Table{Header: []string{"name", "email", "phone", "iban", "card", "ip"},
		Want: []string{"", "email", "phone_number", "iban", "credit_card", "ip_address"}}
	for range rows {
		first, last := pick(r, deFirst...), pick(r, deLast...)
		name := first + " " + last
		switch r.IntN(6) {
		case 0:
			name = last + ", " + first // as a CRM sorts people; quoted in a comma table
		case 1:
			name = pick(r, "Dr. ", "Prof. Dr. ") + name
		}
		email := fmt.Sprintf("%s.%s%s@%s", asciiFold(first), asciiFold(last), pick(r, "", fmt.Sprint(r.IntN(99))),
			pick(r, "example.de", "mail.example.com", "web.example.org", "kunden.example.net"))
		card := card(r)
		t.Rows = append(t.Rows, []string{name, strings.ToLower(email), dePhone(r), deIBAN(r), group(card, pick(r, "", " ", "-")), ipAddress(r)})
	}
	return t
}

var (
	deFirst = strings.Fields("Jürgen Anna Lukas Sophie Jörg Mia Ömer Lena Karl-Heinz Hannah Björn Lea Zoë Maximilian Käthe Felix")
	deLast  = strings.Fields("Müller Schmidt Schneider Fischer Weiß Meyer Wagner Becker Schulz Hoffmann Koch Krüger Groß Schäfer Yılmaz")
)

// asciiFold writes a German name as it goes into an email address.
func asciiFold(s string) string {
	return strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "ß", "ss", "Ä", "Ae", "Ö", "Oe", "Ü", "Ue", "ë", "e", "ı", "i", "-", "").Replace(s)
}

// dePhone returns a German number from an assigned range in one of the
// forms people write: national with an area code, with the area code in
// parentheses or a slash, mobile, or international with or without the
// national trunk zero in parentheses.
func dePhone(r *rand.Rand) string {
	type plan struct {
		area   string
		digits int
	}
	p := []plan{{"30", 8}, {"40", 8}, {"89", 8}, {"69", 8}, {"221", 7}, {"211", 7}, {"711", 7}, {"351", 7},
		{"151", 8}, {"160", 7}, {"170", 7}, {"171", 7}, {"176", 8}}[r.IntN(13)]
	sub := fmt.Sprintf("%0*d", p.digits, r.IntN(int(pow10(p.digits))))
	sub = fmt.Sprint(2+r.IntN(8)) + sub[1:] // subscriber numbers do not start with 0 or 1
	switch r.IntN(6) {
	case 0:
		return "0" + p.area + " " + sub
	case 1:
		return "(0" + p.area + ") " + sub
	case 2:
		return "0" + p.area + "/" + sub
	case 3:
		return "0" + p.area + "-" + sub[:3] + " " + sub[3:]
	case 4:
		return "+49 " + p.area + " " + sub
	default:
		return "+49 (0)" + p.area + " " + sub
	}
}

// deIBAN returns a DE IBAN (8-digit bank code, 10-digit account) with
// mod-97 check digits, grouped by four as printed or not as stored.
func deIBAN(r *rand.Rand) string {
	bban := fmt.Sprintf("%08d%010d", 10000000+r.IntN(89999999), r.IntN(1e10))
	s := "DE" + ibanCheck("DE", bban) + bban
	if r.IntN(2) == 0 {
		return group(s, " ")
	}
	return s
}

// ibanCheck computes the check digits of an IBAN of country cc (ISO 13616:
// the BBAN, then the country's letters as numbers and 00, mod 97).
func ibanCheck(cc, bban string) string {
	rem := 0
	for _, ch := range bban + cc + "00" {
		v := int(ch - '0')
		if ch >= 'A' && ch <= 'Z' {
			v = int(ch-'A') + 10
			rem = (rem*100 + v) % 97
			continue
		}
		rem = (rem*10 + v) % 97
	}
	return fmt.Sprintf("%02d", 98-rem)
}

func ipAddress(r *rand.Rand) string {
	if r.IntN(5) == 0 {
		return fmt.Sprintf("2001:db8:%x:%x::%x", r.IntN(0xffff), r.IntN(0xffff), 1+r.IntN(0xfff))
	}
	return fmt.Sprintf("%s.%d.%d.%d", pick(r, "62", "80", "85", "91", "93", "141", "178", "217"), r.IntN(256), r.IntN(256), 1+r.IntN(254))
}

// Dialect is how a table is written to a file.
type Dialect struct {
	Name  string // for test names
	Ext   string // the file name's extension: csv or tsv
	Comma rune
	// QuoteAll quotes every field, as some exporters do; otherwise a
	// field is quoted only when it must be.
	QuoteAll bool
	// SepLine starts the file with Excel's "sep=X" line.
	SepLine bool
	// BOM starts the file with a UTF-8 byte-order mark (Excel's "CSV UTF-8").
	BOM  bool
	CRLF bool
}

// Dialects are the ways people save a table: Excel in the German, French,
// Spanish, Italian and Dutch locales writes ';', with CRLF and often a
// BOM; tab-separated text; pipes; the comma of English locales.
var Dialects = []Dialect{
	{Name: "semicolon-excel-de", Ext: "csv", Comma: ';', BOM: true, CRLF: true},
	{Name: "semicolon-quoted", Ext: "csv", Comma: ';', QuoteAll: true},
	{Name: "semicolon-sep-line", Ext: "csv", Comma: ';', SepLine: true, CRLF: true},
	{Name: "tab-tsv", Ext: "tsv", Comma: '\t'},
	{Name: "tab-in-csv", Ext: "csv", Comma: '\t'},
	{Name: "pipe", Ext: "csv", Comma: '|'},
	{Name: "comma", Ext: "csv", Comma: ','},
}

// RenderTable writes t in dialect d.
func RenderTable(t Table, d Dialect) []byte {
	var b bytes.Buffer
	if d.BOM {
		b.WriteString("\ufeff")
	}
	nl := "\n"
	if d.CRLF {
		nl = "\r\n"
	}
	if d.SepLine {
		b.WriteString("sep=" + string(d.Comma) + nl)
	}
	if !d.QuoteAll {
		w := csv.NewWriter(&b)
		w.Comma, w.UseCRLF = d.Comma, d.CRLF
		_ = w.Write(t.Header)
		_ = w.WriteAll(t.Rows) // flushes; a bytes.Buffer does not fail
		return b.Bytes()
	}
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteRune(d.Comma)
			}
			b.WriteString(`"` + strings.ReplaceAll(c, `"`, `""`) + `"`)
		}
		b.WriteString(nl)
	}
	line(t.Header)
	for _, row := range t.Rows {
		line(row)
	}
	return b.Bytes()
}
