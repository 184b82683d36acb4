package evalcorpus

// The organisation-shapes corpus's second half: the same values written
// the less common ways real files hold them — a key in a YAML block
// scalar or a one-line .env string with \n escapes, an access key inside
// a presigned S3 URL, IPv6 in brackets with a port and IPv4-mapped, tel:
// links and E.164 in JSON, "+49 (0) …" and "(02) …" forms, D.O.B. and
// "geb." and "nata a … il", a Dutch BSN in 4-2-3 groups, .NET and JDBC
// connection strings — beside business ids that look like them (SIRET,
// SIREN, USt-IdNr., Steuernummer, Partita IVA, EIN, ZIP+4, sort codes,
// BICs, IMEIs, EANs, Kubernetes resource versions, masked cards).

import (
	"strings"
)

var ogShapes2 = []struct {
	name string
	fn   func(*ogFile, int)
}{
	{"secret.yaml", ogK8sSecret}, {"firebase.env", ogEnvPEM}, {"s3-access.log", ogS3Log}, {"gateway.log", ogGatewayLog},
	{"contacts.json", ogContactsJSON}, {"profile.html", ogProfileHTML}, {"hr-notes.txt", ogHRNotes}, {"appsettings.json", ogConnStrings},
	{"docker-compose.yml", ogCompose}, {"business.txt", ogBusinessDecoys}, {"payments.log", ogPaymentsLog}, {"pain.001.xml", ogSEPA},
}

func ogK8sSecret(f *ogFile, _ int) {
	g := f.g
	f.line("apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-tls\n  namespace: shop\n  resourceVersion: \"%d\"\n  uid: %s\ntype: kubernetes.io/tls",
		g.between(100000000, 999999999), g.uuid())
	f.line("data:\n  ca.crt: %s", g.alnum(60))
	f.line("stringData:\n  db-password: %s\n  smtp-user: %s", f.v("password", g.secret()), f.v("email", g.person(f.loc()).email))
	f.line("  tls.key: |")
	f.v("private_key", "")
	for _, l := range g.pem(g.one("RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY")) {
		f.line("    %s", l)
	}
	f.line("  tls.crt: |")
	for _, l := range g.pem("CERTIFICATE") {
		f.line("    %s", l)
	}
}

func ogEnvPEM(f *ogFile, _ int) {
	g := f.g
	// a service account's address counts as an e-mail address, as in the
	// first and third rounds
	f.line("FIREBASE_PROJECT_ID=shop-%s\nFIREBASE_CLIENT_EMAIL=%s", g.hex(5), f.v("email", "firebase-adminsdk-"+strings.ToLower(g.alnum(5))+"@shop-"+g.hex(5)+".iam.gserviceaccount.com"))
	f.v("private_key", "")
	f.line("FIREBASE_PRIVATE_KEY=\"%s\\n\"", strings.Join(g.pem("PRIVATE KEY"), "\\n"))
	f.line("JWT_PUBLIC_KEY=\"%s\"", strings.Join(g.pem("PUBLIC KEY"), "\\n"))
	f.line("ADMIN_PASSWORD=%s\nADMIN_PASSWORD_MIN=%d", f.v("password", g.secret()), g.between(8, 14))
}

func ogS3Log(f *ogFile, _ int) {
	g := f.g
	for i := 0; i < 4+g.n(4); i++ {
		ts := g.timestamp()
		f.line(`%s - - [%s] "GET /media/%s.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%s%%2F%s%%2Feu-central-1%%2Fs3%%2Faws4_request&X-Amz-Date=%sT%sZ&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=%s HTTP/2.0" 200 %d`,
			f.v("ip_address", g.ipv4()), ts.Format("02/Jan/2006:15:04:05 -0700"), g.uuid(), f.v("aws_access_key", g.awsKey()), ts.Format("20060102"),
			ts.Format("20060102"), ts.Format("150405"), g.hex(64), g.n(900000))
	}
}

