package pii

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type found struct {
	Type, Masked, Confidence string
	Line                     int
}

// detect returns masked matches so a failing test never prints a raw value.
func detect(text string) []found {
	var out []found
	NewDefault().Detect([]byte(text), func(m Match) {
		out = append(out, found{m.Type, Mask(m.Type, m.Value), m.Confidence, m.Line})
	})
	return out
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []found
	}{
		{"email", "mail Jane.Doe+x@Example.co.uk now", []found{{"email", "j***@e***.uk", High, 1}}},
		{"email end of sentence", "write to a@b.io.", []found{{"email", "a***@b***.io", High, 1}}},
		{"email needs a tld", "user@localhost and x@y.c and joe@host.123", nil},
		{"email inside a longer token", "a@b@example.com", nil},
		{"email bad local", ".a@example.com x..y@example.com", nil},
		{"visa plain", "card 4111111111111111 ok", []found{{"credit_card", "**** **** **** 1111", High, 1}}},
		{"mastercard spaced", "5555 5555 5555 4444", []found{{"credit_card", "**** **** **** 4444", High, 1}}},
		{"mastercard 2-series dashed", "2223-0031-2200-3222", []found{{"credit_card", "**** **** **** 3222", High, 1}}},
		{"amex", "378282246310005", []found{{"credit_card", "**** **** **** 0005", High, 1}}},
		{"luhn fails", "4111111111111112", nil},
		{"mixed separators", "4111 1111-1111 1111", nil},
		{"unknown issuer", "9111111111111111", nil},
		{"inside a longer digit run", "41111111111111110", nil},
		{"glued to letters", "x4111111111111111 4111111111111111y", nil},
		{"decimal", "3.4111111111111111 4111111111111111.5", nil},
		{"csv columns", "7,4111111111111111,12\n8,123-45-6780,9", []found{
			{"credit_card", "**** **** **** 1111", High, 1}, {"us_ssn", "***-**-6780", Medium, 2}}},
		{"ssn dashed", "id 123-45-6780", []found{{"us_ssn", "***-**-6780", Medium, 1}}},
		{"ssn with context", "SSN: 123-45-6780", []found{{"us_ssn", "***-**-6780", High, 1}}},
		{"ssn bare needs context", "123456780 and Social Security No 123456780", []found{{"us_ssn", "***-**-6780", High, 1}}},
		{"ssn bad area", "000-12-3456 666-12-3456 901-12-3456", nil},
		{"ssn bad group and serial", "123-00-4567 123-45-0000", nil},
		{"ssn published samples", "SSN 078-05-1120, SSN 219-09-9999, SSN 123-45-6789", nil},
		{"ssn mixed separators", "123-45 6780", nil},
		{"ssn inside longer run", "1123-45-6780 123-45-67801", nil},
		{"dates and versions", "2026-11-01 v1.2.3 v10.0.0.1 1.2.3.4.5 12:30:45", nil},
		{"iban grouped and plain", "IBAN: DE89 3704 0044 0532 0130 00, GB82WEST12345698765432", []found{
			{"iban", "DE****************3000", High, 1}, {"iban", "GB****************5432", High, 1}}},
		{"iban bad check or length", "DE89 3704 0044 0532 0130 01 DE89370400440532013 XX89370400440532013000", nil},
		{"uk nino", "NI AB123456C and AB 12 34 56 D", []found{{"uk_nino", "AB******C", High, 1}, {"uk_nino", "AB******D", High, 1}}},
		{"uk nino bad prefix or suffix", "QQ123456C GB123456A AO123456B AB123456E", nil},
		{"ipv4 and ipv6", "from 10.0.0.1, to 2001:db8::1 and ::1.", []found{
			{"ip_address", "10.*.*.1", Medium, 1}, {"ip_address", "2001:****", Medium, 1}, {"ip_address", "***", Medium, 1}}},
		{"not ips", "256.1.1.1 1.2.3 fe80::1%eth0 deadbeef", nil},
		{"aws key", "key=AKIAJ5Q7R2T4V6X3Z7QH", []found{{"aws_access_key", "****************Z7QH", High, 1}}},
		{"aws documentation key", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", nil},
		{"aws key glued or short", "XAKIAIOSFODNN7EXAMPLE AKIAIOSFODNN7EXAMPL AKIAIOSFODNN7EXAMPLE1", nil},
		{"private key", "x\n-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----\n", []found{
			{"private_key", "-----BEGIN PRIVATE KEY----- (redacted)", High, 2}}},
		{"phone international", "call +44 20 7946 0958 or +1 (415) 555-2671", []found{
			{"phone_number", "+4*********58", High, 1}, {"phone_number", "+1********71", High, 1}}},
		{"phone national with context", "Tel: 030 12345678", []found{{"phone_number", "+4*********78", High, 1}}},
		{"phone US shape", "reach (415) 555-2671 today", []found{{"phone_number", "+1********71", Medium, 1}}},
		{"not phones", "order 4155552671 on 2026-11-01, build 20.7946.0958, +999 123", nil},
		{"dob", "DOB: 1985-03-12; born 12/03/1985 and Geburtsdatum 24.12.1990, date of birth March 5, 1970", []found{
			{"date_of_birth", "****-**-**", High, 1}, {"date_of_birth", "****-**-**", High, 1},
			{"date_of_birth", "****-**-**", High, 1}, {"date_of_birth", "****-**-**", High, 1}}},
		{"dates without birth context", "created 1985-03-12, stubborn 12/03/1985", nil},
		{"public key is not private", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----", nil},
		{"lines", "a\nb\nmail x@example.com\n\nSSN 123-45-6780", []found{
			{"email", "x***@e***.com", High, 3}, {"us_ssn", "***-**-6780", High, 5}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, detect(tc.in))
		})
	}
}

