package content

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/extract/docgen"
	"github.com/sightline-dev/sightline/internal/pii/evalcorpus"
)

// TestHeldOut6Files reads the sixth round's files (Hibernate, redis and
// Cisco configs, a shell history, an auth log, SOAP, a plist, a LaTeX CV,
// an AD Export-Csv, a fixed-width export, an OCR'd passport with its MRZ,
// a ConfigMap embedding .properties, TOML, tables inside JSON,
// SpreadsheetML, letters in six languages, an .odt, an .ods, a compressed
// PDF, Latin-1 and BOM CSVs, a multipart e-mail with a CSV attachment)
// through the format readers and scores each type by its count per file.
// Before the round's fixes: P 0.953 R 0.654 over 246 values; after: P 1.0
// R 0.980 over 248 (heldout6.go). Left then, below 0.97: postal_address
// (13 of 16: "wohnhaft in", "Mijn nieuwe adres is", "My address is"
// start with letters the pass does not look at) and it_fiscal_code (2 of
// 3: one in lower case in prose). After the residence phrases found from
// the postcode back and lower-case codes after "fiscale" (recall7.go):
// every type P 1.0 R 1.0, so the default floor of 0.97 holds for all.
func TestHeldOut6Files(t *testing.T) {
	scoreHeldOutFiles(t, evalcorpus.HeldOut6Files())
}

