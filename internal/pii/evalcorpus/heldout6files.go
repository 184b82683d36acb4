package evalcorpus

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"

	"github.com/sightline-dev/sightline/internal/extract/docgen"
)

// HeldOut6Files returns the sixth corpus's files for the format readers:
// the labelled documents of heldout6.go with their counts per type, and
// files built here as their producers write them — an OpenDocument text
// (LibreOffice: a letter with a field/value table), an OpenDocument
// spreadsheet (typed cells: floats, dates as office:date-value, repeated
// empty cells), a PDF whose page stream is Flate-compressed and whose
// lines are TJ arrays with kerning (as Word and LibreOffice write them),
// a French CSV in Latin-1, a German CSV in UTF-8 with a BOM and CRLF line
// ends, and a multipart e-mail with a base64 CSV attachment.
func HeldOut6Files() []HeldOutFile {
	v := h6Values()
	out := h5Files(h6FileDocs, v)
	out = append(out,
		HeldOutFile{"arbeitsvertrag.odt", h6ODT(v), map[string]int{
			"person_name": 2, "date_of_birth": 1, "de_tax_id": 1, "iban": 1, "postal_address": 1, "phone_number": 1, "email": 1}},
		HeldOutFile{"soci.ods", h6ODS(v), map[string]int{
			"person_name": 2, "it_fiscal_code": 2, "date_of_birth": 2, "phone_number": 2, "email": 2, "iban": 2}},
		HeldOutFile{"attestation.pdf", h6PDF(v), map[string]int{
			"fr_nir": 1, "date_of_birth": 1, "iban": 1, "email": 1, "phone_number": 1, "postal_address": 1, "person_name": 1}},
		HeldOutFile{"clients_latin1.csv", h6Latin1(v), map[string]int{
			"person_name": 4, "date_of_birth": 2, "phone_number": 2, "fr_nir": 2, "postal_address": 2, "email": 2}},
		HeldOutFile{"export_bom.csv", h6BOM(v), map[string]int{
			"person_name": 4, "date_of_birth": 2, "de_tax_id": 2, "iban": 2, "phone_number": 2}},
		HeldOutFile{"nominas.eml", h6Mail(v), map[string]int{
			// the envelope's two addresses, the body's phone, and per
			// attachment row: Apellidos (a bare Nombre is not counted),
			// the DNI/NIE, the birth date, the IBAN, the e-mail.
			"email": 2 + 2, "phone_number": 1, "person_name": 2, "es_dni": 2, "date_of_birth": 2, "iban": 2}},
	)
	return out
}

