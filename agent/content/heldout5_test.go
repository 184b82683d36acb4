package content

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/pii/evalcorpus"
)

// TestHeldOut5Files reads the fifth round's files (SEPA pain.001 and
// camt.053, MT940, bank CSVs in three locales, password-manager and
// browser exports, SQLite/phpMyAdmin/pg_dump dumps, payroll exports with
// local headers, HL7 CDA, dcmdump, discharge letters, nginx/CEF/LEEF/
// journald/CloudTrail/Kubernetes audit logs, decoys, an .xlsx with
// numbers and date serials and a .docx with tables) through the format
// readers and scores each type by its count per file.
func TestHeldOut5Files(t *testing.T) {
	scoreHeldOutFiles(t, evalcorpus.HeldOut5Files())
}

// TestRound5Readers checks the readers the fifth round added or changed,
// each with a counter-case: dcmdump listings, MT940 subfields, XML key
// and value elements side by side, HL7 v3 code systems and patient ids,
// ISO 20022 postal addresses, Word tables with a header row or a label
// column.
func TestRound5Readers(t *testing.T) {
	tests := []struct {
		name, file, data string
		want             map[string]int
	}{
		{"dcmdump by keyword, names by part", "ct.txt", "# Dicom-File-Format\n(0010,0010) PN [Mueller^Hans]                 #  12, 1 PatientName\n(0010,0030) DA [19580317]                      #   8, 1 PatientBirthDate\n(0010,0020) LO [PID-448213]                    #  10, 1 PatientID\n",
			map[string]int{"person_name": 2, "date_of_birth": 1, "health_record": 1}},
		{"dcmdump dates and UIDs of studies", "dump", "(0008,0020) DA [19580317]                      #   8, 1 StudyDate\n(0020,000d) UI [1.3.12.2.1107.5.1.4.10.1.192.168.14.27] #  44, 1 StudyInstanceUID\n(0008,0080) LO [Klinikum Nord]                 #  14, 1 InstitutionName\n",
			map[string]int{}},
		{"mt940 subfields glued to their codes", "auszug.sta", ":20:STARTUMS\n:86:166?00SEPA-GUTSCHRIFT?20SVWZ+Miete?30BKAUATWWXXX\n?31AT611904300234573201?32Hartmann, Jonas\n",
			map[string]int{"iban": 1}},
		{"mt940 references are not ids", "x.940", ":20:STARTUMS\n:86:105?20EREF+2026120200417?21MREF+MNDT-88213-2019?22CRED+DE98ZZZ09999999999\n", map[string]int{}},
		{"xml key and value elements", "kp.xml", "<Entry><String><Key>Password</Key><Value>Kp2!Root-Esx#2026</Value></String><String><Key>Title</Key><Value>Ops-Zugang!2026x</Value></String></Entry>",
			map[string]int{"password": 1}},
		{"hadoop property pairs", "hive-site.xml", "<configuration><property><name>javax.jdo.option.ConnectionPassword</name><value>H1ve!Meta-26</value></property><property><name>hive.server2.thrift.port</name><value>H1ve!Meta-27</value></property></configuration>",
			map[string]int{"password": 1}},
		{"cda icd-10 code and patient id", "ccd.xml", `<ClinicalDocument><recordTarget><patientRole><id root="2.16.840.1.113883.19.5" extension="MRN-0082741"/></patientRole></recordTarget><value code="I10" codeSystem="2.16.840.1.113883.6.90"/></ClinicalDocument>`,
			map[string]int{"health_record": 2}},
		{"cda loinc code and document id", "ccd.xml", `<ClinicalDocument><id root="2.16.840.1.113883.19.5" extension="TT988"/><code code="E11" codeSystem="2.16.840.1.113883.6.1"/></ClinicalDocument>`,
			map[string]int{}},
		{"iso 20022 postal address", "pain.xml", "<Cdtr><Nm>B</Nm><PstlAdr><StrtNm>Prinsengracht</StrtNm><BldgNb>263</BldgNb><PstCd>1016 GV</PstCd><TwnNm>Amsterdam</TwnNm><Ctry>NL</Ctry></PstlAdr></Cdtr>",
			map[string]int{"postal_address": 1}},
		{"iso 20022 address of a country alone", "pain.xml", "<Cdtr><PstlAdr><Ctry>NL</Ctry></PstlAdr></Cdtr>", map[string]int{}},
	}
	sc := NewScanner(options())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, readCounts(t, sc, tc.file, tc.data))
		})
	}
	docx := []struct {
		name string
		rows [][]string
		want map[string]int
	}{
		{"header row names the columns", [][]string{{"Voornaam", "Achternaam", "Geboortedatum"}, {"Sanne", "Jansen", "03-07-1985"}},
			map[string]int{"person_name": 2, "date_of_birth": 1}},
		{"label column names the values", [][]string{{"Geboortedatum", "21-11-1979"}, {"Telefoonnummer", "06 4829 1735"}},
			map[string]int{"date_of_birth": 1, "phone_number": 1}},
		{"dates under other columns", [][]string{{"Versie", "Datum"}, {"2.4.1", "03-07-1985"}}, map[string]int{}},
	}
	for _, tc := range docx {
		t.Run("docx "+tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, readCounts(t, sc, "t.docx", string(docxTable(t, tc.rows))))
		})
	}
}

