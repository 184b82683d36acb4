package evalcorpus

// The organisation-shapes corpus: files in the shapes organisations keep
// personal data in — nested JSON and JSONL exports, YAML, INI, .env and
// .properties configs, XML and HTML, SQL dumps, e-mail with headers,
// Markdown tables, nginx/syslog/Java logs, CSVs in every dialect with
// headers in six languages, letters in six languages, credentials files —
// each holding checksum-failing decoys and look-alikes (order numbers,
// versions, timestamps, UUIDs, hashes, ISBNs, tracking numbers) beside the
// values. Generated (orgvalues.go), deterministic per seed, labelled by
// count per file; scored through the agent's file scanner.
//
// Decisions, made before measuring and kept with the earlier rounds':
// person_name only under a key or column naming a name part (each part
// counts; a bare "Name"/"Nom"/"Nome"/"Nombre" is not); an AWS secret
// access key and a password under a key named for passwords count as
// password, a ${PLACEHOLDER}, a hash or a length/expiry setting do not; a
// URL-encoded address in a query string is still an e-mail address; a
// Message-ID and a Sentry DSN's key@host are not; values failing their
// check are nothing, even under a column named for them.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
)

type ogFile struct {
	g    og
	b    strings.Builder
	want map[string]int
}

func (f *ogFile) v(typ, s string) string {
	f.want[typ]++
	return s
}

func (f *ogFile) line(format string, a ...any) { fmt.Fprintf(&f.b, format+"\n", a...) }

// OrgShapes returns rounds × one file of every shape.
func OrgShapes(seed uint64, rounds int) []HeldOutFile {
	g := og{rand.New(rand.NewPCG(seed, 0x0a9e))}
	shapes := []struct {
		name string
		fn   func(*ogFile, int)
	}{
		{"users.jsonl", ogJSONL}, {"export.json", ogJSONExport}, {"application.yml", ogYAML}, {"app.env", ogDotEnv},
		{"my.ini", ogINI}, {"application.properties", ogProperties}, {"customers.xml", ogXML}, {"team.html", ogHTML},
		{"dump.sql", ogSQL}, {"message.eml", ogMail}, {"README.md", ogMarkdown}, {"access.log", ogNginx},
		{"auth.log", ogSyslog}, {"app.log", ogJavaLog}, {"letter.txt", ogLetter}, {"decoys.txt", ogDecoys},
		{"credentials", ogAWSCreds}, {"keys.txt", ogKeys},
	}
	var out []HeldOutFile
	for r := 0; r < rounds; r++ {
		for _, s := range shapes {
			f := &ogFile{g: g, want: map[string]int{}}
			s.fn(f, r)
			name := fmt.Sprintf("r%02d-%s", r, s.name)
			if s.name == "app.env" {
				name = fmt.Sprintf("r%02d/.env", r)
			}
			if s.name == "credentials" {
				name = fmt.Sprintf("r%02d/.aws/credentials", r)
			}
			out = append(out, HeldOutFile{name, []byte(f.b.String()), f.want})
		}
		for _, s := range append(append([]struct {
			name string
			fn   func(*ogFile, int)
		}{}, ogShapes2...), ogShapes3...) {
			f := &ogFile{g: g, want: map[string]int{}}
			s.fn(f, r)
			out = append(out, HeldOutFile{fmt.Sprintf("r%02d-%s", r, s.name), []byte(f.b.String()), f.want})
		}
		for _, d := range ogDialects {
			f := &ogFile{g: g, want: map[string]int{}}
			ogCSV(f, d)
			out = append(out, HeldOutFile{fmt.Sprintf("r%02d-%s.%s", r, d.loc, d.ext), []byte(f.b.String()), f.want})
		}
	}
	return out
}

func (f *ogFile) loc() ogLocale { return ogLocales[f.g.n(len(ogLocales))] }

func js(s string) string { b, _ := json.Marshal(s); return string(b) }

func ogJSONL(f *ogFile, _ int) {
	g := f.g
	for i := 0; i < 6+g.n(6); i++ {
		p := g.person(f.loc())
		ts := g.timestamp()
		card := `null`
		if g.chance(2, 3) {
			card = fmt.Sprintf(`{"number":%s,"expiry":"%02d/%02d","brand":"%s","last_auth":"%s"}`, js(f.v("credit_card", g.card(false))),
				g.between(1, 12), g.between(27, 31), g.one("visa", "mc", "amex"), g.digits(6))
		} else if g.chance(1, 2) {
			card = fmt.Sprintf(`{"number":%s,"status":"rejected_luhn"}`, js(g.card(true)))
		}
		f.line(`{"id":%s,"created_at":"%s","profile":{"first_name":%s,"last_name":%s,"birth_date":%s,"contact":{"email":%s,"phone":%s,"mobile_verified":true}},"billing":{"iban":%s,"card":%s},"client":{"ip":%s,"ua":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/%d.0.%d.%d Safari/537.36"},"order":{"number":"%s","tracking":"%s","total":"%d.%02d"},"app":"%s"}`,
			js(g.uuid()), ts.Format("2006-01-02T15:04:05Z"), js(f.v("person_name", p.first)), js(f.v("person_name", p.last)),
			js(f.v("date_of_birth", p.dob.Format("2006-01-02"))), js(f.v("email", p.email)), js(f.v("phone_number", g.phone(p.loc.code, true))),
			js(f.v("iban", g.ibanFor(p.loc.code, false))), card, js(f.v("ip_address", g.ipv4())),
			g.between(100, 131), g.between(5000, 6999), g.between(10, 250), g.orderNo(), g.tracking(), g.n(900), g.n(100), g.version())
	}
}

