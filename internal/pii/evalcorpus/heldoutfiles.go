package evalcorpus

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/sightline-dev/sightline/internal/extract/docgen"
)

// HeldOutFile is a held-out structured file (CSV, TSV, JSON, NDJSON, XML)
// as applications export them, and how many values of each type it holds.
type HeldOutFile struct {
	Name string
	Data []byte
	Want map[string]int
}

// hoPerson is one made-up person of the held-out tables.
type hoPerson struct {
	first, last, mail, street, city, dob string
	tax, nir, dni, cf, bsn, iban         string
}

func hoPeople() []hoPerson {
	bsns := []string{}
	for _, b := range []string{"30217845", "51738294", "21436587", "17263548", "60718293"} {
		if v, ok := hoBSN(b); ok {
			bsns = append(bsns, v)
		}
	}
	return []hoPerson{
		{"Jürgen", "Weiß", "j.weiss", "Lindenweg 12", "Köln", "14.07.1983", hoSteuerID("8652147935"), hoNIR("1830775115042"),
			"48273615" + hoDNILetter(48273615), hoFiscalCode("WSSJGN83L14H501"), bsns[0], hoIBAN("DE", "500105175407324931")},
		{"Anne-Sophie", "Lefèvre", "as.lefevre", "Bahnhofstr. 3a", "München", "02.01.1990", hoSteuerID("4719283546"), hoNIR("2900169388017"),
			"30715826" + hoDNILetter(30715826), hoFiscalCode("LFVNSP90A42F205"), bsns[1], hoIBAN("DE", "120300000012345678")},
		{"Mehmet", "Yılmaz", "m.yilmaz", "Am Markt 7", "Hamburg", "30.11.1975", hoSteuerID("5830291748"), hoNIR("1751113055123"),
			"71640293" + hoDNILetter(71640293), hoFiscalCode("YLMMMT75S30D969"), bsns[2], hoIBAN("DE", "370400440532013000")},
	}
}

