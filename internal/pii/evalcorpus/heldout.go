package evalcorpus

// The held-out corpus: hand-written documents in the layouts, languages
// and phrasing people really use (letters, config files, logs, YAML
// contact lists, service-account files), written apart from the generator
// above and its templates, with decoys of every type beside the values.
// It measures whether the rules generalise; the generated corpus measures
// them at scale. Every value is made up; check digits come from
// heldoutvalues.go.
//
// A line's labels follow it as "⟨type type*2⟩" (stripped before
// detection). "~type" marks a value the detectors should find but do not
// yet; it is not scored (none is left). Lines a reader could label
// either way are left out: "Call center hours 0800-1700" (a time range or
// an 8-digit number in a phone context), a bare "nom"/"nombre"/"nome"
// key (a product's or host's name as often as a person's), "Birthday
// party on 12/05/2026" (a birth word and a date that is no birth date),
// "version 2.14.0.11" (a four-part version is an IPv4 address by shape),
// "Geburtsdatum unbekannt, Eintritt 01.04.2015" (after a comma the date
// may still be the birth date: "born in Hamburg, on 3 March 1980"),
// "Born to Run (1975) remastered 2026-11-28" (a birth word and a date),
// "ICD-10 code search …; room B12" (an ICD word in prose, then a room
// named like a category), and the documentation sample 4111 1111 1111
// 1111 (the test card the benchmark corpus counts). AWS's documentation
// key AKIAIOSFODNN7EXAMPLE is a decoy: it ships in every SDK's examples.

// hoValues are the planted values, by placeholder name.
func hoValues() map[string]string {
	v := map[string]string{}
	bsn, _ := hoBSN("30217845")
	bsn2, _ := hoBSN("51738294")
	v["bsn"], v["bsn2"] = bsn, bsn2
	v["bsnSpaced"] = bsn2[:3] + " " + bsn2[3:6] + " " + bsn2[6:]
	tax := hoSteuerID("8652147935")
	v["taxid"] = tax
	v["taxidSpaced"] = tax[:2] + " " + tax[2:5] + " " + tax[5:8] + " " + tax[8:]
	v["taxidBad"] = tax[:10] + string(rune('0'+(tax[10]-'0'+1)%10))
	nir := hoNIR("2870469123045")
	v["nir"] = nir
	v["nirSpaced"] = nir[:1] + " " + nir[1:3] + " " + nir[3:5] + " " + nir[5:7] + " " + nir[7:10] + " " + nir[10:13] + " " + nir[13:]
	nir2 := hoNIR("1750375056089")
	v["nir2"] = nir2
	v["dni"] = "48273615" + hoDNILetter(48273615)
	v["dniDash"] = "30715826-" + hoDNILetter(30715826)
	v["dniBad"] = "48273615" + hoDNILetter(48273616)
	v["nie"] = "Y2736481" + hoDNILetter(12736481)
	v["nieDash"] = "X-5518240-" + hoDNILetter(5518240)
	v["cf"] = hoFiscalCode("BNCGLI90E52F205")
	v["cf2"] = hoFiscalCode("VRDLCU78C15H501")
	v["aadhaar"] = hoGroup4(hoVerhoeff("58213946071"), " ")
	v["aadhaarPlain"] = hoVerhoeff("73914205863")
	v["visa"] = hoGroup4(hoLuhn("454710421936180"), " ")
	v["mc"] = hoGroup4(hoLuhn("542523343010990"), "-")
	amex := hoLuhn("37144963539843")
	v["amex"] = amex[:4] + " " + amex[4:10] + " " + amex[10:]
	v["cardBad"] = hoGroup4(hoBadLuhn("453201511283036"), " ")
	v["ibanDE"] = hoGroup4(hoIBAN("DE", "500105175407324931"), " ")
	v["ibanDEplain"] = hoIBAN("DE", "120300000012345678")
	v["ibanFR"] = hoGroup4(hoIBAN("FR", "30006000011234567890189"), " ")
	v["ibanES"] = hoGroup4(hoIBAN("ES", "21000418450200051332"), " ")
	v["ibanIT"] = hoGroup4(hoIBAN("IT", "X0542811101000000123456"), " ")
	v["ibanNL"] = hoGroup4(hoIBAN("NL", "RABO0123456789"), " ")
	v["ibanGB"] = hoGroup4(hoIBAN("GB", "NWBK60161331926819"), " ")
	good := hoIBAN("DE", "370400440532013000")
	v["ibanBad"] = hoGroup4(good[:2]+"00"+good[4:], " ")
	v["ghp"] = hoGitHub("ghp_", "R7k2Qm9XwL4tBz8VnP3cYh6JdF1sGa")
	v["glpat"] = "glpat-Vx3kQ9mL2pRt7ZbN4wYc"
	v["slack"] = "xoxb-2718281828-3141592653589-Qm7XkLp2Vb9RtZc4NwYh8JdF"
	v["stripe"] = "sk_live_51Hq7Rk2Lm9XwPz4TbNc8VyQd3"
	v["jwt"] = hoJWT(`{"alg":"RS256","typ":"JWT","kid":"k1"}`, `{"sub":"4711","name":"Ana Ruiz","iat":1733221462}`,
		"Qm7XkLp2Vb9RtZc4NwYh8JdF1sGa3eUo")
	v["jwtNone"] = hoJWT(`{"alg":"none","typ":"JWT"}`, `{"sub":"4711"}`, "")
	v["azure"] = hoAzureKey(7)
	v["nirB"] = hoNIR("2621175056089")
	v["nirBSpaced"] = v["nirB"][:1] + " " + v["nirB"][1:3] + " " + v["nirB"][3:5] + " " + v["nirB"][5:7] + " " +
		v["nirB"][7:10] + " " + v["nirB"][10:13] + " " + v["nirB"][13:]
	v["dniB"] = "30715826" + hoDNILetter(30715826)
	v["cfB"] = hoFiscalCode("FRRCHR91D70L219")
	v["gcpKeyID"] = hoHex(42, 40)
	v["sha256"] = hoHex(7, 64)
	v["gitsha"] = hoHex(9, 40)
	v["trace"] = hoHex(11, 32)
	return v
}

