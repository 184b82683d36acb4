package pii

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRound7 holds the seventh round's fixes, each with its counter-case:
// home addresses in prose after phrases found from the postcode back,
// a codice fiscale in lower case after "fisc", plural name labels.
func TestRound7(t *testing.T) {
	tests := []struct {
		name, text string
		want       map[string]int
	}{
		{"wohnhaft in", "Herr Keller, wohnhaft in der Schillerstraße 17, 70173 Stuttgart, widerspricht.", map[string]int{TypePostalAddress: 1}},
		{"wohnhaft colon", "wohnhaft: Am Markt 3a, 04109 Leipzig", map[string]int{TypePostalAddress: 1}},
		{"my address is, US ZIP+4", "my address is 500 Market Street, San Francisco, CA 94105-2210", map[string]int{TypePostalAddress: 1}},
		{"I live at, UK postcode", "I live at 15 Harbour View, Whitby YO21 3PU, ring twice.", map[string]int{TypePostalAddress: 1}},
		{"woonachtig aan, Dutch postcode", "woonachtig aan de Grote Markt 12, 9711 LV Groningen", map[string]int{TypePostalAddress: 1}},
		{"domicilié(e) à", "domicilié(e) à 7 avenue Jean Jaurès, 31000 Toulouse", map[string]int{TypePostalAddress: 1}},
		{"residing at, UK postcode (forward path)", "residing at 27 Albert Road, Portsmouth PO5 2SE.", map[string]int{TypePostalAddress: 1}},
		{"lead phrase before a year and a noun", "Ich bin seit 2015 wohnhaft in Freiburg und seit 2019 Mitglied im Verein.", nil},
		{"residence phrase before a year and a noun", "Residente in Italia dal 2001 Cordiali saluti.", nil},
		{"address is, no address", "My address is on file with you since 2019 Thanks.", nil},
		{"postcode and town without a phrase", "Lieferung an Lindenallee 112, 50968 Köln.", nil},
		{"phrase on the line before", "My address is:\n12 Elm Street, 50968 Köln", nil},
		{"codice fiscale in lower case", "il mio codice fiscale è " + lowerCF + " grazie", map[string]int{TypeITFiscalCode: 1}},
		{"codice fiscale in mixed case after cod. fisc.", "Cod. fisc. Rssmrc85T10H501Q", map[string]int{TypeITFiscalCode: 1}},
		{"codice fiscale in upper case counts once", "codice fiscale: RSSMRC85T10H501Q", map[string]int{TypeITFiscalCode: 1}},
		{"key with underscore", "codice_fiscale=" + lowerCF, map[string]int{TypeITFiscalCode: 1}},
		{"lower case, wrong check character", "codice fiscale: rssmrc85t10h501r", nil},
		{"lower case without context", "ref rssmrc85t10h501q", nil},
		{"a word after fiscale", "codice fiscale non pervenutoxxxx", nil},
		{"Prénoms key", "Prénoms : Paul Henri\n", map[string]int{TypePersonName: 1}},
		{"Prénom(s) key", "Prénom(s) : Anne Sophie\n", map[string]int{TypePersonName: 1}},
		{"a flag under a name key", "Prénom : non renseigné\n", nil},
		{"a plural of no name key", "Bytes: Paul\n", nil},
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

const lowerCF = "rssmrc85t10h501q"

func TestRound7Fields(t *testing.T) {
	for _, h := range []string{"Prénoms", "Prénom(s)", "Nom / Prénom", "Vornamen/Given names/Prénoms", "Surnames"} {
		require.NotZero(t, classifyField([]byte(h))&fieldName, h)
	}
	for _, h := range []string{"Prénom renseigné", "Names", "Noms", "status"} {
		require.Zero(t, classifyField([]byte(h))&fieldName, h)
	}
}
