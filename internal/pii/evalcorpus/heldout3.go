package evalcorpus

import (
	"fmt"
	"strings"
)

// The third held-out corpus: layouts the first (heldout.go) did not have
// — HTML pages, Markdown tables, e-mail messages with headers, signatures
// and quoted replies, SQL dumps, Spring YAML, .properties, my.cnf,
// docker .env, Apache combined logs with URL-encoded query strings, Java
// and Python stack traces, IPv6 and IPv4-mapped IPv6, lower- and
// mixed-case IBANs in prose, XML configs (.config, Maven, Tomcat),
// credentials where they are really left (.npmrc, .git-credentials, CI
// YAML, scripts, curl lines, Kubernetes secrets, AWS credentials) and
// letters in the six languages — written before reading the detectors,
// with decoys of every type. Labels as in heldout.go: "⟨type type*2⟩"
// after the line, "~type" for a value the detectors should find but do
// not yet (not scored). Values differ from the first round's.
//
// Left out because a reader could label them either way: a bare "Name"
// cell, a practice's own address in a page footer, 127.0.0.1 and "::"
// (an address, but nobody's), the publishable Stripe key pk_live_…
// (public by design), a Stripe test key, "changeit" (Java's shipped
// truststore password), four-part versions after "v=" and the famous
// sample values (4111…, 4242…, DE89 3704…, jwt.io's token). A zoned
// link-local address (fe80::…%en0) is left unlabeled as the first
// round's rule has it: interface configuration, not an address someone
// used (this round had first labeled it).

// h3Values are the third corpus's planted values, by placeholder name.
func h3Values() map[string]string {
	v := map[string]string{"bt": "`", "tab": "\t"}
	lower := strings.ToLower
	bsnA, _ := hoBSN("41928376")
	bsnB, _ := hoBSN("73810294")
	v["bsnA"], v["bsnB"] = bsnA, bsnB
	bsnC, _ := hoBSN("28461937")
	v["bsnBad"] = bsnC[:8] + string(rune('0'+(bsnC[8]-'0'+1)%10))
	taxA := hoSteuerID("4738291654")
	taxB := hoSteuerID("2951836475")
	v["taxA"], v["taxB"] = taxA, taxB
	v["taxASpaced"] = taxA[:2] + " " + taxA[2:5] + " " + taxA[5:8] + " " + taxA[8:]
	v["taxBad"] = taxB[:10] + string(rune('0'+(taxB[10]-'0'+1)%10))
	nirA := hoNIR("1840592135078")
	nirB := hoNIR("2720259350114")
	v["nirA"], v["nirB"] = nirA, nirB
	v["nirASpaced"] = nirA[:1] + " " + nirA[1:3] + " " + nirA[3:5] + " " + nirA[5:7] + " " + nirA[7:10] + " " + nirA[10:13] + " " + nirA[13:]
	bad := hoNIR("2911013055214")
	v["nirBad"] = bad[:13] + string(rune('0'+(bad[13]-'0'+1)%10)) + bad[14:]
	v["dniA"] = "71935284" + hoDNILetter(71935284)
	v["dniB"] = "05824613" + hoDNILetter(5824613)
	v["dniBad"] = "71935284" + hoDNILetter(71935285)
	v["nieZ"] = "Z4829173" + hoDNILetter(24829173)
	v["nieBad"] = "Z4829173" + hoDNILetter(24829174)
	cf := hoFiscalCode("CNTLRA88M52L736")
	v["cfA"] = cf
	v["cfB"] = hoFiscalCode("GLLMRC75B14F839")
	v["cfBad"] = cf[:15] + string(rune('A'+(cf[15]-'A'+1)%26))
	aad := hoVerhoeff("49271836052")
	v["aadhaarA"] = hoGroup4(aad, " ")
	v["aadhaarB"] = hoGroup4(hoVerhoeff("83617240591"), "-")
	v["aadhaarBad"] = hoGroup4(aad[:11]+string(rune('0'+(aad[11]-'0'+1)%10)), " ")
	v["visa"] = hoGroup4(hoLuhn("491761038274615"), " ")
	v["visaPlain"] = hoLuhn("453972018364527")
	v["mc"] = hoGroup4(hoLuhn("222300184729361"), "-")
	amex := hoLuhn("34829175301928")
	v["amex"] = amex[:4] + "-" + amex[4:10] + "-" + amex[10:]
	v["discover"] = hoGroup4(hoLuhn("601173920184736"), " ")
	v["jcb"] = hoLuhn("353011928374650")
	v["cardBad"] = hoGroup4(hoBadLuhn("552044718293016"), " ")
	v["ibanDE"] = hoGroup4(hoIBAN("DE", "100500000190283746"), " ")
	v["ibanDElower"] = lower(hoGroup4(hoIBAN("DE", "760300000098765432"), " "))
	v["ibanGB"] = hoIBAN("GB", "BARC20031853029174")
	v["ibanGBlower"] = lower(hoGroup4(hoIBAN("GB", "LOYD30963512847391"), " "))
	v["ibanFR"] = hoGroup4(hoIBAN("FR", "10278000020002021450189"), " ")
	v["ibanES"] = hoGroup4(hoIBAN("ES", "01822370420201534895"), " ")
	v["ibanESlower"] = lower(hoIBAN("ES", "21003725110200347812"))
	it := hoIBAN("IT", "Y0306909606100000063417")
	v["ibanITmixed"] = it[:2] + lower(it[2:])
	v["ibanNL"] = hoIBAN("NL", "INGB0007654321")
	v["ibanNLlower"] = lower(hoGroup4(hoIBAN("NL", "ABNA0581294736"), " "))
	v["ibanBE"] = hoGroup4(hoIBAN("BE", "539007547034"), " ")
	v["ibanAT"] = hoGroup4(hoIBAN("AT", "1904300234573201"), " ")
	v["ibanCH"] = hoGroup4(hoIBAN("CH", "00762011623852957"), " ")
	good := hoIBAN("NL", "RABO0372915846")
	v["ibanBad"] = hoGroup4(good[:2]+string(rune('0'+(good[2]-'0'+1)%10))+good[3:], " ")
	v["ibanBadLower"] = lower(v["ibanBad"])
	v["ghp"] = hoGitHub("ghp_", "m3Kq8ZrT2vLx9WbN4cYp7HdJ1sFe6G")
	v["gho"] = hoGitHub("gho_", "Zt5Hq2Lm9Xw3Vb7Rn1Kc8Pd4Jy6Fs0")
	v["glpat"] = "glpat-q8Zr3mKx7LtV2pWn9cYb"
	v["xoxp"] = "xoxp-4815162342-1123581321-3455891442-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
	v["xoxb"] = "xoxb-6021023456-7788990011223-kT4mQ9zLx2Vb7Rn3Wc8Yp5Hd"
	v["sk"] = "sk_live_51NzQ8rKx2Lm7Vb4TcYp9Hd3Jw6Fs1Ge0Ra5Ub8Qt2Zx"
	v["rk"] = "rk_live_51NzQ8rKx2Lm7Vb4TcYp9Hd3Jw6Fs1Ge0Rc3Vd7Wm4Ky"
	v["pk"] = "pk_live_51NzQ8rKx2Lm7Vb4TcYp9Hd3Jw6Fs1Ge0Tn2Xq8Lp6Bz"
	v["jwtA"] = hoJWT(`{"alg":"HS256","typ":"JWT"}`, `{"sub":"u-88213","email":"l.rossi@example.it","exp":1764770400}`,
		"x7Qm2LpV9bRt4ZcN8wYh3JdF6sGa1eUoKq5Xk0Pz")
	v["jwtB"] = hoJWT(`{"alg":"ES256","kid":"2026-11"}`, `{"sid":"8f3a2c","iat":1764684000}`,
		"MEUCIQDx9Lm2Kq7Zr3Vb8Tc4Np5Hd6Jw1Fs0Ge2Ra8Ub3QtAiB7Xk4Lp9Mz")
	v["azure"] = hoAzureKey(23)
	v["azureB"] = hoAzureKey(41)
	v["gcpKeyID"] = hoHex(4471, 40)
	v["md5"] = hoHex(301, 32)
	v["sha1"] = hoHex(302, 40)
	v["gitsha"] = hoHex(303, 40)
	return v
}

