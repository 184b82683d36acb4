package evalcorpus

import (
	"fmt"
	"strings"
)

// h3Person is one made-up person of the third round's files.
type h3Person struct {
	first, last, mail, phone, street, city, dob, iban string
}

func h3People() []h3Person {
	return []h3Person{
		{"Ingrid", "Solberg", "ingrid.solberg", "+47 912 34 567", "Storgata 14", "0155 Oslo", "1982-09-17", hoIBAN("NO", "15032048271")},
		{"Rafael", "Castillo Núñez", "r.castillo", "+34 639 21 48 75", "Calle Serrano 41, 2º A", "28001 Madrid", "1990-03-05", hoIBAN("ES", "00491500051234567892")},
		{"Anouk", "van Leeuwen", "anouk.vl", "06 4172 9385", "Oudegracht 221", "3511 NK Utrecht", "1975-12-28", hoIBAN("NL", "ABNA0629184735")},
	}
}

// HeldOut3Files returns the third round's files for the format readers:
// an HTML table with a header row and mailto links, a CSV whose quoted
// fields hold commas and line breaks, a pipe-separated export saved as
// .txt, JSON with nested arrays of people, .NET appsettings.json, and a
// service-account key embedded as a JSON string in a Terraform variables
// file.
func HeldOut3Files() []HeldOutFile {
	ps := h3People()
	n := len(ps)
	var out []HeldOutFile
	var b strings.Builder

	// A staff directory page: th headers, one person per row.
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Staff directory</title></head><body>\n" +
		"<table class=\"directory\">\n<thead><tr><th>Name</th><th>E-mail</th><th>Telephone</th><th>Date of birth</th><th>IBAN</th><th>Office</th></tr></thead>\n<tbody>\n")
	for i, p := range ps {
		fmt.Fprintf(&b, "<tr><td>%s&nbsp;%s</td><td><a href=\"mailto:%s@staff-example.org\">%s</a></td><td>%s</td><td>%s</td><td>%s</td><td>B%d.0%d</td></tr>\n",
			p.first, p.last, p.mail, "write", p.phone, p.dob, hoGroup4(p.iban, " "), 2+i, 4+i)
	}
	b.WriteString("</tbody>\n</table>\n<p>Last updated 2026-12-01 &middot; version 3.4.1</p>\n</body></html>\n")
	// The "Name" column is not counted: a bare "name" names hosts and
	// products as often (keyvalue.go), as in the first round.
	out = append(out, HeldOutFile{"staff.html", []byte(b.String()), map[string]int{
		"email": n, "phone_number": n, "date_of_birth": n, "iban": n}})

	// A CRM export: quoted addresses and notes with commas and newlines.
	b.Reset()
	b.WriteString("customer_id,first_name,last_name,email,mobile,postal_address,notes,birthdate,created\r\n")
	for i, p := range ps {
		fmt.Fprintf(&b, "C-%d,%s,\"%s\",%s@mail-example.com,%s,\"%s,\r\n%s\",\"Called back, wants invoice by mail,\r\nticket #%d\",%s,2025-0%d-1%d 10:14:22\r\n",
			77001+i, p.first, p.last, p.mail, p.phone, p.street, p.city, 4711+i, p.dob, 1+i, i)
	}
	out = append(out, HeldOutFile{"crm_contacts.csv", []byte(b.String()), map[string]int{
		"person_name": 2 * n, "email": n, "phone_number": n, "postal_address": n, "date_of_birth": n}})

	// A pipe-separated export from a legacy system, saved as .txt.
	b.Reset()
	b.WriteString("KUNDENNR|VORNAME|NACHNAME|GEBURTSDATUM|TELEFON|EMAIL|IBAN|STATUS\n")
	for i, p := range ps {
		fmt.Fprintf(&b, "%d|%s|%s|%s|%s|%s@kunden-example.de|%s|AKTIV\n",
			300417+i, p.first, p.last, strings.ReplaceAll(p.dob, "-", "."), p.phone, p.mail, p.iban)
	}
	out = append(out, HeldOutFile{"kunden_export.txt", []byte(b.String()), map[string]int{
		"person_name": 2 * n, "date_of_birth": n, "phone_number": n, "email": n, "iban": n}})

	// A household API: people inside arrays inside objects.
	b.Reset()
	b.WriteString("{\"households\": [{\"id\": \"hh-4711\", \"members\": [\n")
	for i, p := range ps {
		sep := ","
		if i == n-1 {
			sep = ""
		}
		fmt.Fprintf(&b, `  {"givenName": %q, "familyName": %q, "born": %q,
   "contacts": {"emails": ["%s@home-example.net"], "phones": [{"kind": "mobile", "value": %q}]},
   "bank": {"iban": %q, "bic": "DNBANOKKXXX"}, "meta": {"rev": 3, "updated": "2026-11-28T10:14:22Z"}}%s
`, p.first, p.last, p.dob, p.mail, p.phone, p.iban, sep)
	}
	b.WriteString("]}]}\n")
	out = append(out, HeldOutFile{"households.json", []byte(b.String()), map[string]int{
		"person_name": 2 * n, "date_of_birth": n, "email": n, "phone_number": n, "iban": n}})

	// .NET appsettings.json: a SQL connection string, a storage account,
	// an SMTP password; versions and log levels beside them.
	b.Reset()
	fmt.Fprintf(&b, `{
  "Logging": {"LogLevel": {"Default": "Information", "Microsoft.AspNetCore": "Warning"}},
  "ConnectionStrings": {
    "Crm": "Server=tcp:10.0.0.4,1433;Database=crm;User ID=crm_app;Password=Cr#m2026!xQ;Encrypt=True;",
    "Blob": "DefaultEndpointsProtocol=https;AccountName=crmfiles;AccountKey=%s;EndpointSuffix=core.windows.net"
  },
  "Smtp": {"Host": "smtp.example.net", "Port": 587, "User": "crm-mailer@example.net", "Password": "M4il!Out-2026"},
  "FeatureFlags": {"NewCheckout": true},
  "Version": "8.0.11"
}
`, hoAzureKey(77))
	out = append(out, HeldOutFile{"appsettings.json", []byte(b.String()), map[string]int{
		"ip_address": 1, "password": 2, "azure_storage_key": 1, "email": 1}})

	// Terraform variables with the service-account key as a string.
	b.Reset()
	fmt.Fprintf(&b, `{
  "project": "billing-prod-7731",
  "region": "europe-west3",
  "google_credentials": "{\"type\": \"service_account\", \"project_id\": \"billing-prod-7731\", \"private_key_id\": \"%s\", \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQDZ\\n-----END PRIVATE KEY-----\\n\", \"client_email\": \"tf-runner@billing-prod-7731.iam.gserviceaccount.com\", \"client_id\": \"108273645192837465019\"}",
  "machine_type": "e2-standard-4"
}
`, hoHex(7731, 40))
	out = append(out, HeldOutFile{"terraform.tfvars.json", []byte(b.String()), map[string]int{
		"gcp_service_account_key": 1, "private_key": 1, "email": 1}})
	// The labelled documents whose tables or XML only the readers see.
	for _, d := range hoBuild(h3FileDocs, h3Values()) {
		want := map[string]int{}
		for k, n := range d.Want {
			want[k.Type] += n
		}
		out = append(out, HeldOutFile{d.Name, d.Text, want})
	}
	return out
}
