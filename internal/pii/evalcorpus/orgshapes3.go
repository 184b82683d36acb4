package evalcorpus

// The organisation-shapes corpus's third part: an IIS W3C log, a
// PostgreSQL server log with DETAIL and STATEMENT lines, a data-subject
// access export (deeply nested JSON with arrays of identities, devices
// and payment methods holding last-four digits and fingerprints), a
// Laravel log with JSON context, and an iCalendar invitation (attendees
// as mailto: URIs; a UID shaped like an address is no address, as a
// Message-ID is not; a meeting link's pwd= is a password, a secret under
// a key named for one).

import (
	"fmt"
	"strings"
)

var ogShapes3 = []struct {
	name string
	fn   func(*ogFile, int)
}{
	{"u_ex.log", ogIIS}, {"postgresql.log", ogPostgresLog}, {"dsar.json", ogDSAR}, {"laravel.log", ogLaravel}, {"invite.ics", ogICS},
}

func ogIIS(f *ogFile, _ int) {
	g := f.g
	f.line("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: %s", g.timestamp().Format("2006-01-02 15:04:05"))
	f.line("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status time-taken")
	sip := f.g.ipv4()
	for i := 0; i < 5+g.n(6); i++ {
		ts := g.timestamp()
		user := "-"
		if g.chance(1, 2) {
			user = f.v("email", g.person(f.loc()).email)
		}
		f.line("%s %s %s GET /owa/service.svc action=GetItem&ID=%s 443 %s %s Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) 200 %d",
			ts.Format("2006-01-02"), ts.Format("15:04:05"), f.v("ip_address", sip), g.hex(16), user, f.v("ip_address", g.ipv4()), g.n(3000))
	}
}

func ogPostgresLog(f *ogFile, _ int) {
	g := f.g
	for i := 0; i < 3+g.n(3); i++ {
		ts := g.timestamp().Format("2006-01-02 15:04:05.000 UTC")
		pid := g.between(1000, 99999)
		f.line("%s [%d] crm_app@crm LOG:  connection authorized: user=crm_app database=crm host=%s port=%d", ts, pid, f.v("ip_address", g.ipv4()), g.between(30000, 65000))
		p := g.person(f.loc())
		f.line("%s [%d] crm_app@crm ERROR:  duplicate key value violates unique constraint \"customers_email_key\"", ts, pid)
		f.line("%s [%d] crm_app@crm DETAIL:  Key (email)=(%s) already exists.", ts, pid, f.v("email", p.email))
		f.line("%s [%d] crm_app@crm STATEMENT:  INSERT INTO customers (email, phone, birth_date, created_at) VALUES ('%s', '%s', '%s', now())",
			ts, pid, f.v("email", p.email), f.v("phone_number", g.phone(p.loc.code, true)), f.v("date_of_birth", p.dob.Format("2006-01-02")))
		f.line("%s [%d] LOG:  checkpoint complete: wrote %d buffers (%d.%d%%); lsn=%X/%X, redo lsn=%X/%X", ts, g.between(10, 999), g.n(9999), g.n(99), g.n(9),
			g.n(0xFF), g.n(0xFFFFFF), g.n(0xFF), g.n(0xFFFFFF))
	}
}