// hoDoc is one held-out document before its values are filled in.
type hoDoc struct {
	name, text string
}

var hoDocs = []hoDoc{
	// A Dutch e-mail: the address and the number in its prose have no
	// label ("U kunt mij bereiken op …"), which pii-types.md asks for, so
	// they are left unlabeled.
	{"nl_email.txt", `From: "Pieter Bakker" <p.bakker@voorbeeld.nl> ⟨email⟩
Onderwerp: Wijziging gegevens
Beste meneer Visser,
Mijn geboortedatum is 12 maart 1979 en mijn BSN is {bsn}. ⟨date_of_birth nl_bsn⟩
Met vriendelijke groet, Pieter Bakker
Ordernummer 2026118734 – verzonden op 03-12-2026
`},
	{"es_app.log", `2026-12-03 10:14:22 ERROR [pago] Tarjeta rechazada {visa} para cliente ana.ruiz@ejemplo.es (IP 81.45.123.9) ⟨credit_card email ip_address⟩
2026-12-03 10:14:23 INFO  [pedido] Pedido 2026-000451 creado, importe 129,90 EUR, ref 48273616
2026-12-03 10:14:24 WARN  [auth] Intento fallido usuario=jperez ip=2a02:9130:ff01::1a ⟨ip_address⟩
2026-12-03 10:14:25 DEBUG [sync] versión 3.14.159.26 desplegada en nodo-07; firmware 1.2.3.4
`},
	{"it_cliente.json", `{"cliente": {"nome": "Giovanni", "cognome": "Esposito", "telefono": {"cellulare": "+39 347 123 4567", "fisso": "081 765 4321"}, "dataNascita": "1980-01-01", "iban": "{ibanIT}"}} ⟨person_name phone_number*2 date_of_birth iban⟩
`},
	// Forms laid out in columns ("Label : value   Label : value"), written
	// after the rounds above as a check on them; they found three more
	// rules (a value ends at a column gap, fijo/fisso, "Cognome e nome").
	{"de_lebenslauf.txt", `Bewerbung als Sachbearbeiterin – Lebenslauf
Persönliche Daten: Lena Hoffmann, geboren am 2. Februar 1994 in Dresden ⟨date_of_birth⟩
Anschrift: Bergstraße 7a, 01069 Dresden ⟨postal_address⟩
Telefon privat: 0351 4567890 · Mobil: 0176 23456789 ⟨phone_number*2⟩
E-Mail: lena.hoffmann94@web.example ⟨email⟩
Bankverbindung: {ibanDE} (Sparkasse) ⟨iban⟩
Rechnungsdatum 14.11.2026, Betrag 2.350,00 €, Kunden-Nr. 77120031
`},
	{"fr_fiche_patient.txt", `Fiche patient – Service de cardiologie
Nom : Bernard  Prénom : Lucie   Date de naissance : 07/11/1962 ⟨person_name date_of_birth⟩
N° sécurité sociale : {nirBSpaced} ⟨fr_nir⟩
Tél. domicile : 01 45 67 89 10   Portable : 07 81 23 45 67 ⟨phone_number*2⟩
Motif : douleur thoracique. Diagnostic principal (CIM-10) : I20.0 ; antécédents : E78.5 ⟨health_record*2⟩
Chambre 12B, lit 2 ; séjour n° 2026-004512
`},
	{"es_solicitud.txt", `Solicitud de alta – Datos del titular
Titular: Javier Morales Ruiz ⟨person_name⟩
DNI/NIE: {dniB} ⟨es_dni⟩
Fecha nac.: 22-06-1979 ⟨date_of_birth⟩
Domicilio: Avenida de la Constitución 21, 41004 Sevilla ⟨postal_address⟩
Móvil: 654 32 10 98 · Fijo: 954 21 43 65 ⟨phone_number*2⟩
Cuenta bancaria: {ibanES} ⟨iban⟩
Nº de pedido 2026-000451 · Importe 1.299,00 €
`},
	{"it_modulo.txt", `Modulo iscrizione
Cognome e nome: Ferrari Chiara ⟨person_name⟩
Data di nascita: 30 aprile 1991 — Luogo di nascita: Torino ⟨date_of_birth⟩
Codice fiscale: {cfB} ⟨it_fiscal_code⟩
Telefono: 011 5678901  Cellulare: 348 765 4321 ⟨phone_number*2⟩
Indirizzo: Corso Vittorio Emanuele II 45, 10125 Torino ⟨postal_address⟩
Pratica n. 2026/118734 del 03/12/2026
`},
	{"nl_inschrijving.txt", `Inschrijfformulier
Voor- en achternaam: Daan Jansen ⟨person_name⟩
Geboortedatum: 17-01-1986   Geboorteplaats: Groningen ⟨date_of_birth⟩
Burgerservicenummer: {bsn2} ⟨nl_bsn⟩
Adres: Herestraat 106, 9711 LM Groningen ⟨postal_address⟩
Telefoonnummer: 050 123 4567   Mobiel: 06 2345 6789 ⟨phone_number*2⟩
IBAN: {ibanNL} ⟨iban⟩
Klantnummer 48211, factuur 2026-004512
`},
	{"production.yml", `# config/production.yml
database:
  host: 10.12.0.4 ⟨ip_address⟩
  port: 5432
  username: app_rw
  password: "wG7!pLq2#Zr9" ⟨password⟩
smtp:
  user: mailer@example.com ⟨email⟩
  pass: Fz8$kd2LqP ⟨password⟩
sentry_dsn: https://9b1c2d3e@sentry.example.com/42
api_token: ${API_TOKEN}
admin_password: CHANGEME
`},
	// A vCard and an LDIF entry. vCard's N, FN and ADR and LDAP's sn and
	// cn are left unlabeled: two-letter keys that name other things as
	// often (a function, a serial number), and an LDAP password hash
	// ({SSHA}…) is a credential but not the password.
	{"contacts.vcf", `BEGIN:VCARD
VERSION:3.0
N:Weiß;Jürgen;;;
FN:Jürgen Weiß
TEL;TYPE=CELL:0151 27384950 ⟨phone_number⟩
TEL;TYPE=HOME,VOICE:+49 30 90182734 ⟨phone_number⟩
EMAIL;TYPE=INTERNET:j.weiss@example.de ⟨email⟩
BDAY:1983-07-14 ⟨date_of_birth⟩
REV:2026-12-03T10:14:22Z
END:VCARD
dn: uid=jweiss,ou=people,dc=example,dc=de
givenName: Jürgen ⟨person_name⟩
mail: j.weiss@example.de ⟨email⟩
telephoneNumber: 030 90182734 ⟨phone_number⟩
mobile: 0151 27384950 ⟨phone_number⟩
homePostalAddress: Lindenweg 12$50667 Köln ⟨postal_address⟩
uidNumber: 10234
`},
	// Text with no personal data at all: release notes, Kubernetes YAML,
	// Apache config, a lock file, a bank statement, invoices, code, SQL,
	// logs, and words that contain context words (Telegram, Geburtstagsfeier).
	{"noise.txt", `## Changelog
### v2.14.0 (2026-11-28)
- Fixed race in worker pool (#4711, #4712); bumped golang.org/x/net to v0.31.0
- Build 20261128.3 published to registry.example.com/acme/app:2.14.0@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-api
  labels: {app: shop, tier: backend, version: "2.14.0"}
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: api
          image: "registry.example.com/acme/api:2.14.0"
          ports: [{containerPort: 8080}]
          env:
            - {name: DB_HOST, value: db.internal}
            - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}
          resources: {limits: {cpu: "500m", memory: 512Mi}}
<VirtualHost *:443>
    ServerName shop.example.com
    SSLCertificateFile /etc/ssl/certs/shop.pem
    ErrorLog ${APACHE_LOG_DIR}/error.log
</VirtualHost>
"node_modules/lodash": {"version": "4.17.21", "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz", "integrity": "sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg=="}
Datum;Buchungstext;Betrag;Saldo
03.12.2026;Miete Dezember;-1.250,00;4.318,27
02.12.2026;Gutschrift Rechnung 2026-0451;2.499,00;5.568,27
Rechnung Nr. 2026-118734 vom 03.12.2026, Kundennummer 100234, Zahlungsziel 14 Tage, Gesamtbetrag 1.234,56 EUR
Commande n° 2026-004512 du 03/12/2026 – total TTC 129,90 € – livraison prévue le 05/12/2026
Pedido 2026/000451 enviado el 03/12/2026, importe 1.234,56 EUR, seguimiento 1Z999AA10123456784
func handler(w http.ResponseWriter, r *http.Request) { id := r.URL.Query().Get("id"); log.Printf("id=%s took=%dms", id, 1834) }
def connect(password=None, port=5432): return psycopg2.connect(host="db", password=password or os.environ["PGPASSWORD"])
const password = process.env.DB_PASSWORD || "";
if (user.password === password) { session.born = Date.now(); }
INSERT INTO products (id, sku, name, price, created_at) VALUES (4711, 'SKU-2026-0451', 'Widget', 12.99, '2026-11-28 10:14:22');
SELECT * FROM orders WHERE created_at BETWEEN '2026-01-01' AND '2026-12-31' AND total > 1000;
[2026-12-03 10:14:22,123] INFO  com.acme.OrderService - order 40187362019 processed in 1834 ms (thread pool-3-thread-7)
2026-12-03T10:14:22.123+01:00 host01 CRON[24817]: (root) CMD (/usr/local/bin/backup.sh > /var/log/backup.log 2>&1)
E11 error: disk quota exceeded on /dev/sda1; ICD driver version 10.2.14
Geburtstagsfeier am 12.12.2026 im Raum E11
Birthday sale ends 12/24/2026!
Tel-Aviv office, Telegram channel @acme, Telemetry port 4317, hotel booking ref 2026118734
iPhone 15 Pro, IMEI 35 209900 176148 1, serial F2LZ8ABCDEFG
ISBN-13: 978-3-16-148410-0, ISSN 0317-8471, DOI 10.1000/182
Latitude 52.520008, longitude 13.404954; elevation 34 m
Version 10.0.19045.3693; OS build 22631.2715; KB5032190
UUIDs: 123e4567-e89b-12d3-a456-426614174000, 550e8400-e29b-41d4-a716-446655440000
`},
	{"ids.txt", `Paspoort: BN7RJ4KP2 ⟨passport_number⟩
passport: NPH7L8R43 ⟨passport_number⟩
Reisepass: CFGHJK12L ⟨passport_number⟩
Passport fee RECEIPT12, Paspoort SPECI2014 (specimen), Passport: pending, ref ORDER2024
Passport status: VERIFIED; passport expiry 20310412
National Insurance number: JG 103759 A ⟨uk_nino⟩
NIF: {dni} ⟨es_dni⟩
Steuernummer 21/815/08150 (not the IdNr)
BSN: 1234.56.782 ⟨nl_bsn⟩
DNI 48.273.615-L ⟨es_dni⟩
`},
	{"phones.txt", `Telefon: 030/90182734 ⟨phone_number⟩
Tel. (030) 901820-34 ⟨phone_number⟩
Telefon: +49 (0)30 9018 2734 ⟨phone_number⟩
Tel: 0049 30 9018 2734 ⟨phone_number⟩
Tél. : 06.12.34.56.78 ⟨phone_number⟩
Tel +44 (0)20 7946 0958 ⟨phone_number⟩
Phone: 1-800-555-0199 ⟨phone_number⟩
Mobile: +1 (646) 555-3890 ⟨phone_number⟩
Móvil: +34 91 234 56 78 ⟨phone_number⟩
Cell: +39 333 1234567 ⟨phone_number⟩
Mobiel: +31 (0)6 12345678 ⟨phone_number⟩
WhatsApp +91-98765-43210 ⟨phone_number⟩
Kontakt: +61 2 9374 4000 ⟨phone_number⟩
Celular: +55 11 91234-5678 ⟨phone_number⟩
Mobiltelefon: 0171 4829301 ⟨phone_number⟩
Diensthandy 0160 93847261 ⟨phone_number⟩
Hotel Adlon, Zimmer 2104, Buchung 4018736201.
Recall campaign 2024-118734, batch 0151273849.
Immobilien-Nr. 0151 27384950 im Exposé.
Phone lines: 4, extensions 101-120, call duration 00:14:22.
Phone order #48213377 shipped; mobile app build 20261203.4.
Telefon/Fax: 030 90182734 / 030 90182735 ⟨phone_number*2⟩
Hotline: 01805 123456 ⟨phone_number⟩
Mobile: 98765 43210 ⟨phone_number⟩
Celular: (11) 91234-5678 ⟨phone_number⟩
Rückruf erbeten unter 0049 30 9018 2734 ⟨phone_number⟩
Bureau de Paris : 0033 1 42 68 53 00 ⟨phone_number⟩
Beleg 00491512738495, Referenz 0012 3456 7890.
Tel: 030 90182734, Kundennr: 2024118734, Auftrag: 4158675309 ⟨phone_number⟩
Telefon (mobil, ab 18:00): 0151 27384950 ⟨phone_number⟩
Tel. 030 / 90182734 ⟨phone_number⟩
Telefon 030 - 90182734 ⟨phone_number⟩
`},
	{"people.txt", `DOB: 1965-07-04 ⟨date_of_birth⟩
Date of Birth: 04-Jul-1965 ⟨date_of_birth⟩
born on the 4th of July 1965 ⟨date_of_birth⟩
Geburtstag: 1. Januar 1970 ⟨date_of_birth⟩
Date de naissance : 1er mars 1987 ⟨date_of_birth⟩
F. Nac.: 14/02/1990 ⟨date_of_birth⟩
nato a Roma il 7 luglio 1972 ⟨date_of_birth⟩
geboren op 12-03-1985 ⟨date_of_birth⟩
dob=19830714 ⟨date_of_birth⟩
Erika Musterfrau, geb. 12.08.64 in München ⟨date_of_birth⟩
{"id":4711,"dateOfBirth":"1983-07-14T00:00:00.000Z","createdAt":"2024-03-12T10:14:22.000Z"} ⟨date_of_birth⟩
"patientDob": "07/04/1965", "admitted": "2026-11-28" ⟨date_of_birth⟩
fechaNacimiento: 14/02/1990 ⟨date_of_birth⟩
Birth certificate issued 12.03.2024 by the registry office.
Geburtsurkunde ausgestellt am 12.03.2024; Geburtsort Köln, Geburtsname Meier.
Place of birth: Köln, 12.03.2024 registered.
lieu de naissance : Lyon, né le 12/03/1980 ⟨date_of_birth⟩
Date et lieu de naissance : 23/04/1987 à Lyon ⟨date_of_birth⟩
Data e luogo di nascita: 12/05/1990, Milano ⟨date_of_birth⟩
Date and place of birth: 4 March 1965, Dayton ⟨date_of_birth⟩
Geburtsdatum: unbekannt; Eintritt: 01.04.2015
dob: n/a, hired: 01.04.2015
| Geburtsdatum | 14.07.1983 | ⟨date_of_birth⟩
Born in 1985 in Leeds.
Gebühr: 12.03.2024, Gebäude 12.03.2024.
National Day 12 March 2024.
SSN: 536 22 1487 ⟨us_ssn⟩
Kartennummer: 4547 1042 1936 1807 ⟨credit_card⟩
Authorization: Bearer {jwt} ⟨jwt⟩
-----BEGIN OPENSSH PRIVATE KEY----- ⟨private_key⟩
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
-----END OPENSSH PRIVATE KEY-----
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo
-----END PUBLIC KEY-----
-----BEGIN CERTIFICATE-----
MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ
-----END CERTIFICATE-----
Write to ANNA.SCHMIDT@EXAMPLE.DE or <a+tag@sub.example.co.uk> ⟨email*2⟩
mailto:info@example.fr ⟨email⟩
<img src="logo@2x.png"> and icon@3x.webp and nginx@sha256:abc123 and @types/node and lodash@4.17.21
git clone git@github.com:acme/shop.git
user@localhost and root@server01
Client 192.168.1.10/24 and gateway 192.168.1.1 ⟨ip_address*2⟩
OID 1.3.6.1.4.1.311, Chrome/120.0.6099.109, times 12:34:56, MAC 00:1a:2b:3c:4d:5e
IPv6 ::1 and fe80::1%eth0 and 2001:db8::42 ⟨ip_address*2⟩
Patient in Zimmer B12, Station C03.
ICD-10-GM: F32.1 G, Diagnosis code M54.5 ⟨health_record*2⟩
`},
	{"kv.txt", `Kontoinhaber: Jürgen Weiß ⟨person_name⟩
account_holder: Margaret O'Neil ⟨person_name⟩
Straße: Lindenweg 12 ⟨postal_address⟩
Anschrift: Hauptstraße 5, 10115 Berlin ⟨postal_address⟩
"firstName": "Camille", "lastName": "Dupont" ⟨person_name*2⟩
username: deploy
filename: report-2026.pdf
server_name: web-01
password: "correct horse battery staple" ⟨password⟩
mysql_pwd=Hq7#xL2m ⟨password⟩
password: !secret wifi_password
password: !Ref DbPassword
db.password=ENC(AbCdEf123==)
passwort = {{ .Values.db.passwort }}
password: ""
password: null
bypass=tru3-n0t-a-pw
compass_heading=270deg-n0rth
iban: nl91 abna 0417 1643 00 ⟨iban⟩
`},
	{"de_brief.txt", `Sehr geehrte Frau Schneider,
vielen Dank für Ihre Nachricht vom 12.03.2024. Ihre Kundennummer lautet 100234.
Sie erreichen mich unter Tel. 030 90182734 oder per E-Mail an j.weiss@firma-beispiel.de. ⟨phone_number email⟩
Mobil: 0151 27384950 ⟨phone_number⟩
Fon +49 (0)89 4132 7780 ⟨phone_number⟩
Für die Personalakte benötigen wir noch Ihre Angaben:
Geburtsdatum: 14.07.1983 ⟨date_of_birth⟩
Max Mustermann, geb. 3.11.1979 in Hamburg ⟨date_of_birth⟩
Geboren am 5. März 1980 in Köln. ⟨date_of_birth⟩
Steuerliche Identifikationsnummer: {taxidSpaced} ⟨de_tax_id⟩
Steuer-ID {taxid} ⟨de_tax_id⟩
Bankverbindung: IBAN {ibanDE} ⟨iban⟩
Reisepass-Nr. C4F7G2H91 ⟨passport_number⟩
Rechnung Nr. 2024-118734 vom 12.03.2024 über 1.234,56 € (Bestellnummer 401873620195).
Sendungsnummer 00340434161094042557, Gebühr 4,99 €, Gebäude B12, Raum E11.
Gültig ab 01.04.2015, Eintritt 01.04.2015.
Mit freundlichen Grüßen
`},
	{"de_arztbrief.txt", `Universitätsklinikum Musterstadt – Entlassungsbericht
Patient: geb. 21.09.1958 ⟨date_of_birth⟩
Hauptdiagnose: E11.9 Diabetes mellitus Typ 2 ⟨health_record⟩
Nebendiagnosen: I10, E78.0 ⟨health_record*2⟩
Befund: Z. n. Myokardinfarkt I21.4 ⟨health_record⟩
Station B12, Zimmer A04, Bett 3; Aufnahme 2026-11-28 08:14.
`},
	{"fr_courrier.txt", `Madame Camille Dupont
Objet : mise à jour de votre dossier client n° 2024-00917
Née le 23/04/1987 à Lyon. ⟨date_of_birth⟩
Date de naissance : 23 avril 1987 ⟨date_of_birth⟩
Tél. : 04 78 12 34 56 ⟨phone_number⟩
Portable : 06 12 34 56 78 ⟨phone_number⟩
Tél : +33 (0)6 71 23 45 89 ⟨phone_number⟩
Courriel : camille.dupont@exemple.fr ⟨email⟩
N° de sécurité sociale : {nirSpaced} ⟨fr_nir⟩
NIR {nir2} ⟨fr_nir⟩
RIB / IBAN : {ibanFR} ⟨iban⟩
N° de passeport : 18FV24803 ⟨passport_number⟩
Montant TTC : 1 299,90 € – facture FA-2026-004512 du 03/12/2026.
Diagnostic : J45.9 (asthme) ⟨health_record⟩
Référence colis : 6A12345678901, commande CMD-2024-000123.
`},
	{"es_carta.txt", `Estimada Sra. García:
Le confirmamos los datos de su expediente 2026/118.
Nacida el 14 de febrero de 1990 en Sevilla. ⟨date_of_birth⟩
Fecha de nacimiento: 14/02/1990 ⟨date_of_birth⟩
DNI: {dni} ⟨es_dni⟩
NIF {dniDash} ⟨es_dni⟩
NIE: {nieDash} ⟨es_dni⟩
Teléfono móvil: 612 34 56 78 ⟨phone_number⟩
Tfno.: 912 345 678 ⟨phone_number⟩
Móvil: +34 655 12 34 56 ⟨phone_number⟩
Cuenta: {ibanES} ⟨iban⟩
Pasaporte: PAB482736 ⟨passport_number⟩
Diagnóstico principal: F32.1 ⟨health_record⟩
Importe: 1.234,56 EUR; pedido 2024-000451; referencia 48273616 de la factura.
`},
	{"it_lettera.txt", `Gentile Sig.ra Bianchi,
nata il 12/05/1990 a Milano, ⟨date_of_birth⟩
Data di nascita: 12 maggio 1990 ⟨date_of_birth⟩
Codice fiscale: {cf} ⟨it_fiscal_code⟩
CF {cf2} ⟨it_fiscal_code⟩
Tel. 06 1234 5678 ⟨phone_number⟩
Cellulare: 347 123 4567 ⟨phone_number⟩
IBAN {ibanIT} ⟨iban⟩
Passaporto n. YA4827361 ⟨passport_number⟩
Diagnosi: K21.0 ⟨health_record⟩
Ordine n. 2024/00917 del 03/12/2026, totale 1.299,00 €.
`},
	{"nl_brief.txt", `Beste mevrouw De Vries,
Geboren op 3 september 1988 te Utrecht. ⟨date_of_birth⟩
Geboortedatum: 03-09-1988 ⟨date_of_birth⟩
BSN: {bsn} ⟨nl_bsn⟩
Burgerservicenummer {bsnSpaced} ⟨nl_bsn⟩
Mobiel: 06 12345678 ⟨phone_number⟩
Telefoon: 020-1234567 ⟨phone_number⟩
Tel.: +31 20 123 4567 ⟨phone_number⟩
IBAN: {ibanNL} ⟨iban⟩
Paspoortnummer: NW3K28H51 ⟨passport_number⟩
Factuurnummer 2026-004512, klantnummer 48211, bedrag € 1.299,00.
`},
	{"en_email.txt", `From: Margaret O'Neil <m.oneil@example.co.uk> ⟨email⟩
To: hr@example.co.uk ⟨email⟩
Hi team, please update my details.
New mobile 07911 123456, home phone 020 7946 0018. ⟨phone_number*2⟩
My NI number is JG 10 37 59 A and my date of birth is 3 July 1979. ⟨uk_nino date_of_birth⟩
NINO: AB123456C ⟨uk_nino⟩
Please pay the refund to {ibanGB}. ⟨iban⟩
Passport no. 120382716, expires 2031. ⟨passport_number⟩
Thanks, call me on +44 20 7946 0958 if anything is unclear. ⟨phone_number⟩
Ref: ticket #4711, order 2024-118734, invoice INV-2026-004512 (total £1,299.00).
`},
	{"us_intake.txt", `Patient intake form
Patient: John Q. Public, DOB 07/04/1965, SSN 536-22-1487 ⟨date_of_birth us_ssn⟩
Social Security Number: 536221487 ⟨us_ssn⟩
Born March 4, 1965 in Ohio. ⟨date_of_birth⟩
Diagnosis: type 2 diabetes (ICD-10 E11.9), hypertension I10 ⟨health_record*2⟩
Call me at (415) 867-5309 or 415.867.5309 ⟨phone_number*2⟩
Phone: +1 646-555-3890 ⟨phone_number⟩
Card on file: {visa} ⟨credit_card⟩
Backup card {mc} ⟨credit_card⟩
Amex {amex} ⟨credit_card⟩
Passport number: 548273619 ⟨passport_number⟩
Copay $25.00, claim 20261203-000451, member since 2014.
`},
	{"in_kyc.txt", `KYC record
Aadhaar: {aadhaar} ⟨in_aadhaar⟩
Aadhaar no {aadhaarPlain} ⟨in_aadhaar⟩
Mobile: +91 98765 43210 ⟨phone_number⟩
Passport: K8273619 ⟨passport_number⟩
Application 202612030451, amount 12,499.00 INR.
`},
	{"decoys.txt", `Order #{cardBad} shipped; invoice INV-2026-004512, total $1,299.00, due 12/31/2026.
Tracking: 1Z 999 AA1 01 2345 6784, USPS 9400 1000 0000 0000 0000 00.
Build 4.18.2-rc1 (commit {gitsha}) on kernel 6.1.0-18-amd64.
Request id 550e8400-e29b-41d4-a716-446655440000 trace {trace}
sha256: {sha256}
Invalid examples: 000-12-3456, 987-65-4321, 078-05-1120 and 666-12-3456.
IBAN check failed: {ibanBad}
ISBN 978-3-16-148410-0 and ISBN 0-306-40615-2.
Steuer-ID (ungültig): {taxidBad}
DNI erróneo: {dniBad}
Office hours 0800-1700, ext. 4711.
Unix time 1733221462, took 1834 ms, bytes=123456789, pid 24817.
Error code E11 on the display; take exit J45; paper A4; room B12.
Color #FF5733, pointer 0x7ffd5b3c1a20, MAC 00:1A:2B:3C:4D:5E.
Prices: 1.234,56 € and EUR 12.345.678,90 and $1,299.00.
Timestamps 2026-12-03 10:14:22, 03.12.2026 10:14, 12/03/2026.
Serial SN-2026-00123456, part 1234-5678-9012, lot 20261203.
Phone lines: 4, extensions 101-120.
Passport office opens at 09:00, counter 12.
`},
	{"app.env", `APP_ENV=production
DB_HOST=10.0.12.7 ⟨ip_address⟩
DB_PASSWORD=Xk9#mP2vL!q7 ⟨password⟩
REDIS_PASSWORD=
SMTP_PASS=W4rm-Sunset-88 ⟨password⟩
ADMIN_PASSWORD=changeme
API_PASSWORD=${API_PASSWORD}
LDAP_PASSWORD="***"
MAIL_PASSWORD=<your-password-here>
GITHUB_TOKEN={ghp} ⟨github_token⟩
GITLAB_TOKEN={glpat} ⟨gitlab_token⟩
SLACK_BOT_TOKEN={slack} ⟨slack_token⟩
STRIPE_SECRET_KEY={stripe} ⟨stripe_key⟩
AWS_ACCESS_KEY_ID=AKIA4HQ7ZL2XWB5RT3NM ⟨aws_access_key⟩
# as in the AWS CLI docs: AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=acmeprod;AccountKey={azure};EndpointSuffix=core.windows.net ⟨azure_storage_key⟩
SESSION_SAMPLE={jwt} ⟨jwt⟩
UNSIGNED_SAMPLE={jwtNone}
GITHUB_TOKEN_EXAMPLE=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
STRIPE_TEST=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx
SENTRY_DSN=https://4f2a9c1d@o451234.ingest.sentry.io/5512345
PASSWORD_MIN_LENGTH=12
DATABASE_URL=postgres://shop:Pg7xK2mQ@10.0.0.5:5432/shop ⟨password ip_address⟩
REDIS_URL=redis://:Rd8#kP2m@cache:6379/0 ⟨password⟩
TEMPLATE_URL=https://${USER}:${PASS}@example.com/repo.git
DOCS_URL=https://user:password@example.com/
WIN_PASSWORD=%DB_PASS%
MSSQL=Server=db01;Database=shop;User Id=app;Password=Yt5#rE2w;Encrypt=True ⟨password⟩
`},
	{"settings.ini", `[database]
host = db.internal.example.com
port = 5432
user = app
password = "Qw!7rT#9zP" ⟨password⟩

[mail]
smtp_password = *******
smtp_user = mailer

[ldap]
bind_password = %(LDAP_BIND)s
`},
	{"application.properties", `spring.datasource.url=jdbc:postgresql://10.20.30.40:5432/shop ⟨ip_address⟩
spring.datasource.username=shop
spring.datasource.password=S3cr3t-Pr0d! ⟨password⟩
keystore.password=${KEYSTORE_PASS}
server.port=8443
management.endpoints.web.exposure.include=health,info
`},
	{"contacts.yaml", `contacts:
  - nombre: Lucía
    apellidos: García Fernández ⟨person_name⟩
    teléfono: "+34 612 34 56 78" ⟨phone_number⟩
    correo: lucia.garcia@ejemplo.es ⟨email⟩
    dirección: "Calle Mayor 15, 3º B, 28013 Madrid" ⟨postal_address⟩
    dni: {dni} ⟨es_dni⟩
    fecha_nacimiento: 14/02/1990 ⟨date_of_birth⟩
  - nome: Giulia
    cognome: Bianchi ⟨person_name⟩
    codice_fiscale: {cf} ⟨it_fiscal_code⟩
    cellulare: 347 123 4567 ⟨phone_number⟩
    data_di_nascita: 12/05/1990 ⟨date_of_birth⟩
    indirizzo: Via Roma 10, 20121 Milano ⟨postal_address⟩
  - voornaam: Sanne ⟨person_name⟩
    achternaam: de Vries ⟨person_name⟩
    geboortedatum: 03-09-1988 ⟨date_of_birth⟩
    bsn: {bsn2} ⟨nl_bsn⟩
    mobiel: 06-12345678 ⟨phone_number⟩
    adres: Keizersgracht 123, 1015 CJ Amsterdam ⟨postal_address⟩
    iban: {ibanNL} ⟨iban⟩
settings:
  name: nginx
  hostname: web01
  first_name: null
  ip_address: 10.0.0.1 ⟨ip_address⟩
  mac_address: 00:1A:2B:3C:4D:5E
  address: 0x7ffd5b3c1a20
  billing_address: same as shipping
  version: 2.14.0
  password: !vault |
  db_password: "{{ vault_db_password }}"
`},
	{"service-account.json", `{
  "type": "service_account",
  "project_id": "acme-prod-123456",
  "private_key_id": "{gcpKeyID}", ⟨gcp_service_account_key⟩
  "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n", ⟨private_key⟩
  "client_email": "deployer@acme-prod-123456.iam.gserviceaccount.com", ⟨email⟩
  "client_id": "104738291047382910473",
  "token_uri": "https://oauth2.googleapis.com/token"
}
`},
	{"access.log", `203.0.113.45 - - [03/Dec/2026:10:14:22 +0100] "GET /api/v1/users/4711?email=anna.schmidt@example.de HTTP/1.1" 200 512 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)" ⟨ip_address email⟩
2001:db8:85a3::8a2e:370:7334 - - [03/Dec/2026:10:14:23 +0100] "POST /login HTTP/2.0" 302 0 "-" "curl/8.4.0" ⟨ip_address⟩
198.51.100.23 - - [03/Dec/2026:10:14:24 +0100] "GET /static/app.3f9a2c1b.js HTTP/1.1" 304 0 "-" "Mozilla/5.0" ⟨ip_address⟩
`},
	{"syslog", `Dec  3 10:14:22 web01 sshd[24817]: Failed password for invalid user admin from 198.51.100.23 port 52814 ssh2 ⟨ip_address⟩
Dec  3 10:14:25 web01 postfix/smtpd[3321]: connect from mail.example.com[192.0.2.77] ⟨ip_address⟩
Dec  3 10:14:26 web01 kernel: [123456.789012] eth0: link up, 1000 Mbps, full duplex
Dec  3 10:14:27 web01 app[991]: upstream 10.0.3.15:8080 timed out after 30000 ms ⟨ip_address⟩
`},
	{"app.jsonl", `{"ts":"2026-12-03T10:14:22.123Z","level":"info","msg":"login ok","user":"j.doe@example.org","ip":"2001:db8:85a3::8a2e:370:7334","trace_id":"{trace}","duration_ms":1834} ⟨email ip_address⟩
{"ts":"2026-12-03T10:14:23.456Z","level":"warn","msg":"payment declined","order_id":"401873620195","amount":129.9,"currency":"EUR","client_ip":"203.0.113.9"} ⟨ip_address⟩
{"ts":"2026-12-03T10:14:24.789Z","level":"error","msg":"timeout","span_id":"{gitsha}","bytes":123456789,"version":"1.25.3"}
`},
}

// HeldOut returns the held-out documents with their labels.
func HeldOut() []Doc {
	return hoBuild(hoDocs, hoValues())
}
