package pii

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// National ids written with dots and phone numbers whose area code is set
// off by " / " or " - ", in free text; decoys of the same shapes.
func TestDottedIDsAndSpacedAreaCodes(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"BSN: 1112.22.333", []string{"nl_bsn=111222333"}},
		{"burgerservicenummer 1234.56.782 bekend", []string{"nl_bsn=123456782"}},
		{"bsn 1112.22.334", nil},     // fails the 11-test
		{"version 1112.22.333", nil}, // no BSN context
		{"BSN: 1112.22.333.4", nil},  // a longer dotted number
		{"DNI: 48.273.615-L", []string{"es_dni=48273615L"}},
		{"dni 48.273.615 L", []string{"es_dni=48273615L"}},
		{"ref 48.273.615-A", nil},  // wrong control letter
		{"v12.345.678-Z", nil},     // glued to a word
		{"DNI 48.273.615-LX", nil}, // the letter glued to more
		{"Tel. 030 / 90182734", []string{"phone_number"}},
		{"Telefon: 089 - 12345678", []string{"phone_number"}},
		{"items 10 - 20", nil},
		{"budget 2024 / 2025", nil},
	} {
		var got []string
		NewDefault().Detect([]byte(tc.text), func(m Match) {
			if m.Type == TypePhoneNumber {
				got = append(got, m.Type)
				return
			}
			got = append(got, m.Type+"="+string(m.Value))
		})
		require.Equal(t, tc.want, got, tc.text)
		require.Equal(t, detectEach([]byte(tc.text)), collect([]byte(tc.text)), "the block pass agrees: %s", tc.text)
	}
}

// An IPv4 address as a URL's host is an address (a word boundary before
// it); a version after a slash is not.
func TestIPAsURLHost(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"spring.datasource.url=jdbc:postgresql://10.20.30.40:5432/shop", []string{"10.20.30.40"}},
		{"GET http://192.168.1.7/admin", []string{"192.168.1.7"}},
		{"see https://example.com/v1.2.3.4/docs", nil},
		{"file:///srv/10.0.0.1.csv", nil},
	} {
		var got []string
		NewDefault().Detect([]byte(tc.text), func(m Match) {
			if m.Type == TypeIPAddress {
				got = append(got, string(m.Value))
			}
		})
		require.Equal(t, tc.want, got, tc.text)
		require.Equal(t, detectEach([]byte(tc.text)), collect([]byte(tc.text)), tc.text)
	}
}

// An address is one token however its parts are punctuated, so subject
// search finds it as a person writes it.
func TestAddressTokenIgnoresPunctuation(t *testing.T) {
	stored := ""
	NewDefault().Detect([]byte("address: 221B Baker Street, London NW1 6XE\n"), func(m Match) {
		if m.Type == TypePostalAddress {
			stored = string(m.Value)
		}
	})
	require.Equal(t, "221b baker street london nw1 6xe", stored)
	for _, stated := range []string{"221B Baker Street, London NW1 6XE", "221b baker street london nw1 6xe", "221B Baker Street; London, NW1 6XE."} {
		forms, err := SubjectForms(TypePostalAddress, stated, "")
		require.NoError(t, err, stated)
		require.Equal(t, []string{stored}, forms, stated)
	}
}