func ogGatewayLog(f *ogFile, _ int) {
	g := f.g
	for i := 0; i < 6+g.n(6); i++ {
		ts := g.timestamp().Format("2006-01-02T15:04:05.000Z07:00")
		switch g.n(5) {
		case 0:
			f.line("%s level=info msg=\"upstream connect\" client=[%s]:%d upstream=%s:%s latency_ms=%d", ts, f.v("ip_address", g.ipv6()), g.between(1024, 65535),
				f.v("ip_address", g.ipv4()), g.one("8080", "8443", "9000"), g.n(999))
		case 1:
			f.line("%s [http-nio-8443-exec-%d] INFO  AccessFilter - login ok for %s from /%s:%d", ts, g.between(1, 50),
				f.v("email", g.person(f.loc()).email), f.v("ip_address", g.ipv4()), g.between(1024, 65535))
		case 2:
			f.line("%s X-Forwarded-For: %s, %s via=%s req=%s", ts, f.v("ip_address", g.ipv4()), f.v("ip_address", g.ipv4()), g.version(), g.uuid())
		case 3:
			f.line("%s remote_addr=::ffff:%s user_id=%d session=%s", ts, f.v("ip_address", g.ipv4()), g.between(1000, 999999), g.hex(32))
		default:
			f.line("%s health check from %s ok, build %s, commit %s", ts, f.v("ip_address", strings.ToUpper(g.ipv6())), g.version(), g.hex(40))
		}
	}
}

func ogContactsJSON(f *ogFile, _ int) {
	g := f.g
	f.line(`{"meta":{"exported":"%s","count":%d,"api":"%s"},"contacts":[`, g.timestamp().Format("2006-01-02T15:04:05Z"), 3, g.version())
	n := 3 + g.n(3)
	for i := 0; i < n; i++ {
		loc := f.loc()
		p := g.person(loc)
		e164 := strings.NewReplacer(" ", "", "-", "", "(0)", "", "(", "", ")", "").Replace(g.phone(loc.code, true))
		if strings.HasPrefix(e164, "00") {
			e164 = "+" + e164[2:]
		}
		sep := ","
		if i == n-1 {
			sep = ""
		}
		f.line(`  {"givenName":%s,"familyName":%s,"emails":[{"type":"work","value":%s},{"type":"home","value":%s}],"phoneNumbers":[{"type":"mobile","e164":%s}],"birthday":%s,"etag":"%s","resourceName":"people/c%s"}%s`,
			js(f.v("person_name", p.first)), js(f.v("person_name", p.last)), js(f.v("email", strings.ToUpper(p.email))),
			js(f.v("email", p.email)), js(f.v("phone_number", e164)), js(f.v("date_of_birth", p.dob.Format("2006-01-02"))), g.alnum(16), g.digits(19), sep)
	}
	f.line("]}")
}

func ogProfileHTML(f *ogFile, _ int) {
	g := f.g
	p := g.person(ogLocales[0])
	f.line(`<html><body><div class="vcard">`)
	f.line(`<dl><dt>Vorname</dt><dd>%s</dd><dt>Nachname</dt><dd>%s</dd><dt>Geburtsdatum</dt><dd>%s</dd></dl>`,
		f.v("person_name", p.first), f.v("person_name", p.last), f.v("date_of_birth", g.dob(p)))
	mob := g.phone("de", true)
	f.line(`<p>Mobil: <a href="tel:%s">%s</a></p>`, strings.ReplaceAll(mob, " ", ""), f.v("phone_number", mob))
	f.want["phone_number"]++ // the tel: link
	f.line(`<p>Büro: %s &middot; <a href="mailto:%s?subject=Anfrage%%20%s">E-Mail</a></p>`, f.v("phone_number", "+49 (0) "+g.one("171", "160", "176")+" "+g.nz()+g.digits(6)),
		f.v("email", p.email), g.orderNo())
	f.line(`<p class="legal">USt-IdNr. DE%s &middot; HRB %d &middot; Steuernummer %d/%d/%d</p>`, g.digits(9), g.between(1000, 99999),
		g.between(10, 99), g.between(100, 999), g.between(10000, 99999))
	f.line(`<script type="application/ld+json">{"@type":"Product","gtin13":"%s","sku":"%s","isbn":"%s"}</script></div></body></html>`, g.ean13(), g.digits(8), g.isbn13())
}