// docxTable is a Word document holding one table.
func docxTable(t *testing.T, rows [][]string) []byte {
	var b strings.Builder
	b.WriteString(`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:tbl>`)
	for _, r := range rows {
		b.WriteString("<w:tr>")
		for _, c := range r {
			b.WriteString(`<w:tc><w:p><w:r><w:t>` + c + `</w:t></w:r></w:p></w:tc>`)
		}
		b.WriteString("</w:tr>")
	}
	b.WriteString(`</w:tbl></w:body></w:document>`)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range [][2]string{
		{"[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"word/document.xml", b.String()},
	} {
		w, err := zw.Create(f[0])
		require.NoError(t, err)
		_, err = w.Write([]byte(f[1]))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// FuzzRound5Readers reads arbitrary bytes as a dcmdump listing, an MT940
// statement and XML: no panic, no error, no partial result for a small
// input but XML's syntax error.
func FuzzRound5Readers(f *testing.F) {
	f.Add("# Dicom-File-Format\n(0010,0010) PN [a^b^^] # 4, 1 PatientName\n(0010,0030) DA [] #\n(0020,000d) UI [1.2]\n(0008,0005) CS [ISO_IR 100]")
	f.Add("(0010,0010) PN [x]")
	f.Add(":20:X\n:86:1?00a?2\n?31AT611904300234573201?\n:6")
	f.Add("<a><Key>Password</Key><Value>x</Value><PstlAdr><StrtNm>s 1</StrtNm></PstlAdr><id root=\"2.16.840.1.113883.4.1\" extension=\"1\"/></a>")
	sc := NewScanner(options())
	f.Fuzz(func(t *testing.T, data string) {
		for _, name := range []string{"f.sta", "f", "f.xml"} {
			ms, _, err := sc.Read(context.Background(), name, strings.NewReader(data), nil, int64(len(data)))
			require.NoError(t, err)
			for _, m := range ms {
				if name != "f.xml" || !strings.HasPrefix(m.Partial, "xml syntax error") {
					require.Empty(t, m.Partial)
				}
			}
		}
	})
}

// TestHeldOut5bFiles reads the check files written after the fifth
// round's fixes (pain.008, a Dutch MT940, four more password-manager
// exports, a Hadoop config, a German CDA, a second dcmdump, French and
// Spanish discharge letters, GCP/Azure/HAProxy logs, decoys, a workbook).
func TestHeldOut5bFiles(t *testing.T) {
	scoreHeldOutFiles(t, evalcorpus.HeldOut5bFiles())
}
