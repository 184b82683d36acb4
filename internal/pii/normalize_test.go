package pii

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSubjectFormsEveryForm: each type's identifier in every form its
// standard allows gives the one value agents tokenize.
func TestSubjectFormsEveryForm(t *testing.T) {
	for _, tc := range []struct {
		typ, region, want string
		forms             []string
	}{
		{TypeIBAN, "", "DE89370400440532013000", []string{"DE89370400440532013000", "de89370400440532013000",
			"DE89 3704 0044 0532 0130 00", "de89 3704 0044 0532 0130 00", "IBAN DE89 3704 0044 0532 0130 00", "DE89-3704-0044-0532-0130-00"}},
		{TypeEmail, "", "ann.smith@example.com", []string{"ann.smith@example.com", " ANN.Smith@Example.COM ", "mailto:Ann.Smith@example.com", "<ann.smith@EXAMPLE.com>"}},
		{TypeUSSSN, "", "123456780", []string{"123-45-6780", "123 45 6780", "123456780", "123.45.6780"}},
		{TypeCreditCard, "", "5555555555554444", []string{"5555555555554444", "5555 5555 5555 4444", "5555-5555-5555-4444"}},
		{TypeUKNINO, "", "AB123456C", []string{"AB123456C", "ab 12 34 56 c", "AB 123456 C"}},
		{TypeIPAddress, "", "2001:db8::1", []string{"2001:db8::1", "2001:DB8:0:0:0:0:0:1", "[2001:0db8::0001]"}},
		{TypeAWSAccessKey, "", "AKIAJ5Q7R2T4V6X3Z7QH", []string{"AKIAJ5Q7R2T4V6X3Z7QH", "akiaj5q7r2t4v6x3z7qh"}},
		{TypePhoneNumber, "", "+493012345678", []string{"+49 30 12345678", "+49 (0)30 12345678", "0049 30 12345678", "tel:+49-30-1234-5678", "+493012345678"}},
		{TypePhoneNumber, "DE", "+493012345678", []string{"030 12345678", "(030) 12345678", "030/12345678", "+49 30 12345678", "0049 30 12345678"}},
		{TypePhoneNumber, "de", "+4915123456789", []string{"0151 23456789", "+49 151 23456789"}},
		// As copied from a document or a web page: no-break, narrow
		// no-break and thin spaces between groups, en dashes and minus
		// signs for hyphens, full-width forms.
		{TypeIBAN, "", "DE89370400440532013000", []string{"DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000",
			"DE89\u202f3704\u202f0044\u202f0532\u202f0130\u202f00", "ＤＥ８９ ３７０４ ００４４ ０５３２ ０１３０ ００"}},
		{TypeUSSSN, "", "123456780", []string{"123\u201345\u20136780", "123\u221245\u22126780", "123\u00a045\u00a06780"}},
		{TypeCreditCard, "", "5555555555554444", []string{"5555\u00a05555\u00a05555\u00a04444", "5555\u20095555\u20095555\u20094444"}},
		{TypeEmail, "", "ann.smith@example.com", []string{"ann.smith＠example.com", "\u00a0ann.smith@example.com\u00a0"}},
		{TypeINAadhaar, "", "234123412346", []string{"2341\u00a02341\u00a02346", "2341\u20132341\u20132346"}},
		{TypeESDNI, "", "12345678Z", []string{"12345678\u2011Z", "12.345.678\u00a0Z"}},
		// A name or an address in any case, composed or not: one token.
		{TypePersonName, "", "anna müller", []string{"Anna Müller", "ANNA MÜLLER", "Anna Mu\u0308ller", "ANNA MU\u0308LLER", "Anna\u00a0Müller"}},
		{TypePostalAddress, "", "hauptstraße 5 10115 berlin", []string{"Hauptstraße 5, 10115 Berlin", "HAUPTSTRAßE 5, 10115 BERLIN"}},
	} {
		for _, f := range tc.forms {
			got, err := SubjectForms(tc.typ, f, tc.region)
			require.NoError(t, err, "%s %q", tc.typ, f)
			require.Equal(t, []string{tc.want}, got, "%s %q", tc.typ, f)
		}
	}
}

// A national number without a region is searched in every plan where it
// is valid: "030 12345678" is Berlin, and a UK, Italian and Indian number
// too (phoneRegions' order).
func TestPhoneFormsNationalWithoutRegion(t *testing.T) {
	got, err := PhoneForms("030 12345678", "")
	require.NoError(t, err)
	require.Equal(t, []string{"+443012345678", "+493012345678", "+3903012345678", "+913012345678"}, got)
}