// h6Zip writes files into a zip archive, the first one stored (as ODF's
// mimetype must be).
func h6Zip(files [][2]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i, f := range files {
		h := &zip.FileHeader{Name: f[0], Method: zip.Deflate}
		if i == 0 {
			h.Method = zip.Store
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			panic(err)
		}
		if _, err := w.Write([]byte(f[1])); err != nil {
			panic(err)
		}
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

const h6ODFNS = `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" office:version="1.3"`

// ODFFile is an OpenDocument file of type mime whose content.xml body
// (inside office:body) is body, as LibreOffice packs it.
func ODFFile(mime, body string) []byte {
	return h6Zip([][2]string{
		{"mimetype", mime},
		{"META-INF/manifest.xml", `<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="` + mime + `"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>`},
		{"content.xml", `<?xml version="1.0" encoding="UTF-8"?><office:document-content ` + h6ODFNS + `><office:body>` + body + `</office:body></office:document-content>`},
		{"meta.xml", `<?xml version="1.0" encoding="UTF-8"?><office:document-meta ` + h6ODFNS + `><office:meta><meta:generator xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0">LibreOffice/7.6.4.1$Linux_X86_64</meta:generator></office:meta></office:document-meta>`},
	})
}

// h6ODT is a German employment contract: prose with a spans-split
// paragraph, and a two-column field/value table.
func h6ODT(v map[string]string) []byte {
	row := func(k, val string) string {
		return `<table:table-row><table:table-cell office:value-type="string"><text:p>` + k + `</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>` + val + `</text:p></table:table-cell></table:table-row>`
	}
	body := `<office:text>` +
		`<text:h text:outline-level="1">Arbeitsvertrag</text:h>` +
		`<text:p text:style-name="P1">Zwischen der Muster Logistik GmbH, Hafenstraße 3, 20457 Hamburg (Arbeitgeber) und der unten genannten Person (Arbeitnehmerin) wird folgender Vertrag geschlossen.</text:p>` +
		`<text:p>Vertragsbeginn: <text:span text:style-name="T1">01.02.2027</text:span>, Probezeit 6 Monate, Vertragsnummer AV-2026-0417.</text:p>` +
		`<table:table table:name="Angaben"><table:table-column table:number-columns-repeated="2"/>` +
		row("Nachname", "Schulte") + row("Vorname", "Katharina") +
		row("Geburtsdatum", "23.06.1991") +
		row("Anschrift", "Rosenweg 8, 22769 Hamburg") +
		row("Telefon", "040 <text:s/>3829 1746") +
		row("E-Mail", "k.schulte@mailbox-example.de") +
		row("Steuerliche Identifikationsnummer", v["taxB"]) +
		row("IBAN", v["ibanDE"]) +
		row("Personalnummer", "100482") +
		`</table:table>` +
		`<text:p>Hamburg, den 03.12.2026</text:p></office:text>`
	return ODFFile("application/vnd.oasis.opendocument.text", body)
}

// h6ODS is an Italian member list: typed cells, dates as
// office:date-value, a mobile number as a float, repeated empty cells.
func h6ODS(v map[string]string) []byte {
	s := func(t string) string {
		return `<table:table-cell office:value-type="string"><text:p>` + t + `</text:p></table:table-cell>`
	}
	d := func(iso, shown string) string {
		return `<table:table-cell office:value-type="date" office:date-value="` + iso + `"><text:p>` + shown + `</text:p></table:table-cell>`
	}
	f := func(n string) string {
		return `<table:table-cell office:value-type="float" office:value="` + n + `"><text:p>` + n + `</text:p></table:table-cell>`
	}
	empty := `<table:table-cell table:number-columns-repeated="2"/>`
	body := `<office:spreadsheet><table:table table:name="Soci">` +
		`<table:table-row>` + s("Cognome") + s("Nome") + s("Codice fiscale") + s("Data di nascita") + s("Cellulare") + s("Email") + s("IBAN") + empty + `</table:table-row>` +
		`<table:table-row>` + s("Rossi") + s("Marco") + s(v["cf"]) + d("1985-12-10", "10/12/85") + f("3478291046") + s("marco.rossi@soci-example.it") + s(v["ibanIT"]) + empty + `</table:table-row>` +
		`<table:table-row>` + s("Verdi") + s("Laura") + s(v["cfB"]) + d("1992-08-01", "01/08/92") + f("3391827364") + s("laura.verdi@soci-example.it") + s(v["ibanBE"]) + empty + `</table:table-row>` +
		`<table:table-row table:number-rows-repeated="1048573"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>` +
		`</table:table></office:spreadsheet>`
	return ODFFile("application/vnd.oasis.opendocument.spreadsheet", body)
}

// h6PDF is a French attestation as a word processor exports it.
func h6PDF(v map[string]string) []byte {
	return FormPDF([][2]string{
		{"ATTESTATION DE DROITS", ""},
		{"Nom :", "MARTIN"},
		{"Prénom :", "Élodie"},
		{"Date de naissance :", "14/02/1979"},
		{"N° de sécurité sociale :", v["nirB"]},
		{"Adresse :", "7 avenue Jean Jaurès, 31000 Toulouse"},
		{"Téléphone :", "05 61 48 27 93"},
		{"Courriel :", "elodie.martin@free-example.fr"},
		{"IBAN :", v["ibanFRg"]},
		{"Fait à Toulouse, le 03/12/2026. Document n° 2026-11-48213, page 1/1.", ""},
	})
}

// FormPDF is a one-page PDF as Word and LibreOffice export a form: one
// Flate-compressed content stream, each label and its value drawn as
// separate text objects on one baseline, each a TJ array with kerning
// adjustments; text in WinAnsi (Latin-1).
func FormPDF(lines [][2]string) []byte {
	// tj splits a line into kerned runs as Word does.
	tj := func(s string) string {
		var parts []string
		for len(s) > 7 {
			parts = append(parts, "("+h6PDFEsc(s[:7])+")")
			parts = append(parts, "-3")
			s = s[7:]
		}
		parts = append(parts, "("+h6PDFEsc(s)+")")
		return "[" + strings.Join(parts, "") + "] TJ"
	}
	var c strings.Builder
	y := 780
	for _, l := range lines {
		fmt.Fprintf(&c, "BT\n/F1 10 Tf\n1 0 0 1 56.7 %d Tm\n%s\nET\n", y, tj(docgen.WinAnsi(l[0])))
		if l[1] != "" {
			fmt.Fprintf(&c, "BT\n/F1 10 Tf\n1 0 0 1 200.2 %d Tm\n%s\nET\n", y, tj(docgen.WinAnsi(l[1])))
		}
		y -= 18
	}
	return pdfWithStream(c.String())
}

// pdfWithStream is a one-page PDF whose page is content, Flate-compressed,
// with a WinAnsi TrueType font F1.
func pdfWithStream(content string) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(content))
	zw.Close()

	return docgen.PDFFile("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
		"<< /Type /Font /Subtype /TrueType /BaseFont /ABCDEE+Calibri /FirstChar 32 /LastChar 255 /Encoding /WinAnsiEncoding >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.32 841.92] /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
		fmt.Sprintf("<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", z.Len(), z.String()),
	})
}