func TestTokenAndAggregate(t *testing.T) {
	tok := NewTokenizer([]byte("0123456789abcdef"))
	// HMAC-SHA256("0123456789abcdef", "a@example.com"), first 16 bytes, as
	// computed independently with Python's hmac module.
	require.Equal(t, "87c8707b0c61806881347867c370e9f6", tok.Token([]byte("a@example.com")))
	require.NotEqual(t, tok.Token([]byte("a@example.com")), NewTokenizer([]byte("other key")).Token([]byte("a@example.com")))

	agg := NewAggregator(tok)
	var text strings.Builder
	for i := 0; i < 150; i++ {
		fmt.Fprintf(&text, "user%d@example.com user%d@example.com\n", i, i)
	}
	text.WriteString("SSN 123-45-6780\n")
	NewDefault().Detect([]byte(text.String()), agg.Add)
	res := agg.Results()
	require.Len(t, res, 2)
	email := res[0]
	require.Equal(t, "email", email.Type)
	require.EqualValues(t, 300, email.Count)
	require.EqualValues(t, 150, email.Distinct)
	require.Len(t, email.Tokens, MaxTokens)
	require.Len(t, email.Where, MaxWhere)
	require.Equal(t, []string{"u***@e***.com"}, email.Samples, "samples are distinct masks")
	require.Equal(t, "us_ssn", res[1].Type)
	require.Equal(t, High, res[1].Confidence)
	require.Equal(t, []string{"line 151"}, res[1].Where)
}

func TestNormalize(t *testing.T) {
	e, ok := NormalizeEmail(" Jane@Example.COM ")
	require.True(t, ok)
	require.Equal(t, "jane@example.com", e)
	c, ok := NormalizeCard("4111 1111 1111 1111")
	require.True(t, ok)
	require.Equal(t, "4111111111111111", c)
	_, ok = NormalizeCard("4111 1111 1111 1112")
	require.False(t, ok)
	s, ok := NormalizeSSN("123-45-6780")
	require.True(t, ok)
	require.Equal(t, "123456780", s)
	_, ok = NormalizeSSN("666-45-6780")
	require.False(t, ok)
}