func ogJSONExport(f *ogFile, _ int) {
	g := f.g
	type entry = map[string]any
	var rows []entry
	for i := 0; i < 4+g.n(5); i++ {
		loc := ogLocales[g.n(5)] // de fr es it nl
		p := g.person(loc)
		id := map[string]string{}
		switch loc.code {
		case "de":
			id["steuer_id"] = f.v("de_tax_id", g.steuerID(false))
		case "fr":
			id["numero_securite_sociale"] = f.v("fr_nir", g.nir(false))
		case "es":
			id["dni"] = f.v("es_dni", g.dni(false))
		case "it":
			id["codice_fiscale"] = f.v("it_fiscal_code", g.codiceFiscale(p, false))
		case "nl":
			id["bsn"] = f.v("nl_bsn", g.bsn(false))
		}
		id["kundennummer"] = "K-" + g.digits(7)
		rows = append(rows, entry{
			"vorname": f.v("person_name", p.first), "nachname": f.v("person_name", p.last),
			"geburtsdatum": f.v("date_of_birth", g.dob(p)),
			"kontakt":      entry{"email": f.v("email", p.email), "telefon": f.v("phone_number", g.phone(loc.code, g.chance(1, 2)))},
			"bank":         entry{"iban": f.v("iban", g.ibanFor(loc.code, false)), "mandatsreferenz": "MR-" + g.digits(10)},
			"ausweis":      id,
			"meta":         entry{"sha256": g.hex(64), "geaendert": g.timestamp().Format("2006-01-02T15:04:05.000Z"), "schema": g.version()},
		})
	}
	b, _ := json.MarshalIndent(entry{"export": entry{"erstellt": g.timestamp().Format("02.01.2006 15:04"), "kunden": rows}}, "", "  ")
	f.b.Write(b)
	f.b.WriteByte('\n')
}

func ogYAML(f *ogFile, _ int) {
	g := f.g
	f.line("# generated by deploy pipeline build %s (commit %s)", g.version(), g.hex(40))
	f.line("server:\n  port: %d\n  address: %s", g.between(8000, 9000), f.v("ip_address", g.ipv4()))
	f.line("spring:\n  datasource:\n    url: jdbc:postgresql://%s:5432/crm\n    username: crm_app\n    password: %s", f.v("ip_address", g.ipv4()), f.v("password", g.secret()))
	f.line("  mail:\n    host: smtp.%s\n    username: %s\n    password: \"%s\"", g.one("office365.com", "mailgun.org", "sendgrid.net"), f.v("email", g.person(f.loc()).email), f.v("password", g.secret()))
	f.line("  redis:\n    password: ${REDIS_PASSWORD}\n    timeout: 2000ms")
	f.line("security:\n  password-min-length: %d\n  password-expiry-days: %d\n  lockout-after: 5", g.between(8, 16), g.between(30, 180))
	f.line("cloud:\n  aws:\n    credentials:\n      access-key: %s\n      secret-key: %s\n    region: eu-central-1", f.v("aws_access_key", g.awsKey()), f.v("password", g.awsSecret()))
	f.line("app:\n  support:\n    email: %s\n    phone: \"%s\"", f.v("email", g.person(f.loc()).email), f.v("phone_number", g.phone(f.loc().code, true)))
	f.line("  release: %s\n  instance-id: %s\n  build-time: %s", g.version(), g.uuid(), g.timestamp().Format("2006-01-02T15:04:05Z"))
	f.line("  allowed-networks:\n    - %s/24\n    - %s", f.v("ip_address", g.ipv4()), f.v("ip_address", g.ipv6()))
}

func ogDotEnv(f *ogFile, _ int) {
	g := f.g
	f.line("APP_ENV=production\nAPP_VERSION=%s\nAPP_KEY=base64:%s=", g.version(), g.alnum(43))
	f.line("DB_HOST=%s\nDB_PORT=3306\nDB_USERNAME=forge\nDB_PASSWORD=%s", f.v("ip_address", g.ipv4()), f.v("password", g.secret()))
	f.line("MAIL_FROM_ADDRESS=%s\nMAIL_PASSWORD='%s'", f.v("email", g.person(f.loc()).email), f.v("password", g.secret()))
	f.line("AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\nAWS_DEFAULT_REGION=eu-west-1", f.v("aws_access_key", g.awsKey()), f.v("password", g.awsSecret()))
	f.line("SENTRY_DSN=https://%s@o%d.ingest.sentry.io/%d", g.hex(32), g.between(100000, 999999), g.between(1000000, 9999999))
	f.line("REDIS_PASSWORD=\nPUSHER_APP_ID=%d\nSESSION_LIFETIME=120\nPASSWORD_TIMEOUT=10800", g.between(1000000, 9999999))
	f.line("OPS_ONCALL_PHONE=\"%s\"\nBUILD_SHA=%s", f.v("phone_number", g.phone(f.loc().code, true)), g.hex(40))
}

