package pii

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// values17 returns what Detect finds in text as type:value, and holds the
// vector pass to the byte-at-a-time one on text itself and on text after
// a line of prose long enough that the value falls in a 64-byte block.
func values17(t *testing.T, text string) []string {
	t.Helper()
	var out []string
	for _, m := range collect([]byte(text)) {
		out = append(out, m.Type+":"+string(m.Value))
	}
	require.Equal(t, detectEach([]byte(text)), collect([]byte(text)), "%q", text)
	for _, pad := range []int{61, 64, 70, 100} {
		long := []byte(strings.Repeat("lorem ipsum ", 12)[:pad] + "\n" + text)
		require.Equal(t, detectEach(long), collect(long), "%q", long)
		var got []string
		for _, m := range collect(long) {
			got = append(got, m.Type+":"+string(m.Value))
		}
		require.Equal(t, out, got, "%q after %d bytes", text, pad)
	}
	return out
}

// TestIPv4AfterSlash: Java's InetSocketAddress (host/10.1.2.3:5432,
// /10.1.2.3:5432) and the other ways logs print an address with its
// port; versions, OIDs and paths stay no address.
func TestIPv4AfterSlash(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"WARN HikariPool-1 - Connection to /10.1.2.3:5432 refused", "10.1.2.3"},
		{"Connected to db01.internal/192.168.0.7:8080.", "192.168.0.7"},
		{"Connection from /203.0.113.9:51234 closed", "203.0.113.9"},
		{"java.net.ConnectException: Connection refused: localhost/127.0.0.1:8080", "127.0.0.1"},
		{"peer=/10.20.30.40:443,", "10.20.30.40"},
		{"Accepted publickey for root from [10.1.2.4]:22", "10.1.2.4"},
		{"upstream: 10.1.2.5:80, next", "10.1.2.5"},
		{"Connected to 10.1.2.6:8080.", "10.1.2.6"},
		{"listen [2001:db8::1]:443;", "2001:db8::1"},
		{"[id: 0x1a2b3c4d, L:/10.0.0.1:8080 - R:/203.0.113.9:51234] READ", "10.0.0.1 ip_address:203.0.113.9"},
		{"Node 1 disconnected, /10.1.2.3:9092 (id: 1 rack: null)", "10.1.2.3"},
		{"grpc: peer ipv4:10.1.2.8:50051 closed", "10.1.2.8"},
		{"user@host/10.1.2.12:22", "10.1.2.12"},
	} {
		require.Equal(t, strings.Fields("ip_address:"+tc.want), values17(t, tc.text), tc.text)
	}
	for _, text := range []string{
		"GET /releases/1.2.3.4/app.tar.gz HTTP/1.1",
		"see /docs/1.2.3.4 for details",
		"version 1.2.3.4 and v1.2.3.5",
		"oid 1.3.6.1.4.1.311:12 and /1.3.6.1.4.1:3",
		"/10.300.2.1:80 is no address",
		"a/b/1.2.3:80 and /1.2.3.4.5:80 and /1.2.3.4567:80",
		"Firmware 2.14.0.11 build 10.1.2",
		"ipv4:10.300.2.1:80 and xipv4:10.1.2.3",
		"path /data/2026.12.04.1:80",
		"time 12:00:01.123:45",
	} {
		require.Empty(t, values17(t, text), text)
	}
}