func FuzzDetect(f *testing.F) {
	f.Add([]byte("x 4111 1111 1111 1111 a@b.com SSN 123-45-6780\n123456780"))
	f.Add([]byte("@@@.. 5555-5555-5555-4444-"))
	f.Add([]byte("a--b --x (555) 123-4567 +49 30 1234567=ID1234567 ab:cd fe80::1 Ab12"))
	f.Add([]byte("2026-11-07T09:31:10.335279Z level=info req=3b3cf937 status=500 dur_ms=932.670 user_id=92894735 ts=1765317151 j&#64;example.com a%40b.org Tel.&nbsp;%2B4930 1234567"))
	f.Add([]byte("wohnhaft: Am Markt 3a, 04109 Leipzig; I live at 15 Harbour View, Whitby YO21 3PU; my address is 1 Elm St, Columbus, OH 43215-1234 domicilié(e) à 7 av X, 31000 Toulouse"))
	f.Add([]byte("il mio codice fiscale è rssmrc85t10h501q, cod. fisc. Bncgpp78C15F205? Prénom(s): Anne Prénoms=Paul 2019 Mitglied"))
	f.Add([]byte("to db01/10.1.2.3:5432. peer ipv4:10.0.0.9:50051 tel:+49%2030%201234567 callto://+4930123456 https://wa.me/491701234567?x send?phone=%2B33612345678 France\nTél : 06 12 34 56 78"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The pass that looks at eight bytes at a time finds what the one
		// that looks at each byte does.
		require.Equal(t, detectEach(data), collect(data))
		NewDefault().Detect(data, func(m Match) {
			if m.Line < 1 || m.Line > bytes.Count(data, []byte{'\n'})+1 {
				t.Fatalf("line %d out of range", m.Line)
			}
			switch m.Type {
			case TypeCreditCard:
				if !luhn(m.Value) || len(m.Value) < 13 || len(m.Value) > 19 {
					t.Fatal("card match fails its own validation")
				}
			case TypeUSSSN:
				if len(m.Value) != 9 || !validSSN(m.Value) {
					t.Fatal("ssn match fails its own validation")
				}
			case TypeEmail:
				if bytes.Count(m.Value, []byte("@")) != 1 || !bytes.Equal(m.Value, bytes.ToLower(m.Value)) {
					t.Fatal("email match is not one normalized address")
				}
			}
		})
	})
}

// corpus is log-like text with sparse personal data (about 1 value per
// 2 KiB), as on a real file server.
func corpus(size int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for b.Len() < size {
		fmt.Fprintf(&b, "2026-11-01T10:%02d:%02d.%03dZ INFO [worker-%d] GET /api/v2/items/%d 200 %dms bytes=%d build=4.%d.%d\n",
			r.IntN(60), r.IntN(60), r.IntN(1000), r.IntN(16), r.IntN(1e6), r.IntN(900), r.IntN(1e5), r.IntN(20), r.IntN(99))
		switch r.IntN(20) {
		case 0:
			fmt.Fprintf(&b, "user login ok email=user%d@example.com\n", r.IntN(1e4))
		case 1:
			b.WriteString("payment card=4111 1111 1111 1111 status=ok\n")
		case 2:
			fmt.Fprintf(&b, "hr record ssn %03d-%02d-%04d\n", 1+r.IntN(600), 1+r.IntN(98), 1+r.IntN(9998))
		}
	}
	return b.Bytes()
}

func BenchmarkDetect(b *testing.B) {
	data := corpus(8 << 20)
	benchDetect(b, data)
}