// HeldOutFiles returns the held-out structured files.
func HeldOutFiles() []HeldOutFile {
	ps := hoPeople()
	n := len(ps)
	var out []HeldOutFile

	// An HR export saved by Excel in the German locale: BOM, "sep=;"
	// line, quoted fields, CRLF, decimal commas, dates as DD.MM.YYYY.
	var b strings.Builder
	b.WriteString("\ufeffsep=;\r\n")
	b.WriteString(`"Personalnummer";"Anrede";"Vorname";"Nachname";"Geburtsdatum";"Straße";"PLZ";"Ort";"Telefon";"Mobil";"E-Mail";"Steuer-ID";"IBAN";"Gehalt (EUR)";"Eintrittsdatum";"Abteilung"` + "\r\n")
	phones := []string{"030 90182734", "(089) 4132 7780", "040/3861 2200"}
	mobiles := []string{"0151 27384950", "0171-4829301", "+49 160 93847261"}
	for i, p := range ps {
		fmt.Fprintf(&b, `"%d";"Herr";"%s";"%s";"%s";"%s";"%05d";"%s";"%s";"%s";"%s";"%s";"%s";"%s";"01.04.2015";"Vertrieb"`+"\r\n",
			100234+i, p.first, p.last, p.dob, p.street, 50667+i*1000, p.city, phones[i], mobiles[i],
			p.mail+"@firma-beispiel.de",
			p.tax[:2]+" "+p.tax[2:5]+" "+p.tax[5:8]+" "+p.tax[8:], hoGroup4(p.iban, " "), fmt.Sprintf("%d.%03d,%02d", 3+i, 250*i, 0))
	}
	hr := map[string]int{"person_name": 2 * n, "date_of_birth": n, "postal_address": n, "phone_number": 2 * n, "email": n,
		"de_tax_id": n, "iban": n}
	out = append(out, HeldOutFile{"personal_export.csv", []byte(b.String()), hr})
	// The same sheet saved as .xlsx: its header row is the columns' context.
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeffsep=;\r\n")))
	cr.Comma = ';'
	rows, err := cr.ReadAll()
	if err != nil {
		panic(err) // the table above is fixed
	}
	var xb bytes.Buffer
	if err := docgen.WriteXLSX(&xb, map[string][][]string{"Personal": rows}); err != nil {
		panic(err)
	}
	out = append(out, HeldOutFile{"personal_export.xlsx", xb.Bytes(), hr})

	// A French CRM's customer export as pretty-printed JSON.
	b.Reset()
	b.WriteString("{\n  \"export\": {\"date\": \"2026-12-03T10:14:22Z\", \"version\": \"4.2.1\", \"count\": 3},\n  \"clients\": [\n")
	tels := []string{"06 12 34 56 78", "+33 1 42 68 53 00", "04.78.12.34.56"}
	for i, p := range ps {
		sep := ","
		if i == n-1 {
			sep = ""
		}
		fmt.Fprintf(&b, `    {"id": %d, "civilite": "Mme", "prenom": %q, "nomDeFamille": %q, "email": "%s@exemple.fr",
     "telephone": %q, "dateDeNaissance": "%s", "adresse": "%s, %05d %s",
     "numeroSecu": %q, "iban": %q, "commande": "CMD-2024-%06d", "montantTTC": %d.90, "creeLe": "2024-03-%02dT10:14:22Z"}%s
`, 1042+i, p.first, p.last, p.mail, tels[i], strings.ReplaceAll(p.dob, ".", "/"),
			p.street, 69003+i, p.city, p.nir[:1]+" "+p.nir[1:3]+" "+p.nir[3:5]+" "+p.nir[5:7]+" "+p.nir[7:10]+" "+p.nir[10:13]+" "+p.nir[13:],
			strings.ReplaceAll(hoGroup4(hoIBAN("FR", fmt.Sprintf("3000600001123456789%02d89", i)), " "), "  ", " "), 123+i, 99+i, 12+i, sep)
	}
	b.WriteString("  ]\n}\n")
	out = append(out, HeldOutFile{"clients.json", []byte(b.String()), map[string]int{
		"person_name": 2 * n, "email": n, "phone_number": n, "date_of_birth": n, "postal_address": n, "fr_nir": n, "iban": n}})

	// A Spanish contact list as XML, attributes and elements.
	b.Reset()
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<clientes exportado=\"2026-12-03\">\n")
	moviles := []string{"612 34 56 78", "655-123-456", "+34 699 88 77 66"}
	for i, p := range ps {
		fmt.Fprintf(&b, "  <cliente id=\"%d\" pedido=\"2024-%06d\">\n    <nombre>%s</nombre>\n    <apellidos>%s</apellidos>\n"+
			"    <dni>%s</dni>\n    <movil>%s</movil>\n    <correo>%s@ejemplo.es</correo>\n"+
			"    <fecha_nacimiento>%s</fecha_nacimiento>\n    <direccion>Calle Mayor %d, 3º B, 2801%d Madrid</direccion>\n"+
			"    <importe>1.234,%02d</importe>\n  </cliente>\n",
			7001+i, 451+i, p.first, p.last, p.dni, moviles[i], p.mail, strings.ReplaceAll(p.dob, ".", "/"), 15+i, i, 56+i)
	}
	b.WriteString("</clientes>\n")
	out = append(out, HeldOutFile{"clientes.xml", []byte(b.String()), map[string]int{
		"person_name": n, "es_dni": n, "phone_number": n, "email": n, "date_of_birth": n, "postal_address": n}})

	// An Italian clinic's comma-separated patient list.
	b.Reset()
	b.WriteString("codice_fiscale,cognome,nome,data_nascita,diagnosi,telefono,indirizzo,reparto,importo\n")
	diag := []string{"E11.9", "J45.909", "I10"}
	itTel := []string{"06 1234 5678", "347 123 4567", "+39 02 8765 4321"}
	for i, p := range ps {
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,\"Via Roma %d, 2012%d Milano\",B%d,\"1.299,00\"\n",
			p.cf, p.last, p.first, strings.ReplaceAll(p.dob, ".", "/"), diag[i], itTel[i], 10+i, i, 12+i)
	}
	out = append(out, HeldOutFile{"pazienti.csv", []byte(b.String()), map[string]int{
		"it_fiscal_code": n, "person_name": n, "date_of_birth": n, "health_record": n, "phone_number": n, "postal_address": n}})

	// A Dutch payroll TSV.
	b.Reset()
	b.WriteString("personeelsnummer\tvoornaam\tachternaam\tgeboortedatum\tbsn\tmobiel\tiban\tpostcode\twoonplaats\tsalaris\n")
	nlMob := []string{"06-12345678", "06 8765 4321", "+31 6 11223344"}
	for i, p := range ps {
		fmt.Fprintf(&b, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t10%d5 CJ\tAmsterdam\t3.250,00\n",
			4711+i, p.first, p.last, strings.ReplaceAll(p.dob, ".", "-"), p.bsn, nlMob[i], hoGroup4(hoIBAN("NL", fmt.Sprintf("RABO01234567%02d", 10+i)), " "), i)
	}
	out = append(out, HeldOutFile{"salaris.tsv", []byte(b.String()), map[string]int{
		"person_name": 2 * n, "date_of_birth": n, "nl_bsn": n, "phone_number": n, "iban": n}})

	// An ERP's customer master with abbreviated German headers.
	b.Reset()
	b.WriteString("KdNr;Name1;Str./Hausnr.;PLZ;Ort;Land;GebDat;Tel.;Handy;E-Mail;Umsatz;Bonität\n")
	for i, p := range ps {
		fmt.Fprintf(&b, "%d;%s %s;%s;%05d;%s;DE;%s;%s;%s;%s@example.de;%d.%03d,50;%d\n", 20031+i, p.first, p.last, p.street,
			50667+i, p.city, p.dob, phones[i], mobiles[i], p.mail, 12+i, 345, 250+i)
	}
	out = append(out, HeldOutFile{"kundenstamm.csv", []byte(b.String()), map[string]int{
		"postal_address": n, "date_of_birth": n, "phone_number": 2 * n, "email": n}})

	// A US CRM export, comma-separated with quoted fields.
	b.Reset()
	b.WriteString("First Name,Last Name,SSN,Date of Birth,Phone,Email,Street Address,City,State,Zip,Account Number,Balance,Created\n")
	ssns := []string{"536-22-1487", "212-67-4409", "401-38-2216"}
	usPhones := []string{"(415) 867-5309", "212.555.0147", "+1 646-555-3890"}
	usDob := []string{"07/04/1965", "12/25/1980", "3/9/1972"}
	for i, p := range ps {
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s@example.com,\"%d Main St, Apt %d\",Springfield,IL,6270%d,%010d,\"$1,%03d.50\",2024-03-%02d 10:14:22\n",
			p.first, p.last, ssns[i], usDob[i], usPhones[i], p.mail, 100+i, 2+i, i, 4711000+i, 299+i, 12+i)
	}
	out = append(out, HeldOutFile{"crm_export.csv", []byte(b.String()), map[string]int{
		"person_name": 2 * n, "us_ssn": n, "date_of_birth": n, "phone_number": n, "email": n, "postal_address": n}})

	// The HR sheet saved by Excel as "Text (Tab delimited)" (.txt) and as
	// "Unicode Text" (UTF-16 with a BOM, tabs): a table by its content.
	var tsv strings.Builder
	for _, row := range rows {
		tsv.WriteString(strings.Join(row, "\t") + "\r\n")
	}
	out = append(out, HeldOutFile{"personal_export.txt", []byte(tsv.String()), hr})
	u := utf16.Encode([]rune(tsv.String()))
	u16 := []byte{0xff, 0xfe}
	for _, c := range u {
		u16 = append(u16, byte(c), byte(c>>8))
	}
	out = append(out, HeldOutFile{"personal_unicode.txt", u16, hr})

	// An API's nested customer objects: generic keys (number, date, code)
	// under keys that name them (phoneNumbers, birth, diagnoses).
	b.Reset()
	b.WriteString("{\"customers\": [\n")
	for i, p := range ps {
		sep := ","
		if i == n-1 {
			sep = ""
		}
		fmt.Fprintf(&b, `  {"id": %d, "firstName": %q, "lastName": %q,
   "phoneNumbers": [{"type": "mobile", "number": %q}, {"type": "home", "number": %q}],
   "address": {"street": %q, "postalCode": "%05d", "city": %q, "country": "DE"},
   "birth": {"date": "%s", "place": %q},
   "diagnoses": [{"system": "ICD-10-GM", "code": %q, "text": "Befund"}],
   "order": {"id": "%s", "total": 129.9, "created": "2024-03-12T10:14:22Z"}}%s
`, 4711+i, p.first, p.last, mobiles[i], phones[i], p.street, 50667+i, p.city, strings.ReplaceAll(p.dob, ".", "-"), p.city,
			diag[i], hoBadLuhn(fmt.Sprintf("45471042193618%d", i)), sep)
	}
	b.WriteString("]}\n")
	out = append(out, HeldOutFile{"customers_api.json", []byte(b.String()), map[string]int{
		"person_name": 2 * n, "phone_number": 2 * n, "postal_address": n, "date_of_birth": n, "health_record": n}})

	// The same as XML: elements inside elements, and attributes.
	b.Reset()
	b.WriteString("<customers>\n")
	for i, p := range ps {
		fmt.Fprintf(&b, "  <customer id=\"%d\">\n    <lastName>%s</lastName>\n    <phone type=\"mobile\"><number>%s</number></phone>\n"+
			"    <birth place=\"%s\"><date>%s</date></birth>\n    <diagnosis system=\"ICD-10\" code=\"%s\"/>\n  </customer>\n",
			4711+i, p.last, mobiles[i], p.city, p.dob, diag[i])
	}
	b.WriteString("</customers>\n")
	out = append(out, HeldOutFile{"customers.xml", []byte(b.String()), map[string]int{
		"person_name": n, "phone_number": n, "date_of_birth": n, "health_record": n}})

	// An HR export with commas saved as .txt.
	b.Reset()
	b.WriteString("Employee ID,First Name,Last Name,Hire Date,Birth Date,SSN,Work Phone,Home Address,Salary\n")
	for i, p := range ps {
		fmt.Fprintf(&b, "E-%d,%s,%s,2019-04-0%d,%s,%s,%s,\"%d Evergreen Terrace, Springfield, IL 6270%d\",\"$85,%03d.00\"\n",
			1001+i, p.first, p.last, 1+i, usDob[i], ssns[i], usPhones[i], 742+i, i, 100*i)
	}
	out = append(out, HeldOutFile{"hr_export.txt", []byte(b.String()), map[string]int{
		"person_name": 2 * n, "date_of_birth": n, "us_ssn": n, "phone_number": n, "postal_address": n}})

	// Application events as NDJSON.
	b.Reset()
	for i, p := range ps {
		fmt.Fprintf(&b, `{"ts":"2026-12-03T10:14:%02d.123Z","level":"info","event":"signup","userEmail":"%s@example.org","clientIp":"203.0.113.%d","phoneNumber":"+44 7911 12345%d","orderId":"40187362019%d","amount":129.9,"traceId":"%s","durationMs":%d}`+"\n",
			20+i, p.mail, 9+i, i, i, hoHex(uint32(i), 32), 1834+i)
	}
	out = append(out, HeldOutFile{"events.ndjson", []byte(b.String()), map[string]int{
		"email": n, "ip_address": n, "phone_number": n}})
	return out
}
