package evalcorpus

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// HeldOut5Files returns the fifth corpus's files for the format readers:
// the labelled documents of heldout5.go with their counts per type, and
// office files built here — a workbook whose sheets have Spanish, Italian
// and Dutch headers and keep phones, BSNs and a card as numbers and
// birth dates as date-formatted serials (as Excel stores what people type
// into it), and a Word letter with a header-row table and a field/value
// table.
func HeldOut5Files() []HeldOutFile {
	v := h5Values()
	out := h5Files(h5FileDocs, v)
	xb, err := h5Workbook(v)
	if err != nil {
		panic(err)
	}
	out = append(out, HeldOutFile{"personal_eu.xlsx", xb, map[string]int{
		"person_name": 2 + 2 + 4, "es_dni": 2, "date_of_birth": 6, "phone_number": 6,
		"email": 2, "iban": 3, "it_fiscal_code": 2, "postal_address": 2, "nl_bsn": 2, "credit_card": 1}})
	out = append(out, HeldOutFile{"verklaring.docx", h5Docx(v), map[string]int{
		"person_name": 2, "date_of_birth": 2, "nl_bsn": 1, "iban": 1, "email": 1, "phone_number": 1}})
	return out
}

// h5Files builds labelled documents as files counted per type.
func h5Files(docs []hoDoc, v map[string]string) []HeldOutFile {
	var out []HeldOutFile
	for _, d := range hoBuild(docs, v) {
		want := map[string]int{}
		for k, n := range d.Want {
			want[k.Type] += n
		}
		out = append(out, HeldOutFile{d.Name, d.Text, want})
	}
	return out
}

// h5Workbook writes three sheets; numbers are numbers and dates are
// serials with a date format, not text.
func h5Workbook(v map[string]string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		return nil, err
	}
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	var bsnA, bsnB int
	fmt.Sscan(v["bsnA"], &bsnA)
	fmt.Sscan(v["bsnB"], &bsnB)
	// Excel keeps 15 significant digits of a number: a 16-digit card
	// typed into a cell is stored with its last digit 0 (not a card); a
	// 15-digit Amex is kept whole.
	var card, amex float64
	fmt.Sscan(v["visaPlain"][:15]+"0", &card)
	fmt.Sscan(v["amexPlain"], &amex)
	sheets := []struct {
		name string
		rows [][]any
	}{
		// Spanish: a bare "Nombre" is not counted (heldout5.go), the
		// phone lost nothing (Spanish numbers have no trunk 0).
		{"Empleados", [][]any{
			{"Apellidos", "Nombre", "DNI", "Fecha de nacimiento", "Teléfono", "Correo electrónico", "IBAN"},
			{"Navarro Gil", "Marta", v["dniB"], day(1984, 6, 21), 634829175, "marta.navarro@correo-example.es", v["ibanES"]},
			{"Okafor", "Chidi", v["nieZ"], day(1991, 10, 2), 699184273, "chidi.okafor@correo-example.es", v["ibanESg"]},
		}},
		// Italian: mobile numbers as numbers.
		{"Clienti", [][]any{
			{"Cognome", "Nome", "Codice fiscale", "Data di nascita", "Cellulare", "Indirizzo"},
			{"Bianchi", "Luca", v["cfA"], day(1982, 3, 15), 3472184493, "Via Paolo Sarpi 14, 20154 Milano"},
			{"Ferrari", "Giulia", v["cfB"], day(1990, 5, 15), 3389127465, "Corso Vittorio Emanuele II 82, 10121 Torino"},
		}},
		// Dutch: the mobile number lost its leading 0, the BSN is a
		// number, card numbers typed into cells became numbers.
		{"Klanten", [][]any{
			{"Voornaam", "Achternaam", "Geboortedatum", "BSN", "Telefoon", "Rekeningnummer", "Creditcard"},
			{"Sanne", "Jansen", day(1985, 7, 3), bsnA, 648291735, v["ibanNL2"], card},
			{"Daan", "Bakker", day(1979, 11, 21), bsnB, 102847193, "", amex},
		}},
	}
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.name); err != nil {
				return nil, err
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			return nil, err
		}
		for r, row := range s.rows {
			for c, val := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if err := f.SetCellValue(s.name, cell, val); err != nil {
					return nil, err
				}
				if _, ok := val.(time.Time); ok {
					if err := f.SetCellStyle(s.name, cell, cell, dateStyle); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	var b bytes.Buffer
	err = f.Write(&b)
	return b.Bytes(), err
}

// h5Docx is a Word declaration: a paragraph, a table with a header row
// and one with a label and a value in each row, as forms are laid out.
func h5Docx(v map[string]string) []byte {
	p := func(s string) string {
		return `<w:p><w:r><w:t xml:space="preserve">` + s + `</w:t></w:r></w:p>`
	}
	tc := func(s string) string {
		return `<w:tc><w:tcPr><w:tcW w:w="2400" w:type="dxa"/></w:tcPr>` + p(s) + `</w:tc>`
	}
	tr := func(cells ...string) string {
		var b strings.Builder
		b.WriteString("<w:tr>")
		for _, c := range cells {
			b.WriteString(tc(c))
		}
		b.WriteString("</w:tr>")
		return b.String()
	}
	body := p("Verklaring van de werknemer") +
		p("Hierbij verklaar ik dat de onderstaande gegevens juist zijn. Vragen: personeelszaken@werkgever-example.nl") +
		`<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/></w:tblPr>` +
		tr("Voornaam", "Achternaam", "Geboortedatum", "BSN") +
		tr("Sanne", "Jansen", "03-07-1985", v["bsnA"]) +
		`</w:tbl>` + p("") +
		`<w:tbl>` +
		tr("Geboortedatum partner", "21-11-1979") +
		tr("Rekeningnummer", hoGroup4(v["ibanNL"], " ")) +
		tr("Telefoonnummer", "06 4829 1735") +
		tr("Versie formulier", "2.4.1") +
		`</w:tbl>` + p("Datum: 03-12-2026")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	files := [][2]string{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body + `</w:body></w:document>`},
	}
	for _, fl := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: fl[0], Method: zip.Deflate, Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			panic(err)
		}
		_, _ = w.Write([]byte(fl[1]))
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