var h3Docs = []hoDoc{
	// A practice's contact page: a mailto link, a tel link, entities
	// (&nbsp; inside a number, &#64; and &#x40; for the at sign).
	{"contact.html", `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Contact – Northwind Dental Practice</title>
<link rel="stylesheet" href="/assets/site.css?v=3.2.1">
<script src="https://cdn.example.net/npm/bootstrap@5.3.2/dist/js/bootstrap.bundle.min.js" integrity="sha384-C6RzsynM9kWDrMNeT87bh95OGNyZPhcTNXj1NW7RuBCsyN/o0jlpcV8Qyq46cDfL"></script>
</head>
<body>
<h1>Our team</h1>
<p>Practice manager: Dr.&nbsp;Helen Carter &ndash; <a href="mailto:helen.carter@northwind-dental.co.uk">write to Helen</a></p> ⟨email⟩
<p>Reception: <a href="tel:+442079460412">call reception</a></p> ⟨phone_number⟩
<p>Phone (out of hours): 020&nbsp;7946&nbsp;0587</p> ⟨phone_number⟩
<p>Billing queries: j.okafor&#64;northwind-dental.co.uk</p> ⟨email⟩
<p>Hygienist: s.nakamura&#x40;northwind-dental.co.uk &middot; Mobile: 07842&nbsp;315906</p> ⟨email phone_number⟩
<img src="/img/team@2x.jpg" srcset="/img/team@3x.jpg 3x" alt="Team photo">
<div class="post" data-id="6f1c2e9a-4b7d-4e21-9c3a-8d5f0b2e7a14" data-updated="2026-11-28T09:14:22Z">
<p>&copy; 2026 Northwind Dental Ltd &middot; Registered in England No. 08273619 &middot; VAT GB 293 8174 62</p>
<p>Opening hours: Mon&ndash;Fri 08:30&ndash;18:00 &middot; Sat 09:00&ndash;13:00</p>
<p>Follow us: <a href="https://social.example/@northwinddental">@northwinddental</a></p>
</body></html>
`},
	// A German business e-mail: headers with display names (one
	// RFC 2047-encoded), a signature block, a quoted reply.
	{"vertrag.eml", `Return-Path: <bounce-4711@mailer.example.net> ⟨email⟩
Received: from mx2.example.net (mx2.example.net [192.0.2.41]) by mail.acme-handel.de with ESMTPS id 4Zx7Kq2mVbz9sWN; Thu, 3 Dec 2026 10:14:22 +0100 ⟨ip_address⟩
Message-ID: <20261203091422.4f2a9c1d@mail.acme-handel.de>
From: "Schulz, Katharina" <k.schulz@acme-handel.de> ⟨email⟩
To: Thomas Berger <thomas.berger@kanzlei-berger.de>, buchhaltung@acme-handel.de ⟨email*2⟩
Cc: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <j.mueller@acme-handel.de> ⟨email⟩
Subject: AW: Vertrag Nr. 2026-0815 – Ihre Bankverbindung
Date: Thu, 3 Dec 2026 10:14:22 +0100
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
X-Mailer: Microsoft Outlook 16.0.17126.20132

Sehr geehrter Herr Berger,
anbei wie besprochen unsere neue Bankverbindung: IBAN {ibanDE} (BIC COBADEFFXXX). ⟨iban⟩
Bitte überweisen Sie den Betrag von 4.180,00 € bis zum 15.12.2026.

Mit freundlichen Grüßen
Katharina Schulz
Leitung Buchhaltung
Tel.: +49 30 2089 4417 | Fax: +49 30 2089 4499 ⟨phone_number*2⟩
Mobil: 0162 7384910 ⟨phone_number⟩
Amtsgericht Charlottenburg HRB 183742 B · USt-IdNr. DE 293817465

Am 02.12.2026 um 16:40 schrieb Thomas Berger <thomas.berger@kanzlei-berger.de>: ⟨email⟩
> Sehr geehrte Frau Schulz,
> mein Mandant, Herr Dieter Vogt (geb. 14.05.1961), bittet um Rückruf unter 0171 9283746. ⟨date_of_birth phone_number⟩
> Seine Steuer-ID lautet {taxASpaced}. ⟨de_tax_id⟩
> Mit freundlichen Grüßen
> Thomas Berger
> Tel. 089 2180 7734 ⟨phone_number⟩
`},
	// A French reply with the customer's quoted message.
	{"remboursement.eml", `From: Service client <service.client@mutuelle-exemple.fr> ⟨email⟩
To: "Moreau, Claire" <claire.moreau@exemple-mail.fr> ⟨email⟩
Subject: Re: Remboursement dossier 2026-118
Date: Wed, 2 Dec 2026 16:40:11 +0100
Message-ID: <CAF4xK2m+9ZqL7=Vb3RtN8wYh@mail.gmail.com>
In-Reply-To: <20261202154011.8a2e370@mutuelle-exemple.fr>

Bonjour Madame Moreau,
Nous avons bien reçu votre RIB, le remboursement de 84,50 € sera effectué sous 5 jours.
Cordialement,
Service client
Tél : 09 70 80 90 12 ⟨phone_number⟩

Le mer. 2 déc. 2026 à 15:40, Claire Moreau <claire.moreau@exemple-mail.fr> a écrit : ⟨email⟩
> Bonjour,
> Veuillez trouver mon RIB : {ibanFR} ⟨iban⟩
> Mon numéro de sécurité sociale : {nirASpaced} ⟨fr_nir⟩
> Née le 9 mai 1984 à Nantes. ⟨date_of_birth⟩
> Portable : 06 48 27 19 35 ⟨phone_number⟩
>> Ancien message du 12/11/2026 : dossier n° 2026-118, montant 84,50 €
`},
	// Spring Boot application.yaml.
	{"application.yaml", `spring:
  datasource:
    url: jdbc:mysql://172.16.40.12:3306/crm?useSSL=true ⟨ip_address⟩
    username: crm_app
    password: Tq4#vN8!wLz2 ⟨password⟩
  mail:
    host: smtp.office365.com
    username: noreply@acme-gmbh.de ⟨email⟩
    password: '{cipher}AQB7xK2m9ZqL7Vb3RtN8wYh4JdF6sGa1eUo'
  redis:
    password: ${REDIS_PASSWORD:}
app:
  version: 4.2.19
  build-id: 7f3c9a2e
  support-contact: it-support@acme-gmbh.de ⟨email⟩
`},
	{"gateway.properties", `# Generated 2026-12-03 11:14:22
db.url=jdbc:oracle:thin:@//10.8.3.21:1521/ORCL ⟨ip_address⟩
db.user=ORDERS
db.password=Ora_Pr0d#2026 ⟨password⟩
mail.smtp.password=
ldap.manager.password=${LDAP_PW}
app.version=3.11.0
cache.ttl.seconds=3600
`},
	{"my.cnf", `[client]
user=backup
password=Bk#9qLm2Zx ⟨password⟩
host=192.168.20.5 ⟨ip_address⟩

[mysqldump]
quick
max_allowed_packet=64M
`},
	{"compose.env", `COMPOSE_PROJECT_NAME=crm
POSTGRES_USER=crm
POSTGRES_PASSWORD='pg-Local-7731x' ⟨password⟩
MONGO_URI=mongodb+srv://admin:Mg4%23kP9zQ@cluster0.ab1cd.mongodb.net/app?retryWrites=true ⟨password⟩
export SMTP_PASSWORD="Rel@y-2026-Out" ⟨password⟩
KEYCLOAK_ADMIN_PASSWORD=${KC_ADMIN_PW:?missing}
PASSWORD_RESET_TTL=3600
NEXT_PUBLIC_API_URL=https://api.example.com/v2
`},
	// Apache combined log: a URL-encoded address in the query string, an
	// IPv4-mapped IPv6 client, a phone number as a query parameter.
	{"access_log", `192.0.2.118 - anna.k [03/Dec/2026:11:02:17 +0100] "GET /newsletter/unsubscribe?email=sofia.rossi%40example.it&token=8f3a2c HTTP/1.1" 200 1043 "https://mail.example.it/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15" ⟨ip_address email⟩
::ffff:10.1.2.3 - - [03/Dec/2026:11:02:18 +0100] "POST /api/login HTTP/1.1" 401 87 "-" "okhttp/4.12.0" ⟨ip_address⟩
198.51.100.77 - - [03/Dec/2026:11:02:19 +0100] "GET /profile/update?phone=%2B4917012345678&lang=de HTTP/1.1" 302 0 "-" "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0" ⟨ip_address phone_number⟩
10.20.1.7 - - [03/Dec/2026:11:02:20 +0100] "GET /track?uid=550e8400-e29b-41d4-a716-446655440000&ts=1733224940 HTTP/1.1" 204 0 "-" "Go-http-client/1.1" ⟨ip_address⟩
2a02:8108:1c40:5e00:d5e1:4c2f:9a3b:71e0 - - [03/Dec/2026:11:02:21 +0100] "GET /favicon.ico HTTP/2.0" 404 196 "-" "Mozilla/5.0" ⟨ip_address⟩
`},
	// A Spring Boot log with a Java stack trace.
	{"crm.log", `2026-12-03 11:14:22.418 ERROR 24817 --- [nio-8080-exec-7] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() threw exception
com.acme.crm.PayoutException: IBAN {ibanBE} not accepted for SEPA payout of customer c.moreau@example.fr ⟨iban email⟩
	at com.acme.crm.payout.PayoutService.validate(PayoutService.java:88)
	at com.acme.crm.CustomerService.update(CustomerService.java:214)
	at jdk.internal.reflect.GeneratedMethodAccessor412.invoke(Unknown Source)
	at org.springframework.aop.framework.ReflectiveMethodInvocation.proceed(ReflectiveMethodInvocation.java:186)
Caused by: java.sql.SQLIntegrityConstraintViolationException: Duplicate entry 'c.moreau@example.fr' for key 'customers.email_UNIQUE' ⟨email⟩
	at com.mysql.cj.jdbc.exceptions.SQLError.createSQLException(SQLError.java:117)
	... 87 common frames omitted
Caused by: java.net.ConnectException: Connection refused to 10.2.7.41:3306 ⟨ip_address⟩
2026-12-03 11:14:23.002  WARN 24817 --- [scheduling-1] c.a.c.Sync : retry 3/5 after 1834 ms (build 4.2.19, commit {gitsha})
`},
	{"worker.log", `Traceback (most recent call last):
  File "/srv/app/billing/charge.py", line 142, in charge
    resp = stripe.Charge.create(amount=12990, currency="eur", customer=cust_id)
  File "/usr/lib/python3.11/site-packages/stripe/api_resources/abstract/createable_api_resource.py", line 22, in create
stripe.error.CardError: Request req_8Xk2LmQ9: Your card was declined. (card_number='{mc}') ⟨credit_card⟩

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/srv/app/worker.py", line 57, in run
    notify(user_email="b.vandijk@voorbeeld.nl", phone="+31 6 4829 1735") ⟨email phone_number⟩
psycopg2.OperationalError: could not connect to server: Connection refused. Is the server running on host "10.30.0.8" and accepting TCP/IP connections on port 5432? ⟨ip_address⟩
ValueError: invalid literal for int() with base 10: '2026-12-03'
`},
	// IPv6 in its forms, and C++ and Rust paths that are no address.
	{"net.txt", `client 2a02:8108:1c40:5e00:d5e1:4c2f:9a3b:71e0 connected ⟨ip_address⟩
peer [2001:db8:4006:812::200e]:51234 closed the stream ⟨ip_address⟩
mapped client ::ffff:192.0.2.128 accepted ⟨ip_address⟩
X-Forwarded-For: 203.0.113.195, 2001:db8:85a3:8d3:1319:8a2e:370:7348 ⟨ip_address*2⟩
neighbour fe80::1c2b:3dff:fe4e:5f60%en0 reachable
std::vector<std::string>::iterator it = names.begin(); use std::collections::HashMap;
MAC 3c:22:fb:8a:10:4e, uptime 12:34:56, OID 1.2.840.113549.1.1.11, v1.2.3.4, Chrome/120.0.6099.109
`},
	// XML configs: .NET appSettings and connectionStrings, Maven
	// settings, Tomcat users.
	{"web.config", `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <appSettings>
    <add key="SmtpUser" value="alerts@contoso-shop.com" /> ⟨email⟩
    <add key="SmtpPassword" value="Sm7p!Relay#26" /> ⟨password⟩
    <add key="Password" value="" />
    <add key="PasswordMinLength" value="12" />
    <add key="ApiVersion" value="2.14.0" />
  </appSettings>
  <connectionStrings>
    <add name="Shop" connectionString="Data Source=10.11.4.20;Initial Catalog=Shop;User ID=shop_web;Password=W3b#Sh0p!26;" providerName="System.Data.SqlClient" /> ⟨ip_address password⟩
    <add name="Storage" connectionString="DefaultEndpointsProtocol=https;AccountName=contosoprod;AccountKey={azure};EndpointSuffix=core.windows.net" /> ⟨azure_storage_key⟩
  </connectionStrings>
</configuration>
`},
	// Credentials where people leave them.
	{"credentials.txt", `# ~/.npmrc
//npm.pkg.github.com/:_authToken={ghp} ⟨github_token⟩
@acme:registry=https://npm.pkg.github.com
# ~/.git-credentials
https://oauth2:{glpat}@gitlab.example.com ⟨gitlab_token⟩
https://x-access-token:{gho}@github.com ⟨github_token⟩
# .github/workflows/notify.yml
env:
  NODE_VERSION: 20.10.0
  SLACK_TOKEN: {xoxp} ⟨slack_token⟩
  STRIPE_KEY: ${{ secrets.STRIPE_KEY }}
# notify.py
client = WebClient(token="{xoxb}") ⟨slack_token⟩
stripe.api_key = "{sk}" ⟨stripe_key⟩
STRIPE_RESTRICTED = "{rk}" ⟨stripe_key⟩
STRIPE_PUBLISHABLE = "{pk}"
# shell history
curl -s -H "Authorization: Bearer {jwtA}" https://api.example.com/v1/me ⟨jwt⟩
Set-Cookie: session={jwtB}; Path=/; HttpOnly; Secure ⟨jwt⟩
$conn = "DefaultEndpointsProtocol=https;AccountName=acmebackup;AccountKey={azureB};EndpointSuffix=core.windows.net" ⟨azure_storage_key⟩
GOOGLE_CREDENTIALS='{"type":"service_account","project_id":"crm-prod-4471","private_key_id":"{gcpKeyID}","private_key":"-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDK\n-----END PRIVATE KEY-----\n","client_email":"ci-deploy@crm-prod-4471.iam.gserviceaccount.com","client_id":"113827461920374618273"}' ⟨gcp_service_account_key private_key email⟩
# ~/.aws/credentials
[default]
aws_access_key_id = AKIA5TQW3ZRX7HN2KLPM ⟨aws_access_key⟩
aws_secret_access_key = 9xQ2Lm7Vb4TcYp9Hd3Jw6Fs1Ge0Ra5Ub8Qt2ZxK ⟨password⟩
[temp]
aws_access_key_id = ASIAY4RT6KWZ2QNM5HXB ⟨aws_access_key⟩
# decoys
GITHUB_TOKEN=ghp_<your-token-here>
"sha": "{gitsha}", "tree": "{sha1}"
SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX
header only: eyJhbGciOiJIUzI1NiJ9
aws_access_key_id = AKIAI44QH8DHBEXAMPLE
`},
	{"k8s-secret.yaml", `apiVersion: v1
kind: Secret
metadata: {name: api-tls, namespace: prod}
type: kubernetes.io/tls
stringData:
  tls.key: |
    -----BEGIN EC PRIVATE KEY----- ⟨private_key⟩
    MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oLq8Mi4S3nMaoAoGCCqGSM49
    AwEHoUQDQgAEpG0kU1R7Zr3Vb8Tc4Np5Hd6Jw1Fs0Ge2Ra8Ub3QtXk4Lp9Mz2Qm7
    -----END EC PRIVATE KEY-----
  db-password: "K8s!Db#2026xq" ⟨password⟩
  image-tag: "2.14.1"
`},
	// Letters in the six languages: ids and IBANs in prose, some in lower
	// or mixed case as typed into web forms. The Italian letter's address
	// after "residente in" was marked ~ until the sixth round found
	// addresses after residence phrases (freeaddress.go).
	{"en_claim.txt", `Dear Mr Okafor,
Following your call on 2 December, I have updated your file (ref. CASE-2026-04417).
Your Social Security number on file is 287-54-1936 and your date of birth is 11/23/1975. ⟨us_ssn date_of_birth⟩
Your National Insurance number PR 48 27 19 C has been added for the UK payroll. ⟨uk_nino⟩
NI no: TM839201B ⟨uk_nino⟩
Refunds will go to {ibanGBlower} as requested. ⟨iban⟩
Card ending 4527 was charged; the card number on file is {visaPlain}. ⟨credit_card⟩
Please call (312) 746-2093 if anything is wrong. ⟨phone_number⟩
Yours sincerely,
Marcus Hill, Claims Handler
Claim 2026-04417 · Policy HX-4471-2209 · Reference 0012873365 · {discover} is the Discover card you added ⟨credit_card⟩
`},
	{"de_antrag.txt", `Antrag auf Erstattung – Vorgang 2026/04417
Antragsteller: Herr Dieter Vogt, geboren am 14.05.1961 in Augsburg ⟨date_of_birth⟩
Steuerliche Identifikationsnummer {taxB} ⟨de_tax_id⟩
Die Erstattung bitte auf mein Konto {ibanDElower} überweisen. ⟨iban⟩
Kreditkarte (Visa): {visa} ⟨credit_card⟩
Erreichbar unter Telefon 0821 455 1930 oder mobil 0152 28461937 ⟨phone_number*2⟩
Österreichisches Konto: {ibanAT}; Schweizer Konto: {ibanCH} ⟨iban*2⟩
Aktenzeichen 4 O 1234/26, Version 2.3 des Formulars, Stand 01.11.2026
`},
	{"fr_attestation.txt", `Attestation sur l'honneur
Je soussignée Nathalie Garnier, née le 04/02/1972 à Lille, ⟨date_of_birth⟩
numéro de sécurité sociale {nirB}, certifie l'exactitude des informations. ⟨fr_nir⟩
Coordonnées bancaires : {ibanFR} ⟨iban⟩
Téléphone : 03 20 57 84 16 ⟨phone_number⟩
Passeport n° 19AB48271 ⟨passport_number⟩
Fait à Lille le 03/12/2026, dossier 2026-118, version 4.1 du formulaire.
`},
	{"es_declaracion.txt", `Declaración responsable
D.ª Carmen Ortega Ruiz, con NIE {nieZ} y fecha de nacimiento 30/01/1983, ⟨es_dni date_of_birth⟩
con domicilio a efectos de notificaciones en la cuenta {ibanESlower}. ⟨iban⟩
DNI del representante: {dniB} ⟨es_dni⟩
Teléfono de contacto: 622 48 19 37 ⟨phone_number⟩
Expediente 2026/118-B, registro de entrada 20261203-0417.
`},
	{"it_autocertificazione.txt", `Autocertificazione
Il sottoscritto Marco Galli, nato a Pordenone il 14/02/1975, ⟨date_of_birth⟩
codice fiscale {cfB}, residente in Via Garibaldi 8, 33170 Pordenone, ⟨it_fiscal_code postal_address⟩
chiede l'accredito sul conto {ibanITmixed}. ⟨iban⟩
Recapito telefonico: 0434 521 873; cellulare 339 482 7156 ⟨phone_number*2⟩
CF coniuge: {cfA} ⟨it_fiscal_code⟩
Protocollo n. 2026/04417 del 03/12/2026.
`},
	{"nl_aanvraag.txt", `Geachte heer Van den Berg,
Hierbij bevestigen wij uw aanvraag van 1 december 2026.
Uw burgerservicenummer {bsnA} en geboortedatum 23 augustus 1969 zijn gecontroleerd. ⟨nl_bsn date_of_birth⟩
Het bedrag wordt overgemaakt naar rekening {ibanNLlower}. ⟨iban⟩
BSN partner: {bsnB} ⟨nl_bsn⟩
Telefoon: 010 214 8763 ⟨phone_number⟩
Dossiernummer 2026/11873, versie 3.2.
`},
	{"in_kyc2.txt", `Customer KYC update
Aadhaar number: {aadhaarA} ⟨in_aadhaar⟩
UID {aadhaarB} ⟨in_aadhaar⟩
PAN: ABCPD1234E, GSTIN 27ABCPD1234E1Z5
Mobile: +91 99012 34567 ⟨phone_number⟩
JCB card {jcb}, Amex {amex} ⟨credit_card*2⟩
Ticket 202612030417, amount 8,499.00 INR.
`},
	{"discharge.txt", `DISCHARGE SUMMARY – St. Mary's Hospital
Patient: Eleanor Whitfield   MRN: 00482917   DOB: 02/14/1948 ⟨health_record date_of_birth⟩
Admission diagnosis: J18.9 Pneumonia, unspecified organism ⟨health_record⟩
Secondary diagnoses: I50.9, N18.3 ⟨health_record*2⟩
Procedure: chest X-ray; room 4B; bed 12; ward C03
Attending: Dr. Raj Patel, pager 4417
Follow-up: 2026-12-17 at 10:30, clinic B12
`},
	// Decoys of every type: failing checksums, samples, versions, ids.
	{"decoys3.txt", `Card (Luhn fails): {cardBad}; IMEI 490154203237518
IBAN (wrong check digits): {ibanBad} or typed as {ibanBadLower}
BSN (11-test fails): {bsnBad}
Steuer-ID (Prüfziffer falsch): {taxBad}
NIR (clé invalide) : {nirBad}
DNI (letra incorrecta): {dniBad}; NIE {nieBad}
Codice fiscale errato: {cfBad}
Aadhaar (invalid): {aadhaarBad}
SSN samples and invalid: 123-45-6789, 078-05-1120, 000-41-2817, 666-30-9182, 912-45-6781, 287-00-1936, 287-54-0000
NINO invalid: QQ 12 34 56 C, BG 48 27 19 C, PR 48 27 19 E
Versions: kernel 6.5.0-14-generic, nginx/1.25.3, Chrome/120.0.6099.109, OpenSSL 3.0.2
UUID 9b2f6c1e-3d4a-4f8b-a7e2-5c1d0e9f8a37, md5 {md5}, sha1 {sha1}
Timestamps: 2026-12-03T11:14:22.418+01:00, 1733224462418, 20261203111422
Orders: #4711-2026, PO 4500183726, Auftrag 20261203-0417, Bestellung 2026/04417
ISBN 978-0-596-52068-7, EAN 4006381333931, tracking 1Z999AA10123456784
Message-ID: <5f2a9c1d.4711@mail.example.org>
npm i @angular/core@17.0.1 lodash-es@4.17.21; docker pull nginx@sha256:{sha1}
ssh deploy@web01 'systemctl restart app'
Passport photo booth, passport office 12, PASSPORT2026 campaign
ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7x9Lm2Kq7Zr3Vb8Tc4Np5Hd6Jw1Fs0Ge2Ra8Ub3Qt deploy@web01
-----BEGIN CERTIFICATE REQUEST-----
MIICvDCCAaQCAQAwdzELMAkGA1UEBhMCREUxDzANBgNVBAgMBkJlcmxpbjEPMA0G
-----END CERTIFICATE REQUEST-----
UseDevelopmentStorage=true; AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==
GITLAB_TOKEN=glpat-xxxxxxxxxxxxxxxxxxxx; SLACK_TOKEN=xoxb-your-token-here
{"kid": "{gcpKeyID}", "alg": "RS256", "use": "sig"}
Born2Code hackathon 12.03.2026; DOB-Team meeting 14.05.2026; born-again release 2026-12-01
Diagnostic mode enabled at 2026-12-03 11:14:22; error code J45 in module C03
`},
}