func ogINI(f *ogFile, _ int) {
	g := f.g
	f.line("; MySQL client options, managed by ansible %s", g.version())
	f.line("[client]\nuser = backup\npassword = %s\nhost = %s\nport = 3306", f.v("password", g.secret()), f.v("ip_address", g.ipv4()))
	f.line("\n[mysqldump]\nquick\nmax_allowed_packet = 64M\n\n[mysqld]\nbind-address = %s\nserver-id = %d\nvalidate_password.length = %d",
		f.v("ip_address", g.ipv4()), g.between(1, 99), g.between(8, 14))
	f.line("\n[dhcp]\npool = %s-%s", f.v("ip_address", g.ipv4()), f.v("ip_address", g.ipv4()))
	f.line("\n[alerts]\nnotify = %s\nsms = %s\nlast_run = %s", f.v("email", g.person(f.loc()).email), f.v("phone_number", g.phone(f.loc().code, true)),
		g.timestamp().Format("2006-01-02 15:04:05"))
}

func ogProperties(f *ogFile, _ int) {
	g := f.g
	f.line("# %s", g.timestamp().Format("Mon Jan 02 15:04:05 MST 2006"))
	f.line("spring.datasource.url=jdbc:mysql://%s:3306/shop?useSSL=true", f.v("ip_address", g.ipv4()))
	f.line("spring.datasource.username=shop\nspring.datasource.password=%s", f.v("password", g.secret()))
	f.line("spring.mail.username=%s\nspring.mail.password=%s", f.v("email", g.person(f.loc()).email), f.v("password", g.secret()))
	f.line("info.app.version=%s\ninfo.build.number=%d\nmanagement.server.port=8081", g.version(), g.between(1000, 99999))
	f.line("app.hotline=%s", f.v("phone_number", g.phone(f.loc().code, true)))
	f.line("keystore.password=${KEYSTORE_PASS}\nui.password.minLength=%d", g.between(8, 16))
}

func ogXML(f *ogFile, _ int) {
	g := f.g
	f.line(`<?xml version="1.0" encoding="UTF-8"?>`)
	f.line(`<customers exported="%s" schemaVersion="%s">`, g.timestamp().Format("2006-01-02T15:04:05"), g.version())
	for i := 0; i < 3+g.n(5); i++ {
		p := g.person(ogLocales[6]) // US customers
		f.line(`  <customer id="%s" guid="%s">`, g.digits(6), g.uuid())
		f.line(`    <firstName>%s</firstName>`, f.v("person_name", p.first))
		f.line(`    <lastName>%s</lastName>`, f.v("person_name", p.last))
		f.line(`    <email>%s</email>`, f.v("email", p.email))
		f.line(`    <phone type="home">%s</phone>`, f.v("phone_number", g.phone("us", g.chance(1, 3))))
		f.line(`    <dateOfBirth>%s</dateOfBirth>`, f.v("date_of_birth", p.dob.Format("2006-01-02")))
		if g.chance(3, 4) {
			f.line(`    <ssn>%s</ssn>`, f.v("us_ssn", g.ssn(g.one("-", "-", ""))))
		} else {
			f.line(`    <ssn>%s</ssn>`, g.badSSN())
		}
		f.line(`    <lastOrder number="%s" placed="%s"/>`, g.orderNo(), g.timestamp().Format("2006-01-02"))
		f.line(`  </customer>`)
	}
	f.line(`</customers>`)
}

func ogHTML(f *ogFile, _ int) {
	g := f.g
	f.line("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Team</title></head><body>")
	f.line("<h1>Our team</h1>\n<table class=\"staff\">\n<thead><tr><th>First name</th><th>Last name</th><th>E-mail</th><th>Direct line</th></tr></thead><tbody>")
	for i := 0; i < 3+g.n(4); i++ {
		p := g.person(ogLocales[5])
		f.line("<tr><td>%s</td><td>%s</td><td><a href=\"mailto:%s\">%s</a></td><td>%s</td></tr>", f.v("person_name", p.first), f.v("person_name", p.last),
			p.email, f.v("email", p.email), f.v("phone_number", g.phone("en", true)))
		f.want["email"]++ // the mailto: link is a second occurrence
	}
	f.line("</tbody></table>")
	p := g.person(ogLocales[5])
	f.line("<footer><p>Data protection officer: <a href=\"mailto:%s\">write to us</a>, tel. %s</p>", f.v("email", p.email), f.v("phone_number", g.phone("en", false)))
	f.line("<p>ISBN %s &middot; build %s &middot; <span data-id=\"%s\">v%s</span></p></footer></body></html>", g.isbn13(), g.hex(12), g.uuid(), g.version())
}

