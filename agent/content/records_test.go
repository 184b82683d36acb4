package content

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRecordReaders checks the readers the fourth round added, each with
// a counter-case: MIME mail, vCard, iCalendar, LDIF, HL7 v2, PuTTY keys,
// name columns beside name parts, FHIR's ICD codings.
func TestRecordReaders(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct {
		name, file, data string
		want             map[string]int
	}{
		{"mail quoted-printable with a soft break in an IBAN", "m.eml", "From: a@example.org\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nGeburtsdatum: 12.03.1974, M=C3=BCnchen, IBAN DE02 1203 00=\n00 0000 2020 51\n",
			map[string]int{"email": 1, "date_of_birth": 1, "iban": 1}},
		{"mail base64 text, Latin-1", "m.eml", "To: b@example.org\nMIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: base64\n\n" + b64([]byte("N\xe9 le 14/06/1958, t\xe9l\xe9phone 06 58 21 74 93\n")) + "\n",
			map[string]int{"email": 1, "date_of_birth": 1, "phone_number": 1}},
		{"mail attachment is not text", "m.eml", "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n" + b64([]byte("Tel. 089 4418 2276 a@example.org")) + "\n--b--\n", map[string]int{}},
		{"mail sniffed without a name", "msg", "Return-Path: <a@example.org>\nMIME-Version: 1.0\nContent-Transfer-Encoding: base64\n\n" + b64([]byte("x@example.org\n")) + "\n",
			map[string]int{"email": 2}},
		{"vcard name and address by component", "c.vcf", "BEGIN:VCARD\nN:Kowalski;Piotr;;;\nFN:Piotr Kowalski\nADR;TYPE=home:;;14 rue Paul Bert;Lyon;;69003;France\nBDAY:19810923\nEND:VCARD\n",
			map[string]int{"person_name": 2, "postal_address": 1, "date_of_birth": 1}},
		{"vcard display name alone", "c.vcf", "BEGIN:VCARD\nFN:Piotr Kowalski\nREV:19810923\nEND:VCARD\n", map[string]int{}},
		{"ical folded line", "e.ics", "BEGIN:VCALENDAR\r\nDESCRIPTION:Rückfragen unter 089 2\r\n 1847 3390\\nGeb.-Datum: 04.08.1966\r\nDTSTAMP:20261203T101422Z\r\nEND:VCALENDAR\r\n",
			map[string]int{"phone_number": 1, "date_of_birth": 1}},
		{"ldif base64 surname, hashed password", "p.ldif", "dn: uid=m,dc=example\nsn:: " + b64([]byte("Müller")) + "\ncn: Martina Müller\nuserPassword:: " + b64([]byte("{SSHA}7zJqL2Mm9Xw4Kz8Vb6Nc3Yp5Hd1Jf")) + "\n",
			map[string]int{"person_name": 1}},
		{"ldif clear password, folded address", "p.ldif", "dn: uid=m,dc=example\nuserPassword: Ld4p!Clear-26\npostalAddress: Königstraße 28$7017\n 3 Stuttgart\n",
			map[string]int{"password": 1, "postal_address": 1}},
		{"hl7 by position, CR segments", "a.hl7", "MSH|^~\\&|A|B|C|D|20261203||ADT^A01|1|P|2.5\rPID|1||00583921^^^H^MR~123^^^H^AN||WHITFIELD^ELEANOR||19480214|F|||27 ELM STREET^^SPRINGFIELD^IL^62704\rDG1|1||J18.9^Pneumonia^I10\r",
			map[string]int{"health_record": 2, "person_name": 2, "date_of_birth": 1, "postal_address": 1}},
		{"hl7 sniffed, dates elsewhere are not births", "feed", "MSH|^~\\&|A|B|C|D|19480214||ORU^R01|1|P|2.5\nOBR|1||4471|8867-4^Heart rate^LN|||19480214\n", map[string]int{}},
		{"mbox of two messages", "a.mbox", "From a@example.org Thu Dec  3 10:14:22 2026\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b--\n\nFrom b@example.org Thu Dec  3 11:14:22 2026\nSubject: x\n\nMobil: 0151 48273916\n",
			map[string]int{"email": 2, "phone_number": 1}},
		{"vcard 2.1 quoted-printable, soft break", "c.vcf", "BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;\nADR;HOME;ENCODING=QUOTED-PRINTABLE:;;Schillerstra=C3=9Fe 14;Berlin;;10625;Deutschl=\nand\nEND:VCARD\n",
			map[string]int{"person_name": 2, "postal_address": 1}},
		{"php define", "wp-config.php", "<?php\ndefine( 'DB_PASSWORD', 'Wp#Pr0d-2026!x' );\ndefine('DB_USER', 'wp_admin'); // admin@example.org\n",
			map[string]int{"password": 1, "email": 1}},
		{"json name/value pairs", "env.json", `{"values": [{"key": "password", "value": "Pm!Staging-2026"}, {"key": "version", "value": "2026-12-03"}, {"Name": "Owner", "Value": "m.rossi@example.it"}]}`,
			map[string]int{"password": 1, "email": 1}},
		{"unattend pass is a phase", "unattend.xml", `<unattend><settings pass="oobeSystem"><Password><Value>K1osk#Logon</Value></Password></settings><user pass="Us3r!Pass26"/></unattend>`,
			map[string]int{"password": 2}},
		{"putty key", "k.ppk", "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPublic-Lines: 1\nAAAAC3NzaC1lZDI1NTE5AAAAIOT0ubYq\nPrivate-Lines: 1\nAAAAIB7x9Lm2Kq7Zr3Vb8Tc4Np5Hd6Jw\nPrivate-MAC: 4f2a9c1d\n",
			map[string]int{"private_key": 1}},
		{"fhir icd coding", "f.json", `{"code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.65"}]}, "status": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "A1"}]}}`,
			map[string]int{"health_record": 1}},
	}
	sc := NewScanner(options())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, readCounts(t, sc, tc.file, tc.data))
		})
	}
}

// FuzzRecordReaders reads arbitrary bytes as mail, vCard, iCalendar,
// LDIF, HL7 and PuTTY keys: no panic, no error, no partial result for a
// small input.
func FuzzRecordReaders(f *testing.F) {
	f.Add("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: quoted-printable\n\nx=C3=\n=BC\n--b\nContent-Transfer-Encoding: base64\n\nQUJD\n--b--\n")
	f.Add("BEGIN:VCARD\nN:a;b;;;\n c\nADR:;;x;y\nEND:VCARD\n")
	f.Add("dn: x\nsn:: TcO8bGxlcg==\n  y\nuserPassword:: e1NTSEF9\n")
	f.Add("MSH|^~\\&|a\rPID|1||1^^^H^MR||A^B||19480214|||\\F\\x^&y^z\rDG1|1||J18.9\r")
	f.Add("PuTTY-User-Key-File-3: x\nPrivate-Lines: 2\nQUJD\n")
	sc := NewScanner(options())
	f.Fuzz(func(t *testing.T, data string) {
		for _, name := range []string{"f.eml", "f.vcf", "f.ics", "f.ldif", "f.hl7", "f.ppk"} {
			ms, _, err := sc.Read(context.Background(), name, strings.NewReader(data), nil, int64(len(data)))
			require.NoError(t, err)
			for _, m := range ms {
				require.Empty(t, m.Partial)
			}
		}
	})
}