// h3FileDocs are labelled like h3Docs but scored through the format
// readers (HeldOut3Files): their tables name their columns in a header
// line, or they are XML, which only the readers see whole.
var h3FileDocs = []hoDoc{
	// Markdown: a rota table with a header row, a key/value table, and a
	// release table of versions and dates.
	{"rota.md", `# On-call rota – Platform team (Q1 2027)

| Name | E-mail | Mobile | Start |
|------|--------|--------|-------|
| Priya Raman | priya.raman@corp-example.io | +44 7842 315907 | 2027-01-04 | ⟨~person_name email phone_number⟩
| Lars Eriksen | l.eriksen@corp-example.io | +31 6 2817 4409 | 2027-01-11 | ⟨~person_name email phone_number⟩

## New starter – HR record

| Field | Value |
|---|---|
| Full name | Tomás Herrera Vidal | ⟨person_name⟩
| Date of birth | 17/02/1991 | ⟨date_of_birth⟩
| DNI | {dniA} | ⟨es_dni⟩
| IBAN | {ibanES} | ⟨iban⟩
| Home address | Calle de Alcalá 214, 4º izq., 28028 Madrid | ⟨postal_address⟩
| Laptop | MBP-2026-0417, serial C02ZK1ABMD6T |
| Start date | 04.01.2027 |

| Version | Date | Build |
|---|---|---|
| 2.14.1 | 2026-12-01 | 20261201.7 |
`},
	// mysqldump: a multi-row INSERT with named columns.
	{"shop.sql", `-- MySQL dump 10.13  Distrib 8.0.35, for Linux (x86_64)
--
-- Host: 10.4.0.12    Database: shop ⟨ip_address⟩
-- ------------------------------------------------------
-- Server version	8.0.35-0ubuntu0.22.04.1
/*!40101 SET NAMES utf8mb4 */;
DROP TABLE IF EXISTS {bt}customers{bt};
CREATE TABLE {bt}customers{bt} (
  {bt}id{bt} int NOT NULL AUTO_INCREMENT,
  {bt}full_name{bt} varchar(120) NOT NULL,
  {bt}email{bt} varchar(255) DEFAULT NULL,
  {bt}phone{bt} varchar(32) DEFAULT NULL,
  {bt}iban{bt} char(34) DEFAULT NULL,
  {bt}birth_date{bt} date DEFAULT NULL,
  {bt}created_at{bt} datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY ({bt}id{bt})
) ENGINE=InnoDB AUTO_INCREMENT=4713 DEFAULT CHARSET=utf8mb4;
LOCK TABLES {bt}customers{bt} WRITE;
INSERT INTO {bt}customers{bt} ({bt}id{bt}, {bt}full_name{bt}, {bt}email{bt}, {bt}phone{bt}, {bt}iban{bt}, {bt}birth_date{bt}, {bt}created_at{bt}) VALUES (4711,'Emma Thompson','emma.thompson@example.org','+44 161 832 7401','{ibanGB}','1979-03-22','2024-06-01 10:14:22'),(4712,'Bram de Groot','bram.degroot@voorbeeld.nl','+31 20 794 6112','{ibanNL}','1988-10-05','2024-06-02 08:01:57'); ⟨person_name*2 email*2 phone_number*2 iban*2 date_of_birth*2⟩
UNLOCK TABLES;
INSERT INTO {bt}orders{bt} VALUES (90001,4711,'2026-11-28 10:14:22',129.90,'EUR','SHIPPED','1Z999AA10123456784'),(90002,4712,'2026-11-29 11:02:03',1299.00,'EUR','NEW',NULL);
`},
	// pg_dump: COPY rows, tab-separated, one per line.
	{"clinic.sql", `--
-- PostgreSQL database dump
-- Dumped from database version 15.4 (Debian 15.4-1.pgdg120+1)
SET statement_timeout = 0;
COPY public.patients (id, first_name, last_name, date_of_birth, phone, email, created_at) FROM stdin;
1{tab}Lukas{tab}Becker{tab}1987-11-03{tab}+49 40 3861 2257{tab}lukas.becker@example.de{tab}2025-02-11 08:14:22+01 ⟨person_name*2 date_of_birth phone_number email⟩
2{tab}Marie{tab}Dubois{tab}1992-06-30{tab}+33 4 78 62 19 05{tab}marie.dubois@exemple.fr{tab}2025-02-12 09:30:00+01 ⟨person_name*2 date_of_birth phone_number email⟩
\.
SELECT pg_catalog.setval('public.patients_id_seq', 4712, true);
`},
	{"settings.xml", `<settings xmlns="http://maven.apache.org/SETTINGS/1.2.0">
  <servers>
    <server>
      <id>nexus-releases</id>
      <username>deploy</username>
      <password>Nx!9rT2#vKq</password> ⟨password⟩
    </server>
    <server><id>nexus-snapshots</id><username>ci</username><password>{QeZ3xF8kLm2Vb7Rt4Nc9Yp=}</password></server>
  </servers>
</settings>
`},
	{"tomcat-users.xml", `<tomcat-users>
  <user username="admin" password="T0mc@t-Adm1n" roles="manager-gui"/> ⟨password⟩
</tomcat-users>
`},
}