func ogSQL(f *ogFile, _ int) {
	g := f.g
	f.line("-- MySQL dump 10.13  Distrib 8.0.%d, for Linux (x86_64)\n-- Host: %s    Database: crm", g.between(20, 40), f.v("ip_address", g.ipv4()))
	f.line("CREATE TABLE `customers` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  `first_name` varchar(64),\n  `last_name` varchar(64),\n  `email` varchar(255),\n  `phone` varchar(32),\n  `birth_date` date,\n  `ssn` char(11),\n  `card_number` varchar(23),\n  `last_login_ip` varchar(45),\n  `created_at` datetime,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;")
	f.b.WriteString("INSERT INTO `customers` VALUES ")
	n := 4 + g.n(6)
	for i := 0; i < n; i++ {
		p := g.person(ogLocales[6])
		ssn, card := "NULL", "NULL"
		if g.chance(2, 3) {
			ssn = "'" + f.v("us_ssn", g.ssn("-")) + "'"
		}
		if g.chance(2, 3) {
			card = "'" + f.v("credit_card", g.card(false)) + "'"
		} else if g.chance(1, 2) {
			card = "'" + g.card(true) + "'"
		}
		sep := ","
		if i == n-1 {
			sep = ";\n"
		}
		fmt.Fprintf(&f.b, "(%d,'%s','%s','%s','%s','%s',%s,%s,'%s','%s')%s", 1000+i, f.v("person_name", p.first), f.v("person_name", strings.ReplaceAll(p.last, "'", "\\'")),
			f.v("email", p.email), f.v("phone_number", g.phone("us", false)), f.v("date_of_birth", p.dob.Format("2006-01-02")), ssn, card,
			f.v("ip_address", g.ipv4()), g.timestamp().Format("2006-01-02 15:04:05"), sep)
	}
	f.line("INSERT INTO `orders` (`id`,`number`,`tracking`,`placed_at`,`total`) VALUES (1,'%s','%s','%s',%d.%02d),(2,'%s','%s','%s',%d.%02d);",
		g.orderNo(), g.tracking(), g.timestamp().Format("2006-01-02 15:04:05"), g.n(999), g.n(100), g.orderNo(), g.tracking(), g.timestamp().Format("2006-01-02 15:04:05"), g.n(999), g.n(100))
}

var ogMailText = map[string][3]string{
	"de": {"Hallo %s,\n\nanbei die Unterlagen. Sie erreichen mich unter Tel. %s.\nBitte überweisen Sie auf IBAN %s.\nBestellnummer %s, Sendungsnummer %s.", "Mit freundlichen Grüßen", "geboren am"},
	"fr": {"Bonjour %s,\n\nvous pouvez me joindre au %s.\nMerci de virer le montant sur l'IBAN %s.\nCommande n° %s, suivi colis %s.", "Cordialement", "né le"},
	"es": {"Hola %s:\n\npuede llamarme al teléfono %s.\nPor favor, transfiera a la cuenta IBAN %s.\nPedido %s, número de seguimiento %s.", "Un saludo", "nacido el"},
	"it": {"Gentile %s,\n\nmi può contattare al numero di telefono %s.\nLa preghiamo di effettuare il bonifico sull'IBAN %s.\nOrdine n. %s, spedizione %s.", "Cordiali saluti", "nato il"},
	"nl": {"Beste %s,\n\nu kunt mij bereiken op telefoonnummer %s.\nGraag overmaken naar IBAN %s.\nBestelnummer %s, track & trace %s.", "Met vriendelijke groet", "geboren op"},
	"en": {"Hi %s,\n\nyou can reach me on my mobile %s.\nPlease pay into IBAN %s.\nOrder %s, tracking number %s.", "Kind regards", "born on"},
}

func ogMail(f *ogFile, _ int) {
	g := f.g
	locs := []string{"de", "fr", "es", "it", "nl", "en"}
	code := locs[g.n(len(locs))]
	var loc ogLocale
	for _, l := range ogLocales {
		if l.code == code {
			loc = l
		}
	}
	from, to, cc := g.person(loc), g.person(loc), g.person(loc)
	ts := g.timestamp()
	f.line("Return-Path: <%s>", f.v("email", from.email))
	f.line("Received: from mail.%s (mail.%s [%s])\n\tby mx.corp.internal (Postfix) with ESMTPS id %s\n\tfor <%s>; %s",
		from.email[strings.IndexByte(from.email, '@')+1:], from.email[strings.IndexByte(from.email, '@')+1:], f.v("ip_address", g.ipv4()), g.upper(10), f.v("email", to.email), ts.Format("Mon, 2 Jan 2006 15:04:05 -0700"))
	f.line("Message-ID: <%s.%s@mail.gmail.com>", g.hex(16), g.digits(10))
	f.line("Date: %s\nFrom: \"%s %s\" <%s>\nTo: %s <%s>\nCc: %s", ts.Format("Mon, 2 Jan 2006 15:04:05 -0700"), from.first, from.last, f.v("email", from.email),
		to.first, f.v("email", to.email), f.v("email", cc.email))
	f.line("Subject: Re: %s\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nX-Mailer: Thunderbird %s\n", g.orderNo(), g.version())
	t := ogMailText[code]
	f.line(t[0], to.first, f.v("phone_number", g.phone(code, g.chance(1, 2))), f.v("iban", g.ibanFor(code, false)), g.orderNo(), g.tracking())
	f.line("\n%s\n%s %s\n%s", t[1], from.first, from.last, f.v("email", from.email))
}