// TestPhoneHint: a national number valid in more than one plan is read in
// the plan of the country its record names, or of another number there
// written internationally; without context it is still no number.
func TestPhoneHint(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"Adresse : 12 rue de la Paix, 75002 Paris, France\nPortable : 06 12 34 56 78\n", "+33612345678"},
		{"Portable : 06 12 34 56 78 (France)", "+33612345678"},
		{"Client à Lyon, FRANCE.\nTél : 06 12 34 56 78", "+33612345678"},
		{"Mobile: +33 7 81 23 45 67\nPortable : 06 12 34 56 78", "+33612345678"},
		{"Anschrift: Hauptstr. 1, 10115 Berlin, Deutschland\nTelefon: 0612 345678", "+49612345678"},
		{"Telefon: 0612 345678", "+49612345678"}, // phoneRegions' order, no hint
		{"Wohnort: Wien, Österreich\nTelefon: 01 5134567", "+4315134567"},
	} {
		got := values17(t, tc.text)
		require.Contains(t, got, "phone_number:"+tc.want, tc.text)
	}
	// The hint stops at a blank line and at another vCard.
	require.Equal(t, []string{"phone_number:+49612345678"},
		values17(t, "Adresse: Paris, France\n\nTelefon: 0612 345678"))
	require.Equal(t, []string{"phone_number:+49612345678"},
		values17(t, "BEGIN:VCARD\nADR:;;1 rue X;Paris;;75002;France\nEND:VCARD\nBEGIN:VCARD\nTEL:0612 345678\nEND:VCARD\n"))
	// A list of one record a line: another line's country is another
	// record's.
	require.Equal(t, []string{"phone_number:+33123456789", "phone_number:+49612345678"},
		values17(t, "Jean Dupont, Paris, France, Tél 01 23 45 67 89\nAnna Schmidt, Berlin, Tel 0612 345678\n"))
	// A country gives no context: an order number stays one.
	require.Empty(t, values17(t, "Commande 0612345678 expédiée en France"))
	require.Empty(t, values17(t, "Bestellung 0301234567, Lieferung nach Deutschland"))
	require.Equal(t, "FR", phoneHint([]byte("75002 Paris, France, tel 06"), 25))
	require.Equal(t, "DE", phoneHint([]byte("fax +49 30 1234567, tel 06"), 25))
	require.Equal(t, "", phoneHint([]byte("+1 day, 20 % off, tel 06"), 23))
	require.Equal(t, "", phoneHint([]byte("Frances Hall, tel 06"), 19))
}

// TestPhoneLinks: numbers in tel:, sms:, callto: and WhatsApp links are
// found and validated like any other; a link's digits that are no valid
// number, or a URL that is no chat link, stay none.
func TestPhoneLinks(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`<a href="https://wa.me/491701234567">WhatsApp</a>`, "+491701234567"},
		{"Schreib mir: https://wa.me/491701234567?text=Hallo", "+491701234567"},
		{"https://api.whatsapp.com/send?phone=33612345678&text=Bonjour", "+33612345678"},
		{"https://api.whatsapp.com/send/?text=hi&phone=%2B33612345678", "+33612345678"},
		{"whatsapp://send?phone=447911123456", "+447911123456"},
		{"call tel:+44-20-7946-0958 today", "+442079460958"},
		{"UK office: tel:020 7946 0958", "+442079460958"},
		{`<a href="tel:+49%2030%201234567">`, "+49301234567"},
		{`<a href="TEL:%2B1%20212%20555%200123">`, "+12125550123"},
		{`<a href="sms:+4915123456789?body=Hallo">`, "+4915123456789"},
		{`<a href="callto://+4930123456">`, "+4930123456"},
		{`<a href="callto:+31201234567">`, "+31201234567"},
		{"skype:+4930123456?call", "+4930123456"},
		{"Telegram: https://t.me/+491701234567", "+491701234567"},
		{"https://signal.me/#p/+491701234567", "+491701234567"},
		{"viber://chat?number=%2B491701234567", "+491701234567"},
	} {
		require.Equal(t, []string{"phone_number:" + tc.want}, values17(t, tc.text), tc.text)
	}
	for _, text := range []string{
		"https://wa.me/123456789012",                      // no valid number
		"https://example.com/item/491701234567",           // no chat link
		"https://wa.me/message/491701234567X",             // a message link's id
		"tel:+49%2030%2012",                               // too short
		"https://api.whatsapp.com/send?text=491701234567", // no phone parameter
		"hotel:+49%2030%201234567",                        // no scheme
		"https://t.me/+AbCdEf491701234567",                // an invite
		"https://t.me/491701234567",                       // a name, no '+'
		"https://example.com/send?phone=491701234567",     // not WhatsApp's host
	} {
		require.Empty(t, values17(t, text), text)
	}
}

// TestPhoneLangHint: with no plan configured and no country in the
// record, the language of the context word picks the plan of a number
// valid in several.
func TestPhoneLangHint(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"Tél : 06 12 34 56 78", "+33612345678"},
		{"Téléphone: 07 81 23 45 67", "+33781234567"},
		{"Telefoon: 020 123 4567", "+31201234567"},
		{"Telefono: 06 1234 5678", "+390612345678"},
		{"Telefon: 0612 345678", "+49612345678"},
		{"Tel.: 030 1234567", "+49301234567"},
	} {
		require.Equal(t, []string{"phone_number:" + tc.want}, values17(t, tc.text), tc.text)
	}
	// A configured plan comes before the language's.
	var got []string
	NewDefaultIn("DE").Detect([]byte("Tél : 06 12 34 56 78"), func(m Match) { got = append(got, string(m.Value)) })
	require.Equal(t, []string{"+49612345678"}, got)
	require.Equal(t, "", langHint([]byte("Hotel 06"), 6))
	require.Equal(t, "DE", langHint([]byte("Telefon\n06"), 8), "a label line above")
	require.Equal(t, "", langHint([]byte("Telefon\nRef 06"), 12), "the number does not start its line")
	require.Equal(t, "", langHint([]byte("Telefon\n\n06"), 9), "one line above only")
}

