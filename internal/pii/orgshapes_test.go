package pii

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOrgShapesFixes holds the fixes the organisation-shapes corpus
// (evalcorpus/orgshapes.go) led to, each with its counter-case: card
// numbers only in the layouts issuers print, a birth date before a
// clause-final "geboren", Spanish "nací/nació el".
func TestOrgShapesFixes(t *testing.T) {
	tests := []struct {
		name, text string
		want       map[string]int
	}{
		{"Amazon order number 3-7-7, Luhn valid, JCB prefix", "Order 354-6060489-7102693 shipped", nil},
		{"SIRET 3-3-3-5, Luhn valid, Diners prefix", "SIRET 362 521 879 00035", nil},
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