func ogMarkdown(f *ogFile, _ int) {
	g := f.g
	f.line("# On-call rota\n\nLast updated %s, release %s.\n", g.timestamp().Format("2006-01-02"), g.version())
	headers := [][5]string{{"Vorname", "Nachname", "E-Mail", "Mobil", "Geburtsdatum"}, {"First name", "Surname", "Email", "Mobile", "Date of birth"},
		{"Voornaam", "Achternaam", "E-mail", "Mobiel", "Geboortedatum"}}
	locs := []int{0, 5, 4}
	k := g.n(3)
	h := headers[k]
	f.line("| %s | %s | %s | %s | %s | Ticket |\n|---|---|---|---|---|---|", h[0], h[1], h[2], h[3], h[4])
	for i := 0; i < 3+g.n(5); i++ {
		p := g.person(ogLocales[locs[k]])
		f.line("| %s | %s | %s | %s | %s | INC%s |", f.v("person_name", p.first), f.v("person_name", p.last), f.v("email", p.email),
			f.v("phone_number", g.phone(p.loc.code, false)), f.v("date_of_birth", g.dob(p)), g.digits(7))
	}
	f.line("\n## Releases\n\n| Version | Date | Commit |\n|---|---|---|")
	for i := 0; i < 3; i++ {
		f.line("| %s | %s | %s |", g.version(), g.timestamp().Format("2006-01-02"), g.hex(7))
	}
}

func ogNginx(f *ogFile, _ int) {
	g := f.g
	for i := 0; i < 10+g.n(10); i++ {
		ts := g.timestamp()
		ip := g.ipv4()
		if g.chance(1, 5) {
			ip = g.ipv6()
		}
		path := g.one("/api/v2/orders/"+g.orderNo(), "/static/app."+g.hex(8)+".js", "/health", "/product/"+g.isbn13(), "/track?id="+g.tracking())
		if g.chance(1, 6) {
			p := g.person(f.loc())
			path = "/newsletter/unsubscribe?email=" + strings.Replace(p.email, "@", "%40", 1) + "&t=" + g.hex(16)
			f.want["email"]++
		}
		f.line(`%s - - [%s] "GET %s HTTP/1.1" %s %d "-" "Mozilla/5.0 (X11; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%d.0" rt=%d.%03d uct="0.00%d"`,
			f.v("ip_address", ip), ts.Format("02/Jan/2006:15:04:05 -0700"), path, g.one("200", "304", "404", "502"), g.n(90000),
			g.between(100, 130), g.between(100, 130), g.n(3), g.n(1000), g.n(10))
	}
}

func ogSyslog(f *ogFile, _ int) {
	g := f.g
	for i := 0; i < 8+g.n(8); i++ {
		ts := g.timestamp().Format("Jan _2 15:04:05")
		switch g.n(5) {
		case 0:
			f.line("%s web01 sshd[%d]: Accepted publickey for deploy from %s port %d ssh2: ED25519 SHA256:%s", ts, g.between(1000, 99999), f.v("ip_address", g.ipv4()), g.between(30000, 65000), g.alnum(43))
		case 1:
			f.line("%s web01 sshd[%d]: Failed password for invalid user admin from %s port %d ssh2", ts, g.between(1000, 99999), f.v("ip_address", g.ipv4()), g.between(30000, 65000))
		case 2:
			f.line("%s mx1 postfix/smtp[%d]: %s: to=<%s>, relay=mx.%s[%s]:25, delay=%d.%d, dsn=2.0.0, status=sent (250 2.0.0 OK %s)", ts, g.between(1000, 99999), g.upper(10),
				f.v("email", g.person(f.loc()).email), g.one("web.de", "gmx.net", "orange.fr"), f.v("ip_address", g.ipv4()), g.n(9), g.n(99), g.digits(10))
		case 3:
			f.line("%s web01 kernel: [%d.%06d] UFW BLOCK IN=eth0 OUT= SRC=%s DST=%s LEN=%d TTL=%d ID=%d PROTO=TCP SPT=%d DPT=22", ts, g.n(99999), g.n(999999),
				f.v("ip_address", g.ipv4()), f.v("ip_address", g.ipv4()), g.between(40, 1500), g.between(30, 128), g.n(65535), g.between(1024, 65535))
		default:
			f.line("%s web01 systemd[1]: Started session %d of user deploy (build %s, unit %s).", ts, g.between(100, 9999), g.version(), g.uuid())
		}
	}
}