// TestPhoneFieldForms: a column named msisdn holds international numbers
// without their '+'; a phone column's name lends its language's plan; a
// phone column's digits that no plan reads, nationally or as an
// international number, stay none.
func TestPhoneFieldForms(t *testing.T) {
	d := NewDefault().(FieldDetector)
	field := func(name, value string) []string {
		var out []string
		d.DetectField([]byte(name), []byte(value), func(m Match) { out = append(out, m.Type+":"+string(m.Value)) })
		return out
	}
	require.Equal(t, []string{"phone_number:+491701234567"}, field("msisdn", "491701234567"))
	require.Equal(t, []string{"phone_number:+447911123456"}, field("MSISDN", "447911123456"))
	require.Equal(t, []string{"phone_number:+33612345678"}, field("subscriber_msisdn", "33612345678"))
	require.Equal(t, []string{"phone_number:+447911123456"}, field("phone", "447911123456"))
	require.Equal(t, []string{"phone_number:+3933612345678"}, field("phone", "33612345678"), "a national reading comes first")
	require.Equal(t, []string{"phone_number:+33612345678"}, field("Téléphone", "06 12 34 56 78"))
	require.Equal(t, []string{"phone_number:+31201234567"}, field("Telefoon", "020 123 4567"))
	require.Equal(t, []string{"phone_number:+49612345678"}, field("Phone", "06 12 34 56 78"))
	require.Empty(t, field("msisdn", "999999999999"))
	require.Empty(t, field("phone", "000000000000"))
	require.Empty(t, field("imsi", "262011234567890"))
	require.Empty(t, field("order_id", "491701234567"))
	require.Equal(t, []string{"phone_number:+492214711235"}, field("Durchwahl", "0221 4711235"))
	require.Empty(t, values17(t, "Durchwahl 0221 4711235"), "a field word only")
	// A phone column's number that passes Luhn is no card.
	require.Equal(t, []string{"phone_number:+4915112345678"}, field("phone", "4915112345678"))
	require.Equal(t, []string{"credit_card:4915112345678"}, field("account", "4915112345678"))
}

// TestPhoneLabelLine: a number that starts its line takes phone context
// from a line above that is a phone label alone (a form's text from a PDF
// or a page); a longer line, another label or a number after the label
// gives none.
func TestPhoneLabelLine(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"Telefon:\n030 1234567\n", "+49301234567"},
		{"Telefon\n  030 1234567", "+49301234567"},
		{"Mobile phone:\r\n+44 7911 123456", "+447911123456"},
		{"Tél.\n06 12 34 56 78", "+33612345678"},
		{"Name\nAnna Schmidt\nTelefon\n030 1234567\nKundennummer\n0301234568\n", "+49301234567"},
	} {
		require.Equal(t, []string{"phone_number:" + tc.want}, values17(t, tc.text), tc.text)
	}
	for _, text := range []string{
		"Telefon: 030 1\n0301234567",
		"Bestellnummer:\n0301234567",
		"Telefon und Fax bitte an die Zentrale senden, danke\n030 1234567",
		"Telefon\nRef 0301234567",
		"Telefon\n\n0301234567",
		"Hotel\n0301234567",
	} {
		require.Empty(t, values17(t, text), text)
	}
}

// TestBirthLabelLine: a birth label alone on its line lends its context
// to a date that starts the next line; a label in a sentence, another
// date label or a blank line between does not.
func TestBirthLabelLine(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"Geburtsdatum:\n14.05.1961\n", "1961-05-14"},
		{"Date of birth\n  1978-04-12", "1978-04-12"},
		{"Fecha de nacimiento:\r\n21/06/1984", "1984-06-21"},
	} {
		require.Equal(t, []string{"date_of_birth:" + tc.want}, values17(t, tc.text), tc.text)
	}
	for _, text := range []string{
		"Rechnungsdatum:\n14.05.2026",
		"Geburtsdatum bitte angeben, danke sehr und so weiter und so fort\n01.01.2000",
		"Geburtsdatum:\n\n14.05.1961",
		"Geburtsdatum: 12\n14.05.1961",
		"Geburtsdatum:\nRef 14.05.1961",
	} {
		require.Empty(t, values17(t, text), text)
	}
}