// TestRound6Readers checks the readers the sixth round added or changed,
// each with a counter-case: OpenDocument text and spreadsheets, PDF
// labels and values drawn apart, PowerShell's #TYPE line, Windows-1252
// CSV, tables inside JSON, SpreadsheetML, property lists, attachments,
// fixed-width tables, directive configs, LaTeX CV macros, two-column
// Word tables.
func TestRound6Readers(t *testing.T) {
	const odtMime, odsMime = "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet"
	cell := func(v string) string {
		return `<table:table-cell office:value-type="string"><text:p>` + v + `</text:p></table:table-cell>`
	}
	row := func(cells ...string) string {
		return `<table:table-row>` + strings.Join(cells, "") + `</table:table-row>`
	}
	odtTable := func(rows ...string) string {
		return `<office:text><text:p>Vertrag</text:p><table:table table:name="T">` + strings.Join(rows, "") + `</table:table></office:text>`
	}
	tests := []struct {
		name, file string
		data       []byte
		want       map[string]int
	}{
		{"odt form table, first row a name", "v.odt", evalcorpus.ODFFile(odtMime, odtTable(row(cell("Nachname"), cell("Schulte")),
			row(cell("Vorname"), cell("Katharina")), row(cell("Geburtsdatum"), cell("23.06.1991")))),
			map[string]int{"person_name": 2, "date_of_birth": 1}},
		{"odt header table of names", "v.odt", evalcorpus.ODFFile(odtMime, odtTable(row(cell("Nachname"), cell("Ort")),
			row(cell("Schulte"), cell("Hamburg")), row(cell("Berger"), cell("Köln")))),
			map[string]int{"person_name": 2}},
		{"odt paragraph with a span", "v.odt", evalcorpus.ODFFile(odtMime, `<office:text><text:p>E-Mail: <text:span>k.schulte@mailbox-example.de</text:span></text:p></office:text>`),
			map[string]int{"email": 1}},
		{"ods dates, floats and repeated cells", "s.ods", evalcorpus.ODFFile(odsMime, `<office:spreadsheet><table:table table:name="S">`+
			row(`<table:table-cell table:number-columns-repeated="2"/>`, cell("Cognome"), cell("Data di nascita"), cell("Cellulare"))+
			row(`<table:table-cell table:number-columns-repeated="2"/>`, cell("Rossi"), `<table:table-cell office:value-type="date" office:date-value="1985-12-10"><text:p>10/12/85</text:p></table:table-cell>`,
				`<table:table-cell office:value-type="float" office:value="3478291046"><text:p>3478291046</text:p></table:table-cell>`)+
			`</table:table></office:spreadsheet>`),
			map[string]int{"person_name": 1, "date_of_birth": 1, "phone_number": 1}},
		{"ods dates under other columns", "s.ods", evalcorpus.ODFFile(odsMime, `<office:spreadsheet><table:table table:name="S">`+
			row(cell("Artikel"), cell("Lieferdatum"))+row(cell("Filter"), `<table:table-cell office:value-type="date" office:date-value="1985-12-10"><text:p>10/12/85</text:p></table:table-cell>`)+
			`</table:table></office:spreadsheet>`), map[string]int{}},
		{"pdf labels and values drawn apart", "a.pdf", evalcorpus.FormPDF([][2]string{{"Date de naissance :", "14/02/1979"}, {"Nom de famille :", "MARTIN"}}),
			map[string]int{"date_of_birth": 1, "person_name": 1}},
		{"pdf lines drawn apart stay apart", "a.pdf", evalcorpus.FormPDF([][2]string{{"Date de naissance :", ""}, {"Facture du 14/02/1979", ""}}),
			map[string]int{}},
		{"powershell #TYPE line", "u.csv", []byte("#TYPE Selected.Microsoft.ActiveDirectory.Management.ADUser\n\"GivenName\",\"Surname\",\"Enabled\"\n\"Sophie\",\"Wagner\",\"True\"\n"),
			map[string]int{"person_name": 2}},
		{"a #TYPE cell further down is data", "u.csv", []byte("Surname,Note\nWagner,#TYPE x\n"), map[string]int{"person_name": 1}},
		{"windows-1252 csv header", "c.csv", []byte("Nom de famille;Pr\xe9nom;T\xe9l\xe9phone\nLef\xe8vre;H\xe9l\xe8ne;01 45 78 32 19\n"),
			map[string]int{"person_name": 2, "phone_number": 1}},
		{"pandas split json", "p.json", []byte(`{"columns":["first_name","date_of_birth"],"index":[0],"data":[["Elif","1975-06-02"]]}`),
			map[string]int{"person_name": 1, "date_of_birth": 1}},
		{"array of rows under a row of names", "v.json", []byte(`{"values":[["Nachname","Geburtsdatum"],["Brandl","17.10.1986"]]}`),
			map[string]int{"person_name": 1, "date_of_birth": 1}},
		{"array of number rows has no names", "m.json", []byte(`{"matrix":[[1,2],["Brandl","17.10.1986"]]}`), map[string]int{}},
		{"spreadsheetml header row", "b.xml", []byte(`<Workbook><Worksheet><Table><Row><Cell><Data>Nachname</Data></Cell><Cell><Data>Steuer-ID</Data></Cell></Row>` +
			`<Row><Cell><Data>Hartmann</Data></Cell><Cell><Data>58301729562</Data></Cell></Row></Table></Worksheet></Workbook>`),
			map[string]int{"person_name": 1}},
		{"spreadsheetml skipped cells keep their column", "b.xml", []byte(`<Workbook><Worksheet><Table><Row><Cell><Data>Nr</Data></Cell><Cell><Data>Ort</Data></Cell><Cell><Data>Nachname</Data></Cell></Row>` +
			`<Row><Cell ss:Index="3"><Data>Hartmann</Data></Cell></Row><Row><Cell><Data>Hartmann</Data></Cell></Row></Table></Worksheet></Workbook>`),
			map[string]int{"person_name": 1}},
		{"plist key names its value", "a.plist", []byte(`<plist><dict><key>AccountPassword</key><string>Pl!st-Mail_2026</string><key>CFBundleVersion</key><string>Pl!st-Mail_2027</string></dict></plist>`),
			map[string]int{"password": 1}},
		{"fixed-width table", "m.txt", []byte("ID      LAST-NAME   BIRTH-DT    PLAN\n0001    JOHNSON     1962-08-14  PPO\n0002    NAKAMURA    1979-11-03  HMO\nRECORDS: 2\n"),
			map[string]int{"person_name": 2, "date_of_birth": 2}},
		{"prose with double spaces is no table", "n.txt", []byte("Note  written  by hand.\nJohnson  1962-08-14  fine\nNakamura  1979-11-03  ok\n"), map[string]int{}},
		{"directive config", "redis.conf", []byte("# requirepass foobared\nrequirepass R3dis!Cache-Prod#26\nmaxmemory 2gb\nbind 10.40.2.30\n"),
			map[string]int{"password": 1, "ip_address": 1}},
		{"directive with two values is text", "x.conf", []byte("requirepass a b\n"), map[string]int{}},
		{"ios clear and reversible passwords", "r1-confg", []byte("enable secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQ\nusername backup privilege 5 password 0 Bkp!Sw1tch-2026\nusername ops password 7 0822455D0A16544541\n"),
			map[string]int{"password": 2}},
		{"ios hashed secrets and prompts", "running-config", []byte("enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0\nservice password-encryption\npassword\n"), map[string]int{}},
		{"ods title row above the header", "s.ods", evalcorpus.ODFFile(odsMime, `<office:spreadsheet><table:table table:name="S">`+
			row(cell("Mitgliederliste 2026"))+row(cell("Nachname"), cell("Vorname"))+row(cell("Brandl"), cell("Lukas"))+`</table:table></office:spreadsheet>`),
			map[string]int{"person_name": 2}},
		{"ods one-column table keeps its header", "s.ods", evalcorpus.ODFFile(odsMime, `<office:spreadsheet><table:table table:name="S">`+
			row(cell("Nachname"))+row(cell("Brandl"))+row(cell("Berger"))+`</table:table></office:spreadsheet>`),
			map[string]int{"person_name": 2}},
		{"xlsx title row above the header", "t.xlsx", xlsxOf(t, [][]string{{"Mitgliederliste 2026"}, {}, {"Nachname", "Vorname"}, {"Brandl", "Lukas"}}),
			map[string]int{"person_name": 2}},
		{"spreadsheetml title row above the header", "b.xml", []byte(`<Workbook><Worksheet><Table><Row><Cell><Data>Liste 2026</Data></Cell></Row>` +
			`<Row><Cell><Data>Nachname</Data></Cell><Cell><Data>Ort</Data></Cell></Row><Row><Cell><Data>Hartmann</Data></Cell><Cell><Data>Köln</Data></Cell></Row></Table></Worksheet></Workbook>`),
			map[string]int{"person_name": 1}},
		{"fixed-width report after a blank line, under an underline", "r.lst", []byte("\nLAST_NAME   FIRST_NAME  DATE_OF_BIRTH\n----------  ----------  -------------\nOkafor      Chidi       1991-10-02\nLindqvist   Maja        1984-06-21\n\n2 rows selected.\n"),
			map[string]int{"person_name": 4, "date_of_birth": 2}},
		{"directive of several words", "sentinel.conf", []byte("sentinel monitor mymaster 10.40.2.30 6379 2\nsentinel auth-pass mymaster S3nt!nel-Auth26\n"),
			map[string]int{"ip_address": 1, "password": 1}},
		{"nginx upstream is no password", "site.conf", []byte("location / {\n    proxy_pass http://10.40.3.12:8080;\n}\n"), map[string]int{"ip_address": 1}},
		{"latex cv macros", "cv.tex", []byte("\\name{Lucía}{Romero Castillo}\n\\address{Calle de Fuencarral 45}{28004 Madrid}{España}\n\\phone[mobile]{+34~612~48~39~57}\n"),
			map[string]int{"person_name": 2, "postal_address": 1, "phone_number": 1}},
		{"latex macro definitions", "cv.sty", []byte("\\name{#1}{#2}\n\\address{}\n\\section{Phone}\n\\phone{\\faPhone}\n"), map[string]int{}},
	}
	sc := NewScanner(options())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, readCounts(t, sc, tc.file, string(tc.data)))
		})
	}
	docx := []struct {
		name string
		rows [][]string
		want map[string]int
	}{
		{"form whose first value is a name", [][]string{{"Nachname", "Schulte"}, {"Vorname", "Katharina"}, {"Geburtsdatum", "23.06.1991"}},
			map[string]int{"person_name": 2, "date_of_birth": 1}},
		{"header over names and numbers", [][]string{{"Nachname", "Telefon"}, {"Schulte", "0171 9283746"}, {"Berger", "0152 28461937"}},
			map[string]int{"person_name": 2, "phone_number": 2}},
	}
	for _, tc := range docx {
		t.Run("docx "+tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, readCounts(t, sc, "t.docx", string(docxTable(t, tc.rows))))
		})
	}
}