func ogJavaLog(f *ogFile, _ int) {
	g := f.g
	for i := 0; i < 3+g.n(3); i++ {
		ts := g.timestamp().Format("2006-01-02 15:04:05.000")
		p := g.person(f.loc())
		f.line("%s  INFO %d --- [nio-8080-exec-%d] c.a.crm.web.RequestLogger : POST /api/customers from %s user=%s txn=%s", ts, g.between(1000, 9999), g.between(1, 20),
			f.v("ip_address", g.ipv4()), f.v("email", p.email), g.uuid())
		f.line("%s ERROR %d --- [nio-8080-exec-%d] c.a.crm.service.CustomerService : update failed for customer %s", ts, g.between(1000, 9999), g.between(1, 20), g.digits(7))
		f.line("org.springframework.dao.DataIntegrityViolationException: could not execute statement; SQL [n/a]; constraint [uk_customer_email]")
		f.line("\tat com.acme.crm.service.CustomerService.update(CustomerService.java:%d) ~[classes/:%s]", g.between(40, 900), g.version())
		f.line("\tat jdk.internal.reflect.GeneratedMethodAccessor%d.invoke(Unknown Source) ~[na:na]", g.between(100, 999))
		f.line("\tat org.springframework.aop.support.AopUtils.invokeJoinpointUsingReflection(AopUtils.java:%d) ~[spring-aop-6.1.%d.jar:6.1.%d]", g.between(300, 400), g.n(15), g.n(15))
		f.line("Caused by: org.postgresql.util.PSQLException: ERROR: duplicate key value violates unique constraint \"uk_customer_email\"\n  Detail: Key (email)=(%s) already exists.", f.v("email", p.email))
		f.line("\tat org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:%d) ~[postgresql-42.7.%d.jar:42.7.%d]", g.between(2000, 2800), g.n(9), g.n(9))
		f.line("\t... %d common frames omitted", g.between(20, 120))
		f.line("%s  WARN %d --- [   scheduling-1] c.a.crm.jobs.Sync : retry %d/5 for batch %s (took %d ms, heap %d MB)", ts, g.between(1000, 9999), g.between(1, 5), g.hex(24), g.n(99999), g.n(4096))
	}
}

var ogLetters = map[string][]string{
	"de": {"Sehr geehrte Damen und Herren,", "hiermit beantrage ich die Änderung meiner Daten. Ich bin %s geboren (Geburtsdatum: %s).",
		"Meine Steuer-ID lautet %s, meine neue Rufnummer %s, E-Mail %s.", "Die Erstattung bitte auf mein Konto IBAN %s.",
		"Ihre Rechnung Nr. %s vom %s habe ich erhalten; das Paket %s kam am %s an.", "Mit freundlichen Grüßen"},
	"fr": {"Madame, Monsieur,", "je soussigné(e), né(e) le %s, demande la mise à jour de mon dossier (date de naissance : %s).",
		"Mon numéro de sécurité sociale est le %s, mon téléphone %s, mon courriel %s.", "Merci de verser le remboursement sur l'IBAN %s.",
		"Votre facture n° %s du %s est bien reçue ; le colis %s est arrivé le %s.", "Veuillez agréer mes salutations distinguées."},
	"es": {"Estimados señores:", "solicito la actualización de mis datos. Nací el %s (fecha de nacimiento: %s).",
		"Mi DNI es %s, mi teléfono %s y mi correo %s.", "Les ruego ingresen el reembolso en la cuenta IBAN %s.",
		"He recibido su factura n.º %s del %s; el paquete %s llegó el %s.", "Atentamente,"},
	"it": {"Spettabile ufficio,", "chiedo l'aggiornamento dei miei dati. Sono nato il %s (data di nascita: %s).",
		"Il mio codice fiscale è %s, il mio cellulare %s, la mia e-mail %s.", "Vi prego di accreditare il rimborso sull'IBAN %s.",
		"Ho ricevuto la vostra fattura n. %s del %s; il pacco %s è arrivato il %s.", "Distinti saluti"},
	"nl": {"Geachte heer/mevrouw,", "graag wijzig ik mijn gegevens. Ik ben geboren op %s (geboortedatum: %s).",
		"Mijn BSN is %s, mijn telefoonnummer %s en mijn e-mailadres %s.", "Wilt u de terugbetaling overmaken naar IBAN %s?",
		"Uw factuur nr. %s van %s heb ik ontvangen; pakket %s is op %s bezorgd.", "Met vriendelijke groet,"},
	"us": {"To whom it may concern,", "I am writing to update my records. I was born on %s (date of birth: %s).",
		"My Social Security number is %s, my phone %s and my e-mail %s.", "Please send the refund to my UK account, IBAN %s.",
		"I received your invoice no. %s dated %s; package %s arrived on %s.", "Sincerely,"},
}

