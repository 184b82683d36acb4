package content

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/pii/evalcorpus"
)

// TestHTMLDefinitionsAndLinks: a definition list's dt labels its own dd
// only, in six languages, beside a dd whose label names an order number;
// th/td tables as people write them; phone numbers in sms:, callto: and
// WhatsApp links, percent-escaped or not.
func TestHTMLDefinitionsAndLinks(t *testing.T) {
	tests := []struct {
		name, file, data string
		want             map[string]int
	}{
		{"dl, English", "p.html", "<dl><dt>Phone</dt><dd>030 1234567</dd><dt>E-mail</dt><dd>anna@example.de</dd><dt>Order</dt><dd>0301234568</dd></dl>",
			map[string]int{"phone_number": 1, "email": 1}},
		{"dl, German, label after an order number", "p.html", "<dl>\n <dt>Kundennummer</dt>\n <dd>0301234568</dd>\n <dt>Telefon:</dt>\n <dd>030 1234567</dd>\n</dl>",
			map[string]int{"phone_number": 1}},
		{"dl, French", "p.html", "<dl><dt>N° de commande</dt><dd>01 23 45 67 90</dd><dt>Téléphone</dt><dd>01 23 45 67 89</dd></dl>",
			map[string]int{"phone_number": 1}},
		{"dl, Spanish", "p.html", "<dl><dt>Número de pedido</dt><dd>912 345 679</dd><dt>Teléfono</dt><dd>912 345 678</dd></dl>",
			map[string]int{"phone_number": 1}},
		{"dl, Italian", "p.html", "<dl><dt>Numero d'ordine</dt><dd>06 1234 5679</dd><dt>Telefono</dt><dd>06 1234 5678</dd></dl>",
			map[string]int{"phone_number": 1}},
		{"dl, Dutch, two dd under one dt", "p.html", "<dl><dt>Ordernummer</dt><dd>020 123 4568</dd><dt>Telefoon</dt><dd>020 123 4567</dd><dd>010 123 4567</dd></dl>",
			map[string]int{"phone_number": 2}},
		{"dl, a birth date under its label only", "p.html", "<dl><dt>Geburtsdatum</dt><dd>14.05.1961</dd><dt>Rechnungsdatum</dt><dd>14.05.2026</dd></dl>",
			map[string]int{"date_of_birth": 1}},
		{"dl inside a table cell is the cell's text", "p.html", "<table><tr><td><dl><dt>Telefon</dt><dd>030 1234567</dd></dl></td></tr></table>",
			map[string]int{"phone_number": 1}},
		{"th/td table, German header row", "p.html", "<table><tr><th>Name</th><th>Telefon</th><th>Bestellnr</th></tr><tr><td>Anna Schmidt</td><td>030 1234567</td><td>0301234568</td></tr></table>",
			map[string]int{"phone_number": 1}},
		{"td labels ending in a colon, bold td labels", "p.html", `<table><tr><td>Name:</td><td>Anna Schmidt</td></tr><tr><td>Telefon:</td><td>030 1234567</td></tr>
<tr><td>Kundennummer:</td><td>0301234568</td></tr><tr><td><b>Geburtsdatum</b></td><td>14.05.1961</td></tr><tr><td><strong>Rechnungsdatum</strong></td><td>14.05.2026</td></tr></table>`,
			map[string]int{"phone_number": 1, "date_of_birth": 1}},
		{"a first row of bold names is a header", "p.html", `<table><tr><td><b>Name</b></td><td><b>Phone</b></td><td><b>Order</b></td></tr>
<tr><td>Jonas</td><td>020 7946 0958</td><td>02079460959</td></tr><tr><td><b>Total</b></td><td>1</td><td>02079460960</td></tr></table>`,
			map[string]int{"phone_number": 1}},
		{"th td th td", "p.html", `<table><tr><th scope="row">Teléfono</th><td>912 345 678</td><th scope="row">Pedido</th><td>912 345 679</td></tr></table>`,
			map[string]int{"phone_number": 1}},
		{"a bold value is no label", "p.html", `<table><tr><td>Telefon:</td><td><b>030 1234567</b></td></tr></table>`,
			map[string]int{"phone_number": 1}},
		{"th/td rows, French", "p.html", "<table><tr><th>Téléphone</th><td>01 23 45 67 89</td></tr><tr><th>Commande</th><td>0123456790</td></tr></table>",
			map[string]int{"phone_number": 1}},
		{"JSON-LD is read as JSON, other scripts are not", "p.html", `<html><head><script type="application/ld+json">
{"@context":"https://schema.org","@type":"Person","telephone":"030 1234567","email":"anna.schmidt@example.de","identifier":"0301234568"}
</script><script type="application/ld+json">{"broken": "a@example.org", </script><script>var x = "bob@example.com";</script></head><body><p>x</p></body></html>`,
			map[string]int{"phone_number": 1, "email": 2}},
		{"JSON-LD that is not JSON is read as text, after its error too", "p.html", `<html><head><script type="application/ld+json">
{"@type":"Person" "email":"carl.meyer@example.net","telephone":"030 7654321"}
</script><script type="application/ld+json">{"email":"dora@example.org"}{"email":"eve@example.org"}</script></head><body><p>x</p></body></html>`,
			map[string]int{"phone_number": 1, "email": 3}},
		{"microdata and form fields", "p.html", `<div itemscope itemtype="https://schema.org/Person"><span itemprop="telephone">030 7654321</span>
<meta itemprop="birthDate" content="1978-04-12"><span itemprop="identifier">0307654322</span><span itemprop="foundingDate">2001-01-01</span>
<div itemprop="address" itemscope><span itemprop="streetAddress">Hauptstr. 1</span></div></div>
<form><input type="tel" name="telefon" value="030 1234567"><input name="bestellnr" value="0301234568"><img src="x.png" itemprop="image">24.12.1990</form>`,
			map[string]int{"phone_number": 2, "date_of_birth": 1, "postal_address": 1}},
		{"links", "p.html", `<a href="sms:+4915123456789?body=Hallo">SMS</a> <a href="callto://+4930123456">Skype</a>` +
			`<a href="tel:+49%2030%201234567">anrufen</a> <a href="https://wa.me/491701234567">WhatsApp</a>` +
			`<a href="https://api.whatsapp.com/send?phone=33612345678">chat</a> <a href="https://example.com/item/491701234568">item</a>` +
			`<a href="https://t.me/+447911123456">Telegram</a> <a href="https://t.me/+AbCdEfGh12">group</a>`,
			map[string]int{"phone_number": 6}},
	}
	sc := NewScanner(options())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, readCounts(t, sc, tc.file, tc.data))
		})
	}
}

