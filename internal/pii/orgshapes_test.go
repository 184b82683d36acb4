package pii

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOrgShapesFixes holds the fixes the organisation-shapes corpus
// (evalcorpus/orgshapes.go) led to, each with its counter-case: card
// numbers only in the layouts issuers print, a birth date before a
// clause-final "geboren", Spanish "nací/nació el", a 13-digit EAN is no
// Visa number, two numbers set off by two spaces or a tel: link's, verbs
// of calling and "ph"/"mob" as phone context, an IPv4 address before
// ports or a colon, an id starting 00 is no international number, a BSN
// only in its layouts, a logged INSERT's birth column.
func TestOrgShapesFixes(t *testing.T) {
	tests := []struct {
		name, text string
		want       map[string]int
	}{
		{"Amazon order number 3-7-7, Luhn valid, JCB prefix", "Order 354-6060489-7102693 shipped", nil},
		{"SIRET 3-3-3-5, Luhn valid, Diners prefix", "SIRET 362 521 879 00035", nil},
		{"an IBAN failing its check is no card", "IBAN GB79 BARC 5680 2151 8163 39", nil},
		{"an IBAN failing its check, at the start", "GB79 BARC 5680 2151 8163 39", nil},
		{"a card after a word in capitals", "CARD 5680 2151 8163 39", map[string]int{TypeCreditCard: 1}},
		{"card 4-4-4-4 dashed", "card 4539-1488-0343-6467", map[string]int{TypeCreditCard: 1}},
		{"Amex 4-6-5", "Amex 3782 822463 10005", map[string]int{TypeCreditCard: 1}},
		{"Diners 4-6-4", "Diners 3056 930902 5904", map[string]int{TypeCreditCard: 1}},
		{"UnionPay 19 digits 4-4-4-4-3", "UnionPay 6212 3456 7890 1234 569", map[string]int{TypeCreditCard: 1}},
		{"German: date before geboren", "Ich bin am 14.07.1983 in Köln geboren.", map[string]int{TypeDateOfBirth: 1}},
		{"German: ISO date before geboren, and a labelled one", "Ich bin 1942-05-07 geboren (Geburtsdatum: 07.05.1942).", map[string]int{TypeDateOfBirth: 2}},
		{"Dutch: date before geboren", "Ik ben op 12-03-1985 geboren.", map[string]int{TypeDateOfBirth: 1}},
		{"German: written date before geboren", "Sie wurde am 5. März 1961 in Mönchengladbach geboren.", map[string]int{TypeDateOfBirth: 1}},
		{"another date, then a year before geboren", "seit 01.04.2015 angestellt und 1961 geboren", nil},
		{"a date in the clause before", "Eintritt 01.04.2015, geboren in Köln", nil},
		{"geboren forward still works", "geboren am 03.02.1977 in Bonn", map[string]int{TypeDateOfBirth: 1}},
		{"Spanish nací el", "Nací el 19/08/1969 en Zaragoza.", map[string]int{TypeDateOfBirth: 1}},
		{"Spanish nació el, written", "Mi madre nació el 3 de mayo de 1950.", map[string]int{TypeDateOfBirth: 1}},
		{"Spanish nació el of a company", "La empresa nació el año pasado; alta 01/02/2024", nil},
		{"EAN-13 of a German product, Luhn valid too", "EAN 4006381333924", nil},
		{"13-digit Visa that is no EAN", "card 4222222222222", map[string]int{TypeCreditCard: 1}},
		{"two numbers set off by two spaces", "Tel: 030 12345678  030 12345679", map[string]int{TypePhoneNumber: 2}},
		{"a number, two spaces, a year", "Tel: 030 12345678  1985", map[string]int{TypePhoneNumber: 1}},
		{"tel: link before the number it shows", "Mobil: tel:00492213139916 0049 221 3139916", map[string]int{TypePhoneNumber: 2}},
		{"tel: link with + before a national number", "tel:+4915112345678 0151 12345678", map[string]int{TypePhoneNumber: 2}},
		{"a long id and digits are no split number", "Ref: 12345678 1234 5678 1234", nil},
		{"French: me joindre au", "vous pouvez me joindre au 01 78 15 39 68.", map[string]int{TypePhoneNumber: 1}},
		{"German: erreichen Sie mich unter", "Sie erreichen mich unter 0151 23456789", map[string]int{TypePhoneNumber: 1}},
		{"Spanish: llámame al", "llámame al 612 345 678", map[string]int{TypePhoneNumber: 1}},
		{"Italian: chiamami al", "chiamami al 347 1234567", map[string]int{TypePhoneNumber: 1}},
		{"ph before an Australian landline", "Sydney office, ph (02) 9738 4740", map[string]int{TypePhoneNumber: 1}},
		{"Mob: before a UK mobile", "Mob: 07712 345678", map[string]int{TypePhoneNumber: 1}},
		{"ph inside a word is no context", "Graph 0422 209 254", nil},
		{"Docker port mapping", `- "192.168.165.136:8080:8080"`, map[string]int{TypeIPAddress: 1}},
		{"Go dial error", "dial tcp 10.0.3.15:5432: connect: connection refused", map[string]int{TypeIPAddress: 1}},
		{"address before a colon", "connect to 10.1.2.3: refused", map[string]int{TypeIPAddress: 1}},
		{"address with a port too long", "at 10.1.2.3:123456 x", nil},
		{"version after a colon is still a version", "version: 1.2.3.4", nil},
		{"AWS secret starting with a slash", "AWS_SECRET_ACCESS_KEY=/TXoYS6GU/caVsHppSb0R6UHC353/gTgBQrc2WhC\n", map[string]int{TypePassword: 1}},
		{"a path of 40 bytes under a password key is none", "DB_PASSWORD=/home/deploy/projects/shopapp/releases/9\n", nil},
		{"pre-release version", "upgrade to 1.2.3.4-beta or 2.4.10.1-SNAPSHOT", nil},
		{"address range", "allow 192.168.1.100-192.168.1.200", map[string]int{TypeIPAddress: 2}},
		{"an id starting 00 is no international number", "settled batch 006108842150 (79 txns", nil},
		{"00 and the country code, then groups", "call 0049 30 12345678", map[string]int{TypePhoneNumber: 1}},
		{"00, country and area code glued", "Tel 004930 12345678", map[string]int{TypePhoneNumber: 1}},
		{"a phone number's 2-7 tail after a BSN", "BSN 6930.78.352, tel. +31 (0)70-8762761", map[string]int{TypeNLBSN: 1, TypePhoneNumber: 1}},
		{"BSN 3-3-3", "BSN 693 078 352", map[string]int{TypeNLBSN: 1}},
		{"BSN 4-2-3", "BSN 6930 78 352", map[string]int{TypeNLBSN: 1}},
		{"logged INSERT: the date under the birth column", "STATEMENT:  INSERT INTO customers (email, phone, birth_date, created_at) VALUES ('a@b.de', '+49 151 23456789', '1985-03-12', now())",
			map[string]int{TypeEmail: 1, TypePhoneNumber: 1, TypeDateOfBirth: 1}},
		{"logged INSERT, two tuples, escapes, backticks", "insert into `c` (`id`,`last_name`,`birth_date`) VALUES (1,'O\\'Neil','1979-03-22'),(2,'Vogt','1961-05-14');",
			map[string]int{TypeDateOfBirth: 2}},
		{"logged INSERT: other columns' dates", "INSERT INTO t (created, dob, updated) VALUES ('2024-01-01', '1970-02-03', '2024-02-02')", map[string]int{TypeDateOfBirth: 1}},
		{"logged INSERT: NULL birth date", "INSERT INTO t (a, birth_date, created) VALUES ('x', NULL, '2024-01-01')", nil},
		{"logged INSERT: a flag under a birth column", "INSERT INTO t (birth_date_verified, created) VALUES (1, '2024-01-01')", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]int{}
			for _, m := range collect([]byte(tc.text)) {
				got[m.Type]++
			}
			if tc.want == nil {
				tc.want = map[string]int{}
			}
			require.Equal(t, tc.want, got)
		})
	}
}