func ogLetter(f *ogFile, r int) {
	g := f.g
	codes := []string{"de", "fr", "es", "it", "nl", "us"}
	code := codes[r%len(codes)]
	var loc ogLocale
	for _, l := range ogLocales {
		if l.code == code {
			loc = l
		}
	}
	p := g.person(loc)
	t := ogLetters[code]
	var id string
	switch code {
	case "de":
		id = f.v("de_tax_id", g.steuerID(false))
		if g.chance(1, 2) {
			id = id[:2] + " " + id[2:5] + " " + id[5:8] + " " + id[8:]
		}
	case "fr":
		id = f.v("fr_nir", g.nir(false))
	case "es":
		id = f.v("es_dni", g.dni(false))
	case "it":
		id = f.v("it_fiscal_code", g.codiceFiscale(p, false))
	case "nl":
		id = f.v("nl_bsn", g.bsn(false))
	case "us":
		id = f.v("us_ssn", g.ssn("-"))
	}
	city := map[string]string{"de": "Bielefeld, 3. März 2026", "fr": "Lyon, le 3 mars 2026", "es": "Zaragoza, 3 de marzo de 2026",
		"it": "Bologna, 3 marzo 2026", "nl": "Utrecht, 3 maart 2026", "us": "Columbus, OH, March 3, 2026"}[code]
	f.line("%s\n\n%s %s\n%s", city, p.first, p.last, t[0])
	// the birth date twice: in words and in the parenthesis
	f.want["date_of_birth"] += 2
	f.line(t[1], g.dob(p), p.dob.Format(map[string]string{"de": "02.01.2006", "us": "01/02/2006", "nl": "02-01-2006"}[code]+ifEmpty(code, "02/01/2006")))
	f.line(t[2], id, f.v("phone_number", g.phone(code, g.chance(1, 2))), f.v("email", p.email))
	f.line(t[3], f.v("iban", g.ibanFor(code, false)))
	inv := g.timestamp()
	f.line(t[4], g.orderNo(), inv.Format("02.01.2006"), g.tracking(), inv.AddDate(0, 0, 3).Format("02/01/2006"))
	f.line("%s\n%s %s", t[5], p.first, p.last)
}

func ifEmpty(code, def string) string {
	switch code {
	case "de", "us", "nl":
		return ""
	}
	return def
}

// ogDecoys is a file of look-alikes and of values failing their check,
// each under the words that would make it count if it were valid.
func ogDecoys(f *ogFile, _ int) {
	g := f.g
	f.line("Release notes %s (build %s, %s)", g.version(), g.hex(40), g.timestamp().Format("2006-01-02T15:04:05Z"))
	for i := 0; i < 12; i++ {
		switch g.n(16) {
		case 0:
			f.line("Card on file rejected (checksum): %s", g.card(true))
		case 1:
			f.line("IBAN %s failed validation, please re-enter", g.iban(g.one("DE", "FR", "NL", "GB", "ES", "BE"), true, g.chance(1, 2)))
		case 2:
			f.line("SSN field contained %s (invalid, rejected)", g.badSSN())
		case 3:
			f.line("NINO %s rejected by HMRC prefix check", g.badNino())
		case 4:
			f.line("Steuer-ID %s ungültig (Prüfziffer)", g.steuerID(true))
		case 5:
			f.line("BSN %s voldoet niet aan de elfproef", g.bsn(true))
		case 6:
			f.line("Aadhaar %s failed Verhoeff check", g.aadhaar(true, g.chance(1, 2)))
		case 7:
			f.line("DNI %s: letra de control incorrecta", g.dni(true))
		case 8:
			f.line("NIR %s : clé invalide", g.nir(true))
		case 9:
			f.line("AWS key id %s is malformed", g.badAWSKey())
		case 10:
			f.line("ISBN %s, order %s, shipment %s", g.isbn13(), g.orderNo(), g.tracking())
		case 11:
			f.line("request %s took %d ms; sha256=%s", g.uuid(), g.n(5000), g.hex(64))
		case 12:
			f.line("Upgraded agent from %s to %s at %d (epoch ms %d)", g.version(), g.version(), 1760000000+g.n(9999999), int64(1760000000000)+int64(g.n(999999999)))
		case 13:
			f.line("Rechnungsnummer: 0%s %s; Kundennummer %s", g.one("30", "89", "40"), g.digits(8), g.digits(10))
		case 14:
			f.line("Codice fiscale %s non valido (carattere di controllo)", g.codiceFiscale(g.person(ogLocales[3]), true))
		default:
			f.line("OID %d.%d.%d.%d.%d.%d.%d; serial %s; SKU %s-%s", 1, 3, 6, 1, 4, 1, g.between(1000, 60000), strings.ToUpper(g.hex(20)), g.upper(3), g.digits(6))
		}
	}
	f.line("")
	f.line("%s", strings.Join(g.pem("CERTIFICATE"), "\n"))
	f.line("%s", strings.Join(g.pem("PUBLIC KEY"), "\n"))
}