// BenchmarkRegexpBaseline is the naive approach on the same input: one Go
// regexp alternation of the three shapes, line by line. Compare MB/s.
func BenchmarkRegexpBaseline(b *testing.B) {
	data := corpus(8 << 20)
	re := regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|\b(?:\d[ -]?){13,19}\b|\b\d{3}-\d{2}-\d{4}\b`)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		for _, line := range bytes.Split(data, []byte{'\n'}) {
			n += len(re.FindAllIndex(line, -1))
		}
	}
}

// stemPrefix's switch must hold the first three bytes of every birth stem,
// in both ASCII cases.
func TestStemPrefix(t *testing.T) {
	for _, w := range birthStems {
		require.True(t, stemPrefix(w, 0), "%s", w)
		up := bytes.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' {
				return r - 32
			}
			return r
		}, w)
		require.True(t, stemPrefix(up, 0), "%s", up)
	}
	require.False(t, stemPrefix([]byte("GET /"), 0))
	require.False(t, stemPrefix([]byte("do"), 0))
}

func TestDetectField(t *testing.T) {
	det := NewDefault().(FieldDetector)
	tests := []struct {
		field, value string
		want         []found
	}{
		{"SSN", "123456780", []found{{"us_ssn", "***-**-6780", High, 1}}},
		{"note", "123456780", nil},
		{"customer_ssn", "123-45-6780", []found{{"us_ssn", "***-**-6780", High, 1}}},
		{"Mobile Phone", "030 12345678", []found{{"phone_number", "+4*********78", High, 1}}},
		{"birth_date", "1985-03-12", []found{{"date_of_birth", "****-**-**", High, 1}}},
		{"DOB", "12 March 1985", []found{{"date_of_birth", "****-**-**", High, 1}}},
		{"created_at", "1985-03-12", nil},
		// Under an identifier-named field a bare shape does not count and a
		// Luhn-valid number is only medium; an email is still an email.
		{"order_id", "123-45-6780", nil},
		{"order_id", "4111111111111111", []found{{"credit_card", "**** **** **** 1111", Medium, 1}}},
		{"order_contact", "a@example.com", []found{{"email", "a***@e***.com", High, 1}}},
		{"card", "4111111111111111", []found{{"credit_card", "**** **** **** 1111", High, 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			var out []found
			det.DetectField([]byte(tc.field), []byte(tc.value), func(m Match) {
				out = append(out, found{m.Type, Mask(m.Type, m.Value), m.Confidence, m.Line})
			})
			require.Equal(t, tc.want, out)
		})
	}
}

// NormalizeAs gives what the detectors tokenize, from what people type.
func TestNormalizeAs(t *testing.T) {
	for _, tc := range []struct{ typ, in, want string }{
		{TypeEmail, " Jane.Doe@Example.COM ", "jane.doe@example.com"},
		{TypeCreditCard, "4111-1111-1111-1111", "4111111111111111"},
		{TypeUSSSN, "123456780", "123456780"},
		{TypeUSSSN, "123-45-6780", "123456780"},
		{TypePhoneNumber, "+44 20 7946 0958", "+442079460958"},
		{TypePhoneNumber, "(415) 555-2671", "+14155552671"},
		{TypeIBAN, "DE89 3704 0044 0532 0130 00", "DE89370400440532013000"},
		{TypeDateOfBirth, "12 March 1985", "1985-03-12"},
	} {
		got, ok := NormalizeAs(tc.typ, tc.in)
		require.True(t, ok, "%s %s", tc.typ, tc.in)
		require.Equal(t, tc.want, got)
	}
	for _, tc := range []struct{ typ, in string }{
		{TypeCreditCard, "4111111111111112"}, {TypeUSSSN, "000-12-3456"}, {TypeEmail, "nope"}, {"unknown", "x"},
	} {
		_, ok := NormalizeAs(tc.typ, tc.in)
		require.False(t, ok, "%s", tc.typ)
	}
}

// BenchmarkDetectFiles scans the files of the directory in
// SIGHTLINE_BENCH_SCAN_DIR (written by go run ./deploy/bench/scan -shape
// kv or access), so a detector change is measured on make bench-scan's
// corpus shapes without the agent around it.
func BenchmarkDetectFiles(b *testing.B) {
	dir := os.Getenv("SIGHTLINE_BENCH_SCAN_DIR")
	if dir == "" {
		b.Skip("SIGHTLINE_BENCH_SCAN_DIR is not set: write a corpus with go run ./deploy/bench/scan -dir DIR -mb 8 -files 1 -shape kv")
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(b, err)
	var data []byte
	for _, p := range paths {
		d, err := os.ReadFile(p)
		require.NoError(b, err)
		data = append(data, d...)
	}
	benchDetect(b, data)
}

// collect returns Detect's matches with their values copied.
func collect(data []byte) []Match {
	var out []Match
	NewDefault().Detect(data, func(m Match) {
		m.Value = bytes.Clone(m.Value)
		out = append(out, m)
	})
	return out
}

// detectEach is Detect with the pass a byte at a time (scanner.fromEach),
// the reference of scanner.from.
func detectEach(text []byte) []Match {
	var out []Match
	text = plainSpaces(text, nil) // as Detect does before either pass
	s := scanner{text: text, lastDOB: -1, emit: func(m Match) {
		m.Value = bytes.Clone(m.Value)
		out = append(out, m)
	}}
	if len(text) == 0 {
		return nil
	}
	i := 1
	if byteClass[text[0]] != clsSep && fires[clsSep<<8|int(byteClass[text[0]])] {
		i = max(i, s.event(0, byteClass[text[0]]))
	}
	s.fromEach(i, len(text))
	return out
}

// The eight-byte pass agrees with the byte pass on the benchmark corpus
// and on text dense with every kind of candidate start.
func TestFromAgreesWithFromEach(t *testing.T) {
	data := corpus(1 << 20)
	require.Equal(t, detectEach(data), collect(data))
	r := rand.New(rand.NewPCG(9, 9))
	pieces := []string{"a", "Z", "d", "0", "9", "1", "-", " ", ":", "=", "@", "+", "(", ".", "/", "_", "\n", "\xc3",
		"password=hunter2x9!", "a.b@example.com", "+49 30 1234567", "(212) 555-0123", "phone: 030 1234567",
		"4111 1111 1111 1111", "123-45-6780", "DE89 3704 0044 0532 0130 00", "dob 1990-01-02", "10.0.0.1",
		"fe80::1", "2001:db8::7", "AKIAIOSFODNN7EXAMPLE", "&#x40;", "&#X40;", "&#64;", "&#064;", "%40", "%2B49", "&nbsp;", "j.okafor", "example.com", "Tel: ", "INFO", "GET", "Iban", "IBAN ", "IBAN: fr76", "fe80", ":", "10:13:23", "T10:", "ab:", "X-", "A1", "DE89",
		"AB 12", "AB12", "QQ123456C", "FR14 2004 1010 0505 0001 3M02 606", "FR1420041010050500013M02606", "JG103759A", "JG 10 37 59 A", "Hello", "ABCDEFGH", "http://10.0.0.7:5432", "AKIA", "RSSMRA85T10A562S", "\u00a0", "\u202f", ")", "#", "%", "&",
		"x", "b", "gh", "ghp_", "sk_", "né", "nac", "226ms", "3b3cf937", "12345", "1234", "12345678Z", "status=200 ", "de89 ",
		"2026-11-01", "030 / 1234567", "12 ", "1 ", "123456789012345", "/10.1.2.3:5432", "ipv4:", "tel:", "%20", "https://wa.me/", "France", "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----"}
	matched := 0
	for range 3000 {
		var b []byte
		for range r.IntN(24) {
			b = append(b, pieces[r.IntN(len(pieces))]...)
		}
		want := detectEach(b)
		matched += len(want)
		require.Equal(t, want, collect(b), "%q", b)
	}
	require.Greater(t, matched, 1000, "the random texts hold too few values to compare the passes on")
}

// benchDetect measures Detect over data.
func benchDetect(b *testing.B, data []byte) {
	det := NewDefault()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		det.Detect(data, func(Match) { n++ })
	}
}

// DetectLines returns the newlines of the text it read, with matches or
// without, before, after and between them, and with spaces plainSpaces
// replaces; Custom's is its base's.
func TestDetectLinesCountsNewlines(t *testing.T) {
	custom, err := WithCustom(NewDefault(), []Definition{{ID: "code_id", Category: "personal", Pattern: `C[0-9]{4}`}})
	require.NoError(t, err)
	require.Implements(t, (*LineCounter)(nil), custom)
	for _, text := range []string{"", "\n", "no value\n\n", "a@example.com", "\n\nmail a@example.com\nx\n\n",
		"x\n4111 1111 1111 1111\n\u00a0\u202f\nb@example.org\n", "C1234\nC9876\n\n", string(corpus(4096))} {
		for _, d := range []Detector{NewDefault(), custom} {
			require.Equal(t, strings.Count(text, "\n"), DetectLines(d, []byte(text), func(Match) {}), "%q", text)
		}
	}
}