// TestMailAttachments reads a message's attached CSV as a table, keeps a
// plain-text attachment in the message's text, and skips an image.
func TestMailAttachments(t *testing.T) {
	csv := "Apellidos;DNI;Fecha de nacimiento\r\nGarcía López;" + "71928364G;12/03/1979\r\n"
	mail := "From: rrhh@empresa-example.es\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nAdjunto.\r\n" +
		"--b1\r\nContent-Type: text/csv; name=\"e.csv\"\r\nContent-Disposition: attachment; filename=\"empleados.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte(csv)) + "\r\n" +
		"--b1\r\nContent-Type: text/plain; name=\"notes.txt\"\r\nContent-Disposition: attachment; filename=\"notes.txt\"\r\n\r\nmail me: ana@empresa-example.es\r\n" +
		"--b1\r\nContent-Type: image/png; name=\"logo.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte("ana.garcia@empresa-example.es")) + "\r\n--b1--\r\n"
	sc := NewScanner(options())
	ms, _, err := sc.Read(context.Background(), "n.eml", strings.NewReader(mail), nil, int64(len(mail)))
	require.NoError(t, err)
	got := map[string]map[string]int{}
	for _, m := range ms {
		require.Empty(t, m.Partial)
		for _, r := range m.Results {
			if got[m.Name] == nil {
				got[m.Name] = map[string]int{}
			}
			got[m.Name][r.Type] += int(r.Count)
		}
	}
	require.Equal(t, map[string]map[string]int{
		"":              {"email": 2},
		"empleados.csv": {"person_name": 1, "es_dni": 1, "date_of_birth": 1},
	}, got)
}

