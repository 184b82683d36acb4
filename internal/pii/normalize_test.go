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
	NewDefault().Detect([]byte("Telefon: 030 12345678\n"), func(m Match) { got = append(got, string(m.Value)) })
	require.Equal(t, []string{"+443012345678"}, got, "phoneRegions' order reads it as a UK number")
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