func TestSubjectFormsInvalid(t *testing.T) {
	for _, tc := range []struct{ typ, value, region, why string }{
		{TypeIBAN, "DE89 3704 0044 0532 0130 01", "", "not a valid iban"},
		{TypeCreditCard, "4111 1111 1111 1112", "", "not a valid credit_card"},
		{TypeUSSSN, "666-45-6780", "", "not a valid us_ssn"},
		{TypePhoneNumber, "+49 1", "", "international"},
		{TypePhoneNumber, "12", "", "country code"},
		{TypePhoneNumber, "030 12345678", "XX", "ISO 3166"},
		{TypeEmail, "", "", "empty"},
		{TypeEmail, "a@example.com", "DE", "phone numbers only"},
		{"shoe_size", "42", "", "not a searchable type"},
	} {
		_, err := SubjectForms(tc.typ, tc.value, tc.region)
		require.ErrorContains(t, err, tc.why, "%s %q", tc.typ, tc.value)
		if tc.value != "" {
			require.NotContains(t, err.Error(), tc.value, "an error never repeats the value")
		}
	}
}

// An agent reads its host's national numbers in its host's plan.
func TestNewDefaultInRegion(t *testing.T) {
	var got []string
	NewDefaultIn("DE").Detect([]byte("Telefon: 030 12345678\n"), func(m Match) { got = append(got, string(m.Value)) })
	require.Equal(t, []string{"+493012345678"}, got)
	got = nil
	NewDefault().Detect([]byte("Tel: 030 12345678\n"), func(m Match) { got = append(got, string(m.Value)) })
	require.Equal(t, []string{"+443012345678"}, got, "phoneRegions' order reads it as a UK number")
	got = nil
	NewDefault().Detect([]byte("Telefon: 030 12345678\n"), func(m Match) { got = append(got, string(m.Value)) })
	require.Equal(t, []string{"+493012345678"}, got, "a German context word reads it in Germany's plan (langHint)")
	require.Equal(t, "DE", RegionFromLocale(func(k string) string { return map[string]string{"LANG": "de_DE.UTF-8"}[k] }))
	require.Equal(t, "FR", RegionFromLocale(func(k string) string { return map[string]string{"LC_ALL": "fr_FR@euro", "LANG": "de_DE"}[k] }))
	require.Equal(t, "", RegionFromLocale(func(k string) string { return map[string]string{"LANG": "C.UTF-8"}[k] }))
}

func FuzzSubjectForms(f *testing.F) {
	f.Add("phone_number", "030 12345678", "DE")
	f.Add("iban", "de89 3704 0044 0532 0130 00", "")
	f.Add("ip_address", "[::1]", "")
	f.Fuzz(func(t *testing.T, typ, value, region string) {
		forms, err := SubjectForms(typ, value, region)
		if err != nil {
			return
		}
		require.NotEmpty(t, forms)
		for _, v := range forms { // a normalized value normalizes to itself
			again, err := SubjectForms(typ, v, "")
			require.NoError(t, err, "%q", v)
			require.Equal(t, []string{v}, again)
		}
	})
}

// A name or an address in a file folds as a subject search does: in any
// case, composed or decomposed (macOS), it is one value, so one token.
func TestNamesFoldInFiles(t *testing.T) {
	for _, tc := range []struct{ typ, text, want string }{
		{TypePersonName, "full_name: ANNA MÜLLER\n", "anna müller"},
		{TypePersonName, "full_name: Anna Mu\u0308ller\n", "anna müller"},
		{TypePersonName, `{"full_name": "ÉLODIE LEFÈVRE"}`, "élodie lefèvre"},
		{TypePostalAddress, "address: HAUPTSTRAßE 5, 10115 BERLIN\n", "hauptstraße 5 10115 berlin"},
		{TypePersonName, "full_name: Anna Berg\n", "anna berg"},
	} {
		var got []string
		NewDefault().Detect([]byte(tc.text), func(m Match) {
			if m.Type == tc.typ {
				got = append(got, string(m.Value))
			}
		})
		require.Equal(t, []string{tc.want}, got, tc.text)
		forms, err := SubjectForms(tc.typ, tc.want, "")
		require.NoError(t, err)
		require.Equal(t, []string{tc.want}, forms)
	}
}