func ogDSAR(f *ogFile, _ int) {
	g := f.g
	p := g.person(f.loc())
	var devices []string
	for i := 0; i < 2+g.n(3); i++ {
		devices = append(devices, fmt.Sprintf(`{"id":"%s","model":"iPhone%d,%d","os":"iOS %d.%d","last_ip":%s,"last_seen":"%s","push_token":"%s"}`,
			g.uuid(), g.between(10, 16), g.between(1, 8), g.between(15, 18), g.n(7), js(f.v("ip_address", g.ipv4())), g.timestamp().Format("2006-01-02T15:04:05Z"), g.hex(64)))
	}
	f.line(`{"request":{"id":"DSAR-%d-%s","received":"%s","verified_by":"support"},`, g.between(2024, 2026), g.digits(5), g.timestamp().Format("2006-01-02"))
	f.line(` "subject":{"profile":{"given_name":%s,"family_name":%s,"date_of_birth":%s,"locale":"%s"},`, js(f.v("person_name", p.first)), js(f.v("person_name", p.last)),
		js(f.v("date_of_birth", p.dob.Format("2006-01-02"))), p.loc.code)
	f.line(`  "identities":[{"provider":"password","email":%s,"verified":true},{"provider":"google","sub":"%s","email":%s}],`, js(f.v("email", p.email)), g.digits(21), js(f.v("email", p.email)))
	f.line(`  "phones":[{"number":%s,"verified_at":"%s"}],`, js(f.v("phone_number", g.phone(p.loc.code, true))), g.timestamp().Format("2006-01-02T15:04:05Z"))
	f.line(`  "devices":[%s],`, strings.Join(devices, ","))
	f.line(`  "payment_methods":[{"type":"card","brand":"visa","last4":"%s","exp_month":%d,"exp_year":%d,"fingerprint":"%s"},{"type":"sepa_debit","iban":%s,"mandate":"%s"},{"type":"sepa_debit","iban_last4":"%s","bank_code":"%s"}],`,
		g.digits(4), g.between(1, 12), g.between(2027, 2031), g.alnum(16), js(f.v("iban", g.ibanFor(p.loc.code, false))), "M"+g.digits(10), g.digits(4), g.digits(8))
	f.line(`  "orders":[{"number":"%s","total":%d.%02d,"tracking":"%s"},{"number":"%s","total":%d.%02d,"tracking":"%s"}]}}`,
		g.orderNo(), g.n(500), g.n(100), g.tracking(), g.orderNo(), g.n(500), g.n(100), g.tracking())
}

func ogLaravel(f *ogFile, _ int) {
	g := f.g
	for i := 0; i < 4+g.n(4); i++ {
		ts := g.timestamp().Format("2006-01-02 15:04:05")
		p := g.person(f.loc())
		switch g.n(3) {
		case 0:
			f.line(`[%s] production.ERROR: Payment failed {"user_id":%d,"email":%s,"card_last4":"%s","ip":%s,"exception":"[object] (Stripe\\Exception\\CardException(code: 402): Your card was declined. at /var/www/app/vendor/stripe/stripe-php/lib/Exception/ApiErrorException.php:38)"}`,
				ts, g.between(1000, 99999), js(f.v("email", p.email)), g.digits(4), js(f.v("ip_address", g.ipv4())))
		case 1:
			f.line(`[%s] production.INFO: Profile updated {"user_id":%d,"changes":{"phone":{"old":%s,"new":%s},"birthdate":{"old":null,"new":%s}}}`,
				ts, g.between(1000, 99999), js(f.v("phone_number", g.phone(p.loc.code, true))), js(f.v("phone_number", g.phone(p.loc.code, true))),
				js(f.v("date_of_birth", p.dob.Format("2006-01-02"))))
		default:
			f.line(`[%s] production.WARNING: Slow query (%d ms) {"sql":"select * from orders where id = ?","bindings":[%d],"release":"%s","request_id":"%s"}`,
				ts, g.between(500, 9000), g.between(1, 999999), g.version(), g.uuid())
		}
	}
}

func ogICS(f *ogFile, _ int) {
	g := f.g
	ts := g.timestamp()
	org := g.person(f.loc())
	f.line("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT")
	f.line("UID:%s@google.com\r\nDTSTAMP:%s\r\nDTSTART:%s\r\nDTEND:%s", strings.ToUpper(g.hex(32)), ts.Format("20060102T150405Z"),
		ts.Add(48*3600e9).Format("20060102T150405Z"), ts.Add(49*3600e9).Format("20060102T150405Z"))
	f.line("ORGANIZER:mailto:%s", f.v("email", org.email))
	for i := 0; i < 2+g.n(4); i++ {
		f.line("ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:%s", f.v("email", g.person(f.loc()).email))
	}
	f.line("SUMMARY:Quarterly review %s\r\nLOCATION:Dial-in %s\r\nDESCRIPTION:Join: https://meet.example.com/%s?pwd=%s\\nOrganizer mobile: %s",
		g.version(), f.v("phone_number", g.phone(f.loc().code, true)), g.digits(11), f.v("password", g.alnum(32)), f.v("phone_number", g.phone(org.loc.code, true)))
	f.line("SEQUENCE:0\r\nEND:VEVENT\r\nEND:VCALENDAR")
}