// HeldOut3 returns the third held-out corpus's documents with their labels.
func HeldOut3() []Doc {
	return hoBuild(h3Docs, h3Values())
}

// hoBuild fills documents' placeholders and strips their labels.
func hoBuild(docs []hoDoc, vals map[string]string) []Doc {
	out := make([]Doc, 0, len(docs))
	for _, hd := range docs {
		text := hd.text
		for k, v := range vals {
			text = strings.ReplaceAll(text, "{"+k+"}", v)
		}
		want := map[Key]int{}
		var b strings.Builder
		for n, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			if i := strings.Index(line, " ⟨"); i >= 0 {
				for typ, times := range hoLabels(line[i+len(" ⟨"):]) {
					want[Key{n + 1, typ}] += times
				}
				line = line[:i]
			}
			b.WriteString(line)
			b.WriteByte('\n')
		}
		out = append(out, Doc{Name: hd.name, Text: []byte(b.String()), Want: want})
	}
	return out
}

// hoLabels reads a line's labels ("type type*2 ~type)", the text after
// " ⟨"): a "~type" is not scored.
func hoLabels(s string) map[string]int {
	out := map[string]int{}
	for _, l := range strings.Fields(strings.TrimSuffix(s, "⟩")) {
		if strings.HasPrefix(l, "~") {
			continue
		}
		typ, times := l, 1
		if t, c, ok := strings.Cut(l, "*"); ok {
			typ = t
			if _, err := fmt.Sscan(c, &times); err != nil {
				panic("held-out label " + l + ": " + err.Error()) // the corpus is fixed text
			}
		}
		out[typ] += times
	}
	return out
}