func ogHRNotes(f *ogFile, r int) {
	g := f.g
	en, de, it, nl := g.person(ogLocales[5]), g.person(ogLocales[0]), g.person(ogLocales[3]), g.person(ogLocales[4])
	f.line("HR notes, %s", g.timestamp().Format("2 January 2006"))
	f.line("- %s %s, D.O.B.: %s, NI No: %s, mob. %s", en.first, en.last, f.v("date_of_birth", en.dob.Format("02/01/2006")),
		f.v("uk_nino", g.nino(true)), f.v("phone_number", "+44 (0)"+g.phone("en", false)[1:]))
	f.line("- %s %s, geb. %s, Steueridentifikationsnummer %s, Tel. %s", de.first, de.last, f.v("date_of_birth", de.dob.Format("02.01.2006")),
		f.v("de_tax_id", g.steuerID(false)), f.v("phone_number", g.phone("de", false)))
	f.line("- %s %s, nata a Bologna il %s, codice fiscale %s, cell. %s", it.first, it.last, f.v("date_of_birth", it.dob.Format("02/01/2006")),
		f.v("it_fiscal_code", g.codiceFiscale(it, false)), f.v("phone_number", g.phone("it", false)))
	b := g.bsn(false)
	f.line("- %s %s, geboortedatum %s, BSN %s, tel. %s", nl.first, nl.last, f.v("date_of_birth", nl.dob.Format("02-01-2006")),
		f.v("nl_bsn", b[:4]+"."+b[4:6]+"."+b[6:]), f.v("phone_number", "+31 (0)"+g.phone("nl", false)[1:]))
	us := g.person(ogLocales[6])
	ssn := g.ssn(" ")
	if r%2 == 0 {
		ssn = strings.ReplaceAll(ssn, " ", "")
	}
	f.line("- %s %s, SSN %s, cell 1-%s, born %s", us.first, us.last, f.v("us_ssn", ssn),
		f.v("phone_number", strings.NewReplacer("(", "", ") ", "-", ".", "-").Replace(g.phone("us", false))), f.v("date_of_birth", us.dob.Format("January 2, 2006")))
	au := g.person(ogLocales[5])
	f.line("- %s %s (Sydney office), ph %s, mobile %s", au.first, au.last, f.v("phone_number", "(02) 9"+g.digits(3)+" "+g.digits(4)),
		f.v("phone_number", g.phone("au", g.chance(1, 2))))
	br := g.person(ogLocales[2])
	f.line("- %s %s (São Paulo), celular %s, e-mail %s.", br.first, br.last, f.v("phone_number", g.phone("br", g.chance(1, 2))), f.v("email", br.email))
	in := g.person(ogLocales[7])
	f.line("- %s %s, Aadhaar %s, mobile %s", in.first, in.last, f.v("in_aadhaar", g.aadhaar(false, true)), f.v("phone_number", g.phone("in", true)))
	f.line("Masked on purpose: Aadhaar XXXX XXXX %s, card **** **** **** %s, SSN ***-**-%s.", g.digits(4), g.digits(4), g.digits(4))
}