func ogAWSCreds(f *ogFile, _ int) {
	g := f.g
	f.line("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = eu-central-1", f.v("aws_access_key", g.awsKey()), f.v("password", g.awsSecret()))
	f.line("\n[profile ci]\naws_access_key_id = %s\naws_secret_access_key = %s\noutput = json", f.v("aws_access_key", g.awsKey()), f.v("password", g.awsSecret()))
	f.line("\n[profile docs]\n# the documentation's example pair\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
}

func ogKeys(f *ogFile, _ int) {
	g := f.g
	kinds := []string{"RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"}
	f.line("# deploy bundle %s, generated %s", g.version(), g.timestamp().Format(timeRFC3339))
	f.line("%s", strings.Join(g.pem("CERTIFICATE"), "\n"))
	f.v("private_key", "")
	f.line("%s", strings.Join(g.pem(kinds[g.n(len(kinds))]), "\n"))
	// a key inside a JSON string, as secrets managers export them
	f.v("private_key", "")
	f.line(`{"name":"ingress-tls","type":"kubernetes.io/tls","tls.key":%s,"fingerprint":"%s"}`, js(strings.Join(g.pem(kinds[g.n(3)]), "\n")+"\n"), g.hex(40))
}

const timeRFC3339 = "2006-01-02T15:04:05Z07:00"

type ogDialect struct {
	loc, ext string
	sep      string
	header   []string
}

// CSV headers per language: first, last, email, phone, birth date, IBAN,
// national id, and the decoy columns order number, created, amount, version.
var ogDialects = []ogDialect{
	{"en", "csv", ",", []string{"first_name", "last_name", "email", "phone", "date_of_birth", "iban", "ssn", "order_no", "created", "amount", "client_version"}},
	{"de", "csv", ";", []string{"Vorname", "Nachname", "E-Mail", "Telefon", "Geburtsdatum", "IBAN", "Steuer-ID", "Bestellnummer", "Angelegt am", "Betrag", "Version"}},
	{"fr", "csv", ";", []string{"Prénom", "Nom de famille", "Courriel", "Téléphone", "Date de naissance", "IBAN", "NIR", "N° commande", "Créé le", "Montant", "Version"}},
	{"es", "txt", "|", []string{"Nombre", "Apellidos", "Correo electrónico", "Teléfono", "Fecha de nacimiento", "IBAN", "DNI", "Nº pedido", "Fecha alta", "Importe", "Versión"}},
	{"it", "tsv", "\t", []string{"Nome", "Cognome", "Email", "Telefono", "Data di nascita", "IBAN", "Codice fiscale", "Numero ordine", "Creato il", "Importo", "Versione"}},
	{"nl", "csv", ";", []string{"Voornaam", "Achternaam", "E-mailadres", "Telefoonnummer", "Geboortedatum", "IBAN", "BSN", "Ordernummer", "Aangemaakt", "Bedrag", "Versie"}},
	{"uk", "tsv", "\t", []string{"Forename", "Surname", "Email address", "Mobile", "DOB", "Bank account (IBAN)", "NI number", "Order ref", "Created", "Amount", "App version"}},
	{"in", "csv", "|", []string{"given_name", "family_name", "email_id", "mobile_no", "birth_date", "iban", "aadhaar_no", "order_id", "created_on", "amount", "app_ver"}},
}

func ogCSV(f *ogFile, d ogDialect) {
	g := f.g
	code := map[string]string{"uk": "en"}[d.loc]
	if code == "" {
		code = d.loc
	}
	if d.loc == "en" {
		code = "us"
	}
	var loc ogLocale
	for _, l := range ogLocales {
		if l.code == code {
			loc = l
		}
	}
	f.line("%s", strings.Join(d.header, d.sep))
	for i := 0; i < 5+g.n(10); i++ {
		p := g.person(loc)
		first := p.first
		if d.loc != "es" && d.loc != "it" { // bare Nombre/Nome are not counted
			f.v("person_name", "")
		}
		var id string
		bad := g.chance(1, 8)
		switch d.loc {
		case "en":
			if bad {
				id = g.badSSN()
			} else {
				id = g.ssn("-")
			}
		case "de":
			id = g.steuerID(bad)
		case "fr":
			id = g.nir(bad)
		case "es":
			id = g.dni(bad)
		case "it":
			id = g.codiceFiscale(p, bad)
		case "nl":
			id = g.bsn(bad)
		case "uk":
			if bad {
				id = g.badNino()
			} else {
				id = g.nino(g.chance(1, 2))
			}
		case "in":
			id = g.aadhaar(bad, g.chance(1, 2))
		}
		if !bad {
			f.v(map[string]string{"en": "us_ssn", "de": "de_tax_id", "fr": "fr_nir", "es": "es_dni", "it": "it_fiscal_code", "nl": "nl_bsn", "uk": "uk_nino", "in": "in_aadhaar"}[d.loc], "")
		}
		ibanBad := g.chance(1, 10)
		iban := g.ibanFor(code, ibanBad)
		if !ibanBad {
			f.v("iban", "")
		}
		amount := fmt.Sprintf("%d.%02d", g.n(5000), g.n(100))
		if d.sep == ";" {
			amount = strings.Replace(amount, ".", ",", 1)
		}
		cells := []string{first, f.v("person_name", p.last), f.v("email", p.email), f.v("phone_number", g.phone(code, g.chance(1, 3))),
			f.v("date_of_birth", g.dob(p)), iban, id, g.orderNo(), g.timestamp().Format("2006-01-02 15:04"), amount, g.version()}
		if d.sep == "," {
			for i, c := range cells {
				if strings.ContainsAny(c, ", ") {
					cells[i] = `"` + c + `"`
				}
			}
		}
		f.line("%s", strings.Join(cells, d.sep))
	}
}
