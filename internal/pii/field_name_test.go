package pii

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPersonNameFromStructure: a name is typed only under a field named
// for names, and only when the value looks like one.
func TestPersonNameFromStructure(t *testing.T) {
	d := NewDefault().(FieldDetector)
	for _, c := range []struct{ field, value, want, mask string }{
		{"first_name", "Ann", "ann", "a***"},
		{"LastName", " O'Brien-Smith ", "o'brien-smith", "o***"},
		{"customer_full_name", "Jean-Luc de la Tour", "jean-luc de la tour", "j***"},
		{"surname", "Øvergaard", "Øvergaard", "Ø***"},
		{"name", "Ann", "", ""},               // product, host and file names share "name"
		{"username", "ann_smith", "", ""},     // not a person's name field
		{"first_name", "12345", "", ""},       // digits
		{"first_name", "a@b.example", "", ""}, // an email, found as such, not as a name
		{"first_name", "one two three four five", "", ""},
		{"first_name", "X", "", ""},
	} {
		var got []Match
		d.DetectField([]byte(c.field), []byte(c.value), func(m Match) {
			if m.Type == TypePersonName {
				m.Value = append([]byte(nil), m.Value...)
				got = append(got, m)
			}
		})
		if c.want == "" {
			require.Empty(t, got, "%s=%q", c.field, c.value)
			continue
		}
		require.Len(t, got, 1, "%s=%q", c.field, c.value)
		require.Equal(t, c.want, string(got[0].Value))
		require.Equal(t, CategoryPersonal, got[0].Category)
		require.Equal(t, Medium, got[0].Confidence)
		require.Equal(t, c.mask, Mask(TypePersonName, got[0].Value))
	}
	var none []Match
	NewDefault().Detect([]byte("first_name: Ann"), func(m Match) { none = append(none, m) })
	require.Empty(t, none, "free text never yields a name")
}