func ogConnStrings(f *ogFile, _ int) {
	g := f.g
	f.line(`{`)
	f.line(`  "ConnectionStrings": {`)
	f.line(`    "Default": "Server=%s,1433;Database=Crm;User Id=crm_app;Password=%s;TrustServerCertificate=True",`, f.v("ip_address", g.ipv4()), f.v("password", g.secret()))
	f.line(`    "Reporting": "jdbc:mysql://%s:3306/reports?user=report&password=%s&useSSL=true"`, f.v("ip_address", g.ipv4()), f.v("password", g.secret()))
	f.line(`  },`)
	f.line(`  "Smtp": { "Host": "smtp.office365.com", "User": %s, "Pwd": %s, "PasswordExpiryDays": %d },`, js(f.v("email", g.person(f.loc()).email)), js(f.v("password", g.secret())), g.between(30, 90))
	f.line(`  "Identity": { "PasswordHash": "$2y$10$%s", "PasswordResetTokenTtl": 3600, "AdminPassword": "" },`, g.alnum(53))
	f.line(`  "Serilog": { "MinimumLevel": "Information" }, "Version": "%s", "InstanceId": "%s"`, g.version(), g.uuid())
	f.line(`}`)
}

func ogCompose(f *ogFile, _ int) {
	g := f.g
	f.line("version: \"3.9\"\nservices:\n  db:\n    image: postgres:16.%d@sha256:%s\n    environment:", g.n(5), g.hex(64))
	f.line("      POSTGRES_USER: shop\n      POSTGRES_PASSWORD: %s\n      PGDATA: /var/lib/postgresql/data", f.v("password", g.secret()))
	f.line("  app:\n    image: registry.example.com/shop:%s\n    environment:\n      - SPRING_DATASOURCE_PASSWORD=%s\n      - MAIL_PASSWORD=${MAIL_PASSWORD}",
		g.version(), f.v("password", g.secret()))
	f.line("      - ALERT_SMS=%s\n    ports:\n      - \"%s:8080:8080\"", f.v("phone_number", g.phone(f.loc().code, true)), f.v("ip_address", g.ipv4()))
	f.line("    extra_hosts:\n      - \"ldap.corp:%s\"", f.v("ip_address", g.ipv4()))
}

// ogBusinessDecoys holds company, tax and product ids that share shapes
// with personal ones; none of them is personal data.
func ogBusinessDecoys(f *ogFile, _ int) {
	g := f.g
	luhn := func(body string) string { return body + string(ogLuhnDigit(body)) }
	siren := luhn(g.nz() + g.digits(7))
	siret := luhn(siren + g.digits(4))
	for i := 0; i < 14; i++ {
		switch g.n(14) {
		case 0:
			f.line("SIRET %s %s %s %s, SIREN %s %s %s", siret[:3], siret[3:6], siret[6:9], siret[9:], siren[:3], siren[3:6], siren[6:])
		case 1:
			f.line("USt-IdNr.: DE%s, Steuernummer %d/%d/%d, HRB %d", g.digits(9), g.between(10, 99), g.between(100, 999), g.between(10000, 99999), g.between(1000, 99999))
		case 2:
			f.line("Partita IVA IT%s, REA MI-%d", g.digits(11), g.between(100000, 999999))
		case 3:
			f.line("EIN %s-%s, ZIP %s-%s, DUNS %s-%s-%s", g.digits(2), g.digits(7), g.digits(5), g.digits(4), g.digits(2), g.digits(3), g.digits(4))
		case 4:
			f.line("Sort code %s-%s-%s, account %s, BIC %s%s%s", g.digits(2), g.digits(2), g.digits(2), g.digits(8), g.upper(4), g.one("DE", "GB", "FR", "NL"), g.upper(2))
		case 5:
			f.line("IMEI %s, EAN %s, ISBN %s", luhn("35"+g.digits(12)), g.ean13(), g.isbn13())
		case 6:
			f.line("KvK %s, RSIN %s, Companies House %s", g.digits(8), g.digits(9), g.one("SC", "NI", "OC")+g.digits(6))
		case 7:
			f.line("Kubernetes resourceVersion %d, generation %d, uid %s", g.between(100000000, 999999999), g.n(50), g.uuid())
		case 8:
			f.line("Masked card %s******%s, token tok_%s", g.one("453914", "542523", "371449"), g.digits(4), g.alnum(24))
		case 9:
			f.line("Windows build %s, KB%d, FILETIME %d", g.version(), g.between(4000000, 5999999), int64(133500000000000000)+int64(g.n(1e9)))
		case 10:
			f.line("CIF B%s, NIF de empresa A%s, CCC %s %s %s %s", g.digits(8), g.digits(8), g.digits(4), g.digits(4), g.digits(2), g.digits(10))
		case 11:
			f.line("Aktenzeichen %d O %d/%d, Vorgang %s-%s", g.between(1, 30), g.between(1, 999), g.between(20, 26), g.digits(4), g.digits(6))
		case 12:
			f.line("Batch %s, lot %s, expires %s, GTIN (01)%s(17)%s", g.digits(10), g.upper(2)+g.digits(6), g.timestamp().Format("2006-01"), "0"+g.digits(13), g.timestamp().Format("060102"))
		default:
			f.line("Trace %s span %s parent %s at %d ns", g.hex(32), g.hex(16), g.hex(16), int64(1760000000000000000)+int64(g.n(1e9)))
		}
	}
}