// TestRecall17Files reads the seventeenth issue's recall check files
// (internal/pii/evalcorpus/recall17.go) through the format readers:
// precision and recall 0.97 per type.
func TestRecall17Files(t *testing.T) {
	scoreHeldOutFiles(t, evalcorpus.Recall17Files())
}

// TestHTMLItemLeftOpen: an itemprop element left open hands its label to
// no more than a value's length of what follows.
func TestHTMLItemLeftOpen(t *testing.T) {
	sc := NewScanner(options())
	require.Equal(t, map[string]int{}, readCounts(t, sc, "p.html",
		`<p itemprop="telephone">see below<p>`+strings.Repeat("Lorem ipsum dolor sit amet. ", 30)+`<p>Order 0301234568</p>`))
	require.Equal(t, map[string]int{"phone_number": 1}, readCounts(t, sc, "p.html",
		`<div><dl><dt>Telefon</dt><dd>030 1234567</div>`+strings.Repeat("<p>Lorem ipsum dolor sit amet.</p>\n", 200)+`<p>Order 0301234568</p>`))
	require.Equal(t, map[string]int{"phone_number": 1}, readCounts(t, sc, "p.html",
		`<span itemprop="telephone">030 1234567<br>`+strings.Repeat("Lorem ipsum dolor sit amet. ", 30)+` 0301234568</div>`))
}