func h6PDFEsc(s string) string {
	return strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(s)
}

// h6Latin1 is a French CRM export saved as "CSV (séparateur: point-
// virgule)" in Windows-1252: accented header names are single bytes.
func h6Latin1(v map[string]string) []byte {
	s := "Nom de famille;Prénom;Date de naissance;Téléphone;N° de sécurité sociale;Adresse postale;Courriel;Chiffre d'affaires\r\n" +
		"Lefèvre;Hélène;03/09/1975;01 45 78 32 19;" + v["nirA"] + ";12 rue de la Roquette, 75011 Paris;helene.lefevre@wanadoo-example.fr;1 250,50\r\n" +
		"Moreau;Jérôme;27/01/1988;06 19 48 27 36;" + v["nirB"] + ";5 place Bellecour, 69002 Lyon;jerome.moreau@sfr-example.fr;980,00\r\n"
	return []byte(docgen.WinAnsi(s))
}

// h6BOM is a German payroll export saved by Excel as "CSV UTF-8": a BOM,
// quoted header names, ';', CRLF.
func h6BOM(v map[string]string) []byte {
	s := "\ufeff\"Nachname\";\"Vorname\";\"Geburtsdatum\";\"Steuer-ID\";\"IBAN\";\"Telefon privat\";\"Brutto\"\r\n" +
		"\"Schulte\";\"Katharina\";\"23.06.1991\";\"" + v["taxB"] + "\";\"" + v["ibanDE"] + "\";\"040 38291746\";\"3.850,00\"\r\n" +
		"\"Hartmann\";\"Ute\";\"09.03.1971\";\"" + v["taxA"] + "\";\"" + v["ibanDEg"] + "\";\"0221 9384712\";\"4.120,50\"\r\n"
	return []byte(s)
}

// h6Mail is a Spanish HR e-mail: a plain-text body and a base64 CSV
// attachment (Apellidos;Nombre;DNI/NIE;…).
func h6Mail(v map[string]string) []byte {
	csvText := "Apellidos;Nombre;DNI/NIE;Fecha de nacimiento;IBAN;Correo electrónico;Salario bruto\r\n" +
		"García López;Ana;" + v["dniB"] + ";12/03/1979;" + v["ibanES"] + ";ana.garcia@empresa-example.es;2.450,00\r\n" +
		"Okoye;Chinedu;" + v["nie"] + ";30/09/1991;" + v["ibanESg"] + ";chinedu.okoye@empresa-example.es;2.180,00\r\n"
	return []byte("From: \"Recursos Humanos\" <rrhh@empresa-example.es>\r\n" +
		"To: gestoria@asesoria-example.es\r\n" +
		"Subject: =?UTF-8?Q?N=C3=B3minas_noviembre?=\r\n" +
		"Date: Thu, 3 Dec 2026 09:41:12 +0100\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"----=_Part_4417_1102.1733215272\"\r\n\r\n" +
		"This is a multi-part message in MIME format.\r\n" +
		"------=_Part_4417_1102.1733215272\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n" +
		"Buenos días:\r\nAdjunto el fichero de empleados de noviembre. Cualquier duda, teléfono 912 48 37 16.\r\nUn saludo\r\n\r\n" +
		"------=_Part_4417_1102.1733215272\r\n" +
		"Content-Type: text/csv; charset=UTF-8; name=\"empleados_11.csv\"\r\n" +
		"Content-Disposition: attachment; filename=\"empleados_11.csv\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" +
		strings.ReplaceAll(hoB64Wrap(csvText), "\n", "\r\n") + "\r\n" +
		"------=_Part_4417_1102.1733215272--\r\n")
}