func ogPaymentsLog(f *ogFile, _ int) {
	g := f.g
	for i := 0; i < 5+g.n(5); i++ {
		ts := g.timestamp().Format("2006-01-02 15:04:05,000")
		switch g.n(4) {
		case 0:
			f.line("%s DEBUG PaymentGateway - authorize card=%s exp=%02d%02d amount=%d.%02d currency=EUR order=%s", ts, f.v("credit_card", strings.NewReplacer(" ", "", "-", "").Replace(g.card(false))),
				g.between(1, 12), g.between(27, 31), g.n(999), g.n(100), g.orderNo())
		case 1:
			f.line("%s WARN  PaymentGateway - declined pan=%s reason=LUHN_CHECK_FAILED ref=%s", ts, g.card(true), g.uuid())
		case 2:
			f.line("%s INFO  SepaExport - mandate %s debtor IBAN %s amount %d,%02d", ts, "MR"+g.digits(12), f.v("iban", g.iban(g.one("DE", "NL", "FR", "ES", "AT", "BE"), false, g.chance(1, 2))), g.n(999), g.n(100))
		default:
			f.line("%s INFO  PaymentGateway - settled batch %s (%d txns, terminal %s, stan %s)", ts, g.digits(12), g.n(500), g.digits(8), g.digits(6))
		}
	}
}

func ogSEPA(f *ogFile, _ int) {
	g := f.g
	f.line(`<?xml version="1.0" encoding="UTF-8"?>`)
	f.line(`<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn>`)
	f.line(`<GrpHdr><MsgId>%s</MsgId><CreDtTm>%s</CreDtTm><NbOfTxs>%d</NbOfTxs></GrpHdr>`, strings.ToUpper(g.hex(20)), g.timestamp().Format("2006-01-02T15:04:05"), 3)
	f.line(`<PmtInf><PmtInfId>%s</PmtInfId><DbtrAcct><Id><IBAN>%s</IBAN></Id></DbtrAcct><DbtrAgt><FinInstnId><BIC>%sDEFFXXX</BIC></FinInstnId></DbtrAgt>`,
		g.digits(10), f.v("iban", g.iban("DE", false, false)), g.upper(4))
	for i := 0; i < 2+g.n(4); i++ {
		f.line(`<CdtTrfTxInf><PmtId><EndToEndId>%s</EndToEndId></PmtId><Amt><InstdAmt Ccy="EUR">%d.%02d</InstdAmt></Amt><CdtrAcct><Id><IBAN>%s</IBAN></Id></CdtrAcct><RmtInf><Ustrd>Rechnung %s</Ustrd></RmtInf></CdtTrfTxInf>`,
			"E2E-"+g.digits(12), g.n(5000), g.n(100), f.v("iban", g.iban(g.one("DE", "FR", "NL", "ES", "AT", "BE", "PL"), false, false)), g.orderNo())
	}
	f.line(`</PmtInf></CstmrCdtTrfInitn></Document>`)
}