// FuzzRound6Readers reads arbitrary bytes as a fixed-width table, a
// directive config, JSON, SpreadsheetML/plist XML and a message with
// attachments: no panic, no error, no partial result for a small input
// but a JSON or XML document's syntax error or end.
func FuzzRound6Readers(f *testing.F) {
	f.Add("ID      LAST-NAME   BIRTH-DT\n0001    JOHNSON     1962-08-14\n0002    X\n")
	f.Add("requirepass 'a'\nbind \"\n")
	f.Add(`{"columns":["a","b"],"data":[["x",1],[[]]],"values":[["a"],["b","c"]]}`)
	f.Add(`<Table><Row><Cell ss:Index="99999999"><Data>a</Data></Cell></Row><Row><Cell><Data>b</Data></Cell></Row></Table><dict><key>k</key><string>v</string></dict>`)
	f.Add("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Disposition: attachment; filename=\"../a.csv\"\nContent-Transfer-Encoding: base64\n\nYSxi\n--b--\n")
	sc := NewScanner(options())
	f.Fuzz(func(t *testing.T, data string) {
		for _, name := range []string{"f.txt", "f.conf", "f.json", "f.xml", "f.eml", "f.tex", "f-confg"} {
			ms, _, err := sc.Read(context.Background(), name, strings.NewReader(data), nil, int64(len(data)))
			require.NoError(t, err)
			for _, m := range ms {
				if strings.HasPrefix(m.Partial, "xml") || strings.HasPrefix(m.Partial, "json") {
					// A syntax error or a truncated document, of the
					// format or of an attachment's.
					require.Contains(t, []string{"f.xml", "f.json", "f.eml"}, name)
					continue
				}
				require.Empty(t, m.Partial)
			}
		}
	})
}

// TestHeldOut6bFiles reads the check files written after the sixth
// round's fixes (a Calc and an Excel 2003 sheet with title rows, an .odt
// letter, a PDF drawn with Td, a mail with an .xlsx and a PDF attached,
// a semicolon Export-Csv, a Log Analytics result, a SQL*Plus report, redis
// sentinel and nginx configs, an awesome-cv résumé, residence phrases in
// other forms).
func TestHeldOut6bFiles(t *testing.T) {
	scoreHeldOutFiles(t, evalcorpus.HeldOut6bFiles())
}

// xlsxOf is a workbook of one sheet of rows.
func xlsxOf(t *testing.T, rows [][]string) []byte {
	var b bytes.Buffer
	require.NoError(t, docgen.WriteXLSX(&b, map[string][][]string{"S": rows}))
	return b.Bytes()
}
