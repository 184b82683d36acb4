package evalcorpus

import "strings"

// The fourth held-out corpus, written before reading the detectors:
// formats the first three rounds did not have — MIME e-mail with
// quoted-printable and base64 parts, vCard 4.0, iCalendar with folded
// lines, LDIF with base64 values, HL7 v2 (segments ended by CR), FHIR
// JSON, MongoDB extended JSON, Terraform .tfvars and .tfstate, a
// kubeconfig, AWS credentials with a session token, .pypirc, GitHub
// Actions, OpenSSH/PKCS#8/PGP keys and a PuTTY .ppk, a Jupyter notebook,
// RFC 5424 syslog, Windows event XML, nested JSON-lines logs, CSV in
// Italian and French locales (';', decimal commas, quoted line breaks), a
// Dutch TSV, letters in five languages, and decoy-heavy files.
//
// Labels as in heldout3.go. As the earlier rounds decided: addresses at
// example.com and its kin are e-mail addresses (the contract asks for the
// address's shape, not whether the domain is real); the documentation
// test cards (4111…, 4242…, 5555 5555 5555 4444), DE89 3704…, jwt.io's
// token and AWS's AKIA…EXAMPLE keys are left out or are decoys; a bare
// "Name"/"cn"/"FN" is not counted, but a structured family/given name
// (vCard N, LDAP sn/givenName, HL7 XPN, FHIR HumanName) is.
// person_name counts each name part a structure names (family and given:
// two), as the CSV rounds count first_name and last_name columns; a bare
// "Nome"/"Nom" column is not counted even beside "Cognome"/"Prénom", as
// the first round's pazienti.csv decided.

// h4FileDocs are scored through the format readers (HeldOut4Files).
var h4FileDocs = []hoDoc{
	// vCard 4.0 export (Apple Contacts / Nextcloud), two cards.
	{"contacts_export.vcf", `BEGIN:VCARD
VERSION:4.0
PRODID:-//Nextcloud Contacts v5.4.2
UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1
N:Lefebvre;Amélie;;Dr.; ⟨person_name*2⟩
FN:Dr. Amélie Lefebvre
ORG:Clinique du Parc;Cardiologie
TEL;TYPE=cell;VALUE=uri:tel:+33-6-72-48-19-35 ⟨phone_number⟩
TEL;TYPE="work,voice":+33 4 72 83 19 40 ⟨phone_number⟩
EMAIL;TYPE=work:amelie.lefebvre@clinique-exemple.fr ⟨email⟩
ADR;TYPE=home:;;14 rue Paul Bert;Lyon;;69003;France ⟨postal_address⟩
BDAY:19810923 ⟨date_of_birth⟩
REV:20261203T101422Z
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:Kowalski;Piotr;;; ⟨person_name*2⟩
FN:Piotr Kowalski
TEL;TYPE=CELL:+48 601 274 839 ⟨phone_number⟩
EMAIL;TYPE=INTERNET,HOME:piotr.kowalski@poczta-example.pl ⟨email⟩
BDAY:1977-04-02 ⟨date_of_birth⟩
X-SOCIALPROFILE;TYPE=twitter:https://twitter.com/pkowalski
PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/
REV:2026-11-28T09:14:22Z
END:VCARD
`},
	// iCalendar: organizer and attendees, a description folded across
	// lines (a phone number split by the fold), a location address.
	{"termin.ics", `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN
METHOD:REQUEST
BEGIN:VEVENT
UID:040000008200E00074C5B7101A82E00800000000D0A8B2F1C224DB01000000000000000010000000
DTSTAMP:20261203T101422Z
DTSTART;TZID=W. Europe Standard Time:20261210T143000
DTEND;TZID=W. Europe Standard Time:20261210T150000
ORGANIZER;CN="Weber, Sabine":mailto:sabine.weber@praxis-weber.de ⟨email⟩
ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Jonas Hartmann:ma
 ilto:jonas.hartmann@mail-example.de ⟨email⟩
SUMMARY:Kontrolltermin Herr Hartmann
LOCATION:Praxis Dr. Weber\, Leopoldstraße 112\, 80804 München
DESCRIPTION:Bitte Versichertenkarte mitbringen.\nRückfragen unter 089 2
 1847 3390 oder per Mail.\nGeb.-Datum des Patienten: 04.08.1966\nTermin-Nr ⟨phone_number date_of_birth⟩
 . 2026-12-0417
SEQUENCE:0
END:VEVENT
END:VCALENDAR
`},
	// LDIF export of an OpenLDAP directory: base64 values (non-ASCII), a
	// password hash, a group entry.
	{"people.ldif", `version: 1

dn: uid=mmueller,ou=People,dc=example,dc=de
objectClass: inetOrgPerson
objectClass: posixAccount
uid: mmueller
cn:: TWFydGluYSBNw7xsbGVy
sn:: TcO8bGxlcg== ⟨person_name⟩
givenName: Martina ⟨person_name⟩
mail: martina.mueller@example.de ⟨email⟩
telephoneNumber: +49 711 2894 4410 ⟨phone_number⟩
mobile: +49 172 6391845 ⟨phone_number⟩
postalAddress: Königstraße 28$70173 Stuttgart ⟨postal_address⟩
employeeNumber: 100417
uidNumber: 10417
gidNumber: 10000
homeDirectory: /home/mmueller
userPassword:: e1NTSEF9N3pKcUwyTW05WHc0S3o4VmI2TmMzWXA1SGQxSmY=
createTimestamp: 20261203101422Z

dn: cn=admins,ou=Groups,dc=example,dc=de
objectClass: groupOfNames
cn: admins
member: uid=mmueller,ou=People,dc=example,dc=de
description: Administrators (ticket 2026-0417)
`},
	// HL7 v2.5.1 ADT^A01 (segments are joined with CR by HeldOut4Files).
	{"adt_a01.hl7", `MSH|^~\&|EPIC|STMARYS|LABSYS|STMARYS|20261203101422||ADT^A01^ADT_A01|MSG00417|P|2.5.1
EVN|A01|20261203101422
PID|1||00583921^^^STMARYS^MR||WHITFIELD^ELEANOR^J^^MRS||19480214|F|||27 ELM STREET^APT 4^SPRINGFIELD^IL^62704^USA^H||(217)824-6139^PRN^PH~^NET^Internet^e.whitfield@mail-example.com|(217)824-7702^WPN^PH||W|||601-27-4418 ⟨health_record person_name*2 date_of_birth postal_address phone_number*2 email us_ssn⟩
NK1|1|WHITFIELD^ROBERT^^^MR|SON^Son|1190 OAK AVENUE^^DECATUR^IL^62521|(217)824-5571 ⟨person_name*2 postal_address phone_number⟩
PV1|1|I|4B^12^1^STMARYS||||4471^PATEL^RAJ^^^DR|||MED||||7|||4471^PATEL^RAJ^^^DR|IN||||||||||||||||||||||||||20261203101000 ⟨person_name*4⟩
DG1|1||J18.9^Pneumonia, unspecified organism^I10||20261203|A ⟨health_record⟩
DG1|2||I50.9^Heart failure, unspecified^I10||20261203|S ⟨health_record⟩
OBX|1|NM|8867-4^Heart rate^LN||88|/min|60-100|N|||F|||20261203100500
`},
	// FHIR R4 bundle: a Patient and a Condition.
	{"patient_bundle.json", `{
  "resourceType": "Bundle",
  "id": "b7e1c2d0-4f1a-4e8b-9d3c-2a6f5e7b8c91",
  "type": "collection",
  "entry": [{
    "fullUrl": "urn:uuid:3f2a9c1d-7b4e-4d21-8c3a-5d9f0b2e7a14",
    "resource": {
      "resourceType": "Patient",
      "id": "pat-20417",
      "meta": {"versionId": "3", "lastUpdated": "2026-12-03T10:14:22.418+01:00"},
      "identifier": [{"system": "http://hl7.org/fhir/sid/us-ssn", "value": "412-83-5907"}], ⟨us_ssn⟩
      "name": [{"use": "official", "family": "Okonkwo", "given": ["Adaeze", "Chioma"]}], ⟨person_name*3⟩
      "telecom": [
        {"system": "phone", "value": "+1 312 746 2281", "use": "mobile"}, ⟨phone_number⟩
        {"system": "email", "value": "adaeze.okonkwo@mail-example.com"} ⟨email⟩
      ],
      "gender": "female",
      "birthDate": "1986-11-19", ⟨date_of_birth⟩
      "address": [{"use": "home", "line": ["2240 N Clark St", "Apt 3R"], "city": "Chicago", "state": "IL", "postalCode": "60614"}] ⟨postal_address⟩
    }
  }, {
    "resource": {
      "resourceType": "Condition",
      "id": "cond-88213",
      "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.65", "display": "Type 2 diabetes mellitus with hyperglycemia"}]}, ⟨health_record⟩
      "subject": {"reference": "Patient/pat-20417"},
      "recordedDate": "2026-11-28"
    }
  }]
}
`},
	// mongoexport: extended JSON v2, one document per line.
	{"users.mongo.json", `{"_id":{"$oid":"{oid}"},"email":"l.fischer@mail-example.de","profile":{"firstName":"Lena","lastName":"Fischer","dob":{"$date":"1991-06-08T00:00:00Z"},"phone":"+49 221 9874 3310"},"createdAt":{"$date":{"$numberLong":"1733221462418"}},"loginCount":{"$numberInt":"42"},"v":{"$numberDouble":"2.14"}} ⟨email person_name*2 date_of_birth phone_number⟩
{"_id":{"$oid":"{oid2}"},"email":"marco.bianchi@posta-example.it","profile":{"firstName":"Marco","lastName":"Bianchi","dob":{"$date":"1982-11-19T00:00:00.000Z"},"phone":"+39 02 8736 4419"},"payment":{"iban":"{ibanITplain}","cardLast4":"4417"},"createdAt":{"$date":"2026-11-28T09:14:22.000Z"}} ⟨email person_name*2 date_of_birth phone_number iban⟩
{"_id":{"$oid":"{oid3}"},"sku":"SKU-2026-0417","price":{"$numberDecimal":"129.90"},"stock":{"$numberInt":"318"},"updatedAt":{"$date":"2026-12-01T00:00:00Z"},"build":"4.18.2"}
`},
	// Terraform variables (HCL).
	{"prod.auto.tfvars", `region              = "eu-central-1"
instance_type       = "m6i.large"
db_username         = "billing"
db_password         = "Tf!Pr0d-Bill#2026" ⟨password⟩
admin_email         = "ops-alerts@billing-example.io" ⟨email⟩
aws_access_key      = "AKIAZ7QW3RT5XK2LMN4P" ⟨aws_access_key⟩
allowed_cidrs       = ["10.40.0.0/16", "203.0.113.0/24"] ⟨ip_address*2⟩
module_version      = "5.1.2"
tags = {
  CostCenter = "4417"
  Owner      = "platform"
}
`},
	// terraform.tfstate: secrets in resource attributes.
	{"terraform.tfstate", `{
  "version": 4,
  "terraform_version": "1.6.5",
  "serial": 42,
  "lineage": "9b2f6c1e-3d4a-4f8b-a7e2-5c1d0e9f8a37",
  "resources": [
    {"mode": "managed", "type": "aws_db_instance", "name": "billing", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
     "instances": [{"schema_version": 2, "attributes": {
        "address": "billing.c9akciq32.eu-central-1.rds.amazonaws.com",
        "engine_version": "15.4",
        "username": "billing",
        "password": "Rds#Bill1ng-7731", ⟨password⟩
        "port": 5432,
        "id": "db-7XK2LMN4PQRS"},
      "sensitive_attributes": []}]},
    {"mode": "managed", "type": "tls_private_key", "name": "deploy",
     "instances": [{"schema_version": 1, "attributes": {
        "algorithm": "RSA",
        "private_key_pem": "{keyPEMjson}", ⟨private_key⟩
        "public_key_fingerprint_md5": "4f:2a:9c:1d:7b:4e:4d:21:8c:3a:5d:9f:0b:2e:7a:14",
        "public_key_openssh": "ssh-rsa {pemLine}\n"}}]},
    {"mode": "managed", "type": "aws_iam_access_key", "name": "ci",
     "instances": [{"attributes": {"id": "AKIAQ4RT7ZK2LMW5XN3B", "user": "ci-deploy", "status": "Active", "create_date": "2026-11-28T09:14:22Z"}}]} ⟨aws_access_key⟩
  ]
}
`},
	// kubeconfig with a service-account token and an embedded client key.
	{"kubeconfig", `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: {certPEMb64}
    server: https://172.20.14.8:6443 ⟨ip_address⟩
  name: prod
contexts:
- context: {cluster: prod, namespace: billing, user: deployer}
  name: prod
current-context: prod
users:
- name: deployer
  user:
    token: {jwtK8s} ⟨jwt⟩
- name: admin
  user:
    client-certificate-data: {certPEMb64}
    client-key-data: {keyPEMb64} ⟨private_key⟩
`},
	{"credentials", `[default]
aws_access_key_id = AKIAR5TN2QW7XZ4KLM3P ⟨aws_access_key⟩
aws_secret_access_key = kX7mQ2Lp9Vb4Tc8Yp3Hd6Jw1Fs0Ge5Ra2Ub7QtZ ⟨password⟩
region = eu-west-1

[profile-sso]
sso_start_url = https://acme.awsapps.com/start
sso_account_id = 491827364510
role_name = ReadOnly

[docs]
aws_access_key_id = AKIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
`},
	{".pypirc", `[distutils]
index-servers =
    pypi
    internal

[pypi]
username = __token__
password = pypi-AgEIcHlwaS5vcmcCJGQ3ZjE4YzJhLTRiN2QtNGUyMS05YzNhLThkNWYwYjJlN2ExNAACKlszLCJhYmMiXQAABiD7x9Lm2Kq7Zr3Vb8Tc4Np5Hd6Jw1Fs0Ge2Ra8Ub3Qt ⟨password⟩

[internal]
repository = https://nexus.example.net/repository/pypi-internal/
username = deploy
password = Nx-Py!2026deploy ⟨password⟩
`},
	{".git-credentials", `https://jdoe:{ghp}@github.com ⟨github_token⟩
https://ci-bot:Gt%40Lab-2026x@gitlab.example.net ⟨password⟩
https://oauth2:{glpat}@gitlab.com ⟨gitlab_token⟩
`},
	{".npmrc", `registry=https://registry.npmjs.org/
@acme:registry=https://npm.pkg.github.com/
//npm.pkg.github.com/:_authToken={ghs} ⟨github_token⟩
//nexus.example.net/repository/npm/:username=ci
//nexus.example.net/repository/npm/:_password=TnhOcG0hMjAyNg== ⟨password⟩
//nexus.example.net/repository/npm/:email=ci-bot@example.net ⟨email⟩
save-exact=true
`},
	// GitHub Actions: secrets referenced (decoys) and two left inline.
	{"deploy.yml", `name: deploy
on:
  push:
    branches: [main]
env:
  NODE_VERSION: "20.10.0"
  REGISTRY: ghcr.io
jobs:
  deploy:
    runs-on: ubuntu-22.04
    steps:
      - uses: actions/checkout@v4
      - uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: acme-ci
          password: ${{ secrets.GHCR_TOKEN }}
      - name: Notify
        env:
          SLACK_BOT_TOKEN: {xoxb} ⟨slack_token⟩
          GH_TOKEN: {github_pat} ⟨github_token⟩
        run: |
          curl -sf -X POST -H "Authorization: Bearer $SLACK_BOT_TOKEN" https://slack.com/api/chat.postMessage
          echo "deployed ${{ github.sha }} at $(date -u +%FT%TZ)"
      - name: Migrate
        env:
          DATABASE_URL: postgres://deploy:Gh4ct!ons-Db@10.60.2.14:5432/app ⟨password ip_address⟩
        run: npm run migrate -- --to 2026120301
`},
	// Private keys in their file forms, and public material beside them.
	{"id_ed25519", `-----BEGIN OPENSSH PRIVATE KEY----- ⟨private_key⟩
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACDk9Lm2Kq7Zr3Vb8Tc4Np5Hd6Jw1Fs0Ge2Ra8Ub3QtXAAAAJgL4e5tC+HubQ
-----END OPENSSH PRIVATE KEY-----
`},
	{"server.key", `-----BEGIN ENCRYPTED PRIVATE KEY----- ⟨private_key⟩
{pemLine}
{pemLine2}
-----END ENCRYPTED PRIVATE KEY-----
-----BEGIN CERTIFICATE-----
{pemLine3}
-----END CERTIFICATE-----
`},
	{"deploy.ppk", `PuTTY-User-Key-File-3: ssh-ed25519 ⟨private_key⟩
Encryption: none
Comment: deploy@build-07
Public-Lines: 2
AAAAC3NzaC1lZDI1NTE5AAAAIOT0ubYqrtmvdVvxNzjWnkd3onDUWzQZ7ZFrxRvdC1
Private-Lines: 1
AAAAIB7x9Lm2Kq7Zr3Vb8Tc4Np5Hd6Jw1Fs0Ge2Ra8Ub3QtK
Private-MAC: {md5}{md5}
`},
	{"backup-signing.asc", `-----BEGIN PGP PRIVATE KEY BLOCK----- ⟨private_key⟩

lFgEZ2fK8xYJKwYBBAHaRw8BAQdA9Lm2Kq7Zr3Vb8Tc4Np5Hd6Jw1Fs0Ge2Ra8Ub3Qt
=Xk4L
-----END PGP PRIVATE KEY BLOCK-----
-----BEGIN PGP PUBLIC KEY BLOCK-----

mDMEZ2fK8xYJKwYBBAHaRw8BAQdA9Lm2Kq7Zr3Vb8Tc4Np5Hd6Jw1Fs0Ge2Ra8Ub3Qt
-----END PGP PUBLIC KEY BLOCK-----
`},
	// A Jupyter notebook: code cells, a printed DataFrame, an image.
	{"churn_analysis.ipynb", `{
 "cells": [
  {"cell_type": "markdown", "metadata": {}, "source": ["# Churn analysis Q4\n", "Data pulled 2026-12-03 from crm-replica (10.8.4.21)."]}, ⟨ip_address⟩
  {"cell_type": "code", "execution_count": 7, "metadata": {}, "source": ["df = pd.read_sql(\"select email, phone, plan from customers where churned\", conn)\n", "df.head(3)"],
   "outputs": [{"output_type": "execute_result", "execution_count": 7, "metadata": {},
     "data": {"text/plain": ["                        email            phone     plan\n",
       "0   h.jansen@mail-example.nl   +31 6 4729 1835  premium\n", ⟨email phone_number⟩
       "1  r.gomez@correo-example.es  +34 611 48 27 39    basic\n", ⟨email phone_number⟩
       "2     a.novak@mail-example.cz  +420 602 184 739    basic"]}}]}, ⟨email phone_number⟩
  {"cell_type": "code", "execution_count": 8, "metadata": {}, "source": ["df.plan.value_counts().plot.bar()"],
   "outputs": [{"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0KGgoAAAANSUhEUgAAAYAAAAEACAYAAAC9Fh4pAAAAOXRFWHRTb2Z0d2FyZQBNYXRwbG90bGliIHZlcnNpb24zLjguMiwgaHR0cHM6Ly9tYXRwbG90bGliLm9yZy8g+/7EAAAACXBIWXMAAA9hAAAPYQGoP6dpAAAx"}}]}
 ],
 "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}, "language_info": {"name": "python", "version": "3.11.6"}},
 "nbformat": 4,
 "nbformat_minor": 5
}
`},
	// Windows Security log exported as XML.
	{"security_4625.xml", `<Events>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="Microsoft-Windows-Security-Auditing" Guid="{54849625-5478-4994-a5ba-3e3b0328c30d}"/>
    <EventID>4625</EventID><Version>0</Version><Level>0</Level><Task>12544</Task>
    <TimeCreated SystemTime="2026-12-03T10:14:22.4183920Z"/>
    <EventRecordID>2849173</EventRecordID>
    <Execution ProcessID="684" ThreadID="7412"/>
    <Computer>DC01.corp.example.net</Computer>
  </System>
  <EventData>
    <Data Name="SubjectUserSid">S-1-5-18</Data>
    <Data Name="TargetUserName">a.schmidt</Data>
    <Data Name="TargetDomainName">CORP</Data>
    <Data Name="Status">0xc000006d</Data>
    <Data Name="LogonType">3</Data>
    <Data Name="WorkstationName">WS-0417</Data>
    <Data Name="LogonGuid">{00000000-0000-0000-0000-000000000000}</Data>
    <Data Name="IpAddress">198.51.100.73</Data> ⟨ip_address⟩
    <Data Name="IpPort">52814</Data>
  </EventData>
</Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System><EventID>4624</EventID><TimeCreated SystemTime="2026-12-03T10:14:25.0012000Z"/><EventRecordID>2849174</EventRecordID></System>
  <EventData>
    <Data Name="TargetUserName">svc_backup</Data>
    <Data Name="IpAddress">fe80::</Data>
    <Data Name="IpAddress">2001:db8:4a2f:11::7</Data> ⟨ip_address⟩
  </EventData>
</Event>
</Events>
`},
	// Italian bank export: ';', decimal commas, quoted notes with line
	// breaks, a BOM.
	{"movimenti_clienti.csv", "\ufeff" + `Cognome;Nome;Codice fiscale;Data di nascita;Telefono;E-mail;IBAN;Saldo;Note
"Rossi";"Mario";"{cfA}";"10/12/1985";"+39 06 4827 1935";"mario.rossi@posta-example.it";"{ibanIT}";"1.234,56";"Cliente dal 2014; ⟨person_name it_fiscal_code date_of_birth phone_number email iban⟩
richiamare dopo le 18:00"
"Verdi";"Giuseppina";"{cfB}";"12/04/1979";"347 218 4493";"g.verdi@posta-example.it";"{ibanITplain}";"-87,10";"" ⟨person_name it_fiscal_code date_of_birth phone_number email iban⟩
`},
	// French export without a sep= line; an address with a line break.
	{"adherents.csv", `Nom;Prénom;Date de naissance;N° Sécurité sociale;Téléphone;Adresse;Cotisation
Durand;Élodie;23/09/1985;{nirA};06 71 48 29 35;"12 allée des Tilleuls ⟨person_name date_of_birth fr_nir phone_number postal_address⟩
Bât. C, 44300 Nantes";45,00
Petit;Hugo;07/03/1993;{nirB};07 82 19 46 30;"3 place du Marché, 21000 Dijon";30,50 ⟨person_name date_of_birth fr_nir phone_number postal_address⟩
`},
	// Dutch payroll TSV.
	{"salarisadministratie.tsv", `personeelsnummer{tab}achternaam{tab}voornaam{tab}geboortedatum{tab}bsn{tab}iban{tab}brutoloon{tab}afdeling
40417{tab}Visser{tab}Femke{tab}1988-02-11{tab}{bsnA}{tab}{ibanNLplain}{tab}3850,00{tab}Logistiek ⟨person_name*2 date_of_birth nl_bsn iban⟩
40418{tab}de Boer{tab}Sem{tab}1995-10-30{tab}{bsnB}{tab}{ibanNL}{tab}3125,50{tab}ICT ⟨person_name*2 date_of_birth nl_bsn iban⟩
`},
	// Structured JSON-lines log with nested objects.
	{"api-2026-12-03.jsonl", `{"time":"2026-12-03T10:14:22.418Z","level":"INFO","msg":"request","http":{"method":"POST","path":"/v2/orders","status":201,"client":{"ip":"81.92.204.17","ua":"okhttp/4.12.0"}},"user":{"id":"u-20417","contact":{"email":"k.nowak@example.pl","phone":"+48 512 384 917"}},"latency_ms":84} ⟨ip_address email phone_number⟩
{"time":"2026-12-03T10:14:23.002Z","level":"WARN","msg":"auth","http":{"headers":{"authorization":"Bearer {jwtLog}","x-request-id":"6f1c2e9a-4b7d-4e21-9c3a-8d5f0b2e7a14"}},"trace":{"trace_id":"{md5}","span_id":"{oid}"}} ⟨jwt⟩
{"time":"2026-12-03T10:14:24.190Z","level":"ERROR","msg":"payment failed","payment":{"card":{"number":"{visaPlain}","exp":"09/28"},"amount":{"value":"129.90","currency":"EUR"}},"customer":{"address":{"street":"ul. Marszałkowska 84/92","city":"Warszawa","zip":"00-514"}}} ⟨credit_card postal_address⟩
{"time":"2026-12-03T10:14:25.733Z","level":"DEBUG","msg":"cache","stats":{"hits":48213,"misses":1834,"ratio":0.9634},"build":{"version":"4.18.2","commit":"{sha1}"},"host":{"ip":"10.60.2.14"}} ⟨ip_address⟩
`},
}

// h4TextDocs are plain text: the detectors see them as they are.
var h4TextDocs = []hoDoc{
	// RFC 5424 syslog with structured data, and a BSD line.
	{"messages.log", `<34>1 2026-12-03T10:14:22.418Z mail01.example.net postfix 3321 ID47 [origin ip="192.0.2.214"][meta sequenceId="4711"] reject: RCPT from unknown[203.0.113.88]: 554 5.7.1 <m.lambert@exemple-mail.fr>: Relay access denied ⟨ip_address*2 email⟩
<86>1 2026-12-03T10:14:23.002+01:00 bastion sshd 24817 - - Accepted publickey for deploy from 2001:db8:7c1:4::19 port 52814 ssh2: ED25519 SHA256:Xk4Lp9Mz2Qm7Vb8Tc4Np5Hd6Jw1Fs0Ge2Ra8Ub3Qt ⟨ip_address⟩
Dec  3 10:14:24 web02 nginx[1187]: 2026/12/03 10:14:24 [error] 1187#1187: *48213 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 81.92.204.17, server: shop.example.net, upstream: "http://10.60.2.31:8080/api/v2/cart" ⟨ip_address*2⟩
Dec  3 10:14:25 web02 kernel: [8123456.789012] TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.
Dec  3 10:14:26 web02 systemd[1]: Started Session 4417 of user deploy; memory 12.4M, CPU 1.834s, version 252.19-1
`},
	// German letters and forms.
	{"de_kuendigung.txt", `Kündigung des Mitgliedsvertrags Nr. 2026-004417
Name: Jonas Hartmann, geb. am 04.08.1966 ⟨date_of_birth⟩
Steuer-IdNr.: {taxASpaced} ⟨de_tax_id⟩
Bitte erstatten Sie den Restbetrag auf IBAN {ibanDE}. ⟨iban⟩
Für Rückfragen: Tel. 089 21847 3391, mobil 0157 38291046 ⟨phone_number*2⟩
E-Mail: jonas.hartmann@mail-example.de ⟨email⟩
Reisepassnummer: C4J7KX2R9 ⟨passport_number⟩
Mitgliedsnummer 00417-26, Vertragsversion 3.1, Stand 01.12.2026
`},
	{"de_lohnsteuer.txt", `Lohnsteuerbescheinigung 2026 – Auszug
Identifikationsnummer: {taxB} ⟨de_tax_id⟩
eTIN: HRTMNJNS66H04, Personalnummer 100417, Steuerklasse 1
Geburtsdatum 04.08.1966 ⟨date_of_birth⟩
Bruttoarbeitslohn 48.213,00 €; einbehaltene Lohnsteuer 7.731,22 €
Finanzamt München, Steuernummer 143/218/47339
`},
	{"fr_mutuelle.txt", `Demande d'adhésion – mutuelle santé
Assuré : M. Hugo Petit, né le 7 mars 1993 à Dijon ⟨date_of_birth⟩
Numéro INSEE : {nirASpaced} ⟨fr_nir⟩
N° de sécu du conjoint : {nirB} ⟨fr_nir⟩
IBAN : {ibanFR} – BIC BNPAFRPPXXX ⟨iban⟩
Téléphone : +33 3 80 41 27 96 ⟨phone_number⟩
Courriel : hugo.petit@exemple-mail.fr ⟨email⟩
Contrat n° 2026-118-04417, cotisation 30,50 € / mois, formule 2.3
`},
	{"es_contrato.txt", `Contrato de arrendamiento – datos de las partes
Arrendador: D. Álvaro Serrano Gil, con DNI {dniA}, nacido el 3 de marzo de 1971 ⟨es_dni date_of_birth⟩
Arrendataria: Dña. Ioana Popescu, NIE {nieX}, fecha de nacimiento 21/07/1990 ⟨es_dni date_of_birth⟩
Avalista con NIE {nieY} ⟨es_dni⟩
La renta se abonará en la cuenta {ibanES} antes del día 5 de cada mes. ⟨iban⟩
Teléfono del arrendador: 655 21 84 93 ⟨phone_number⟩
Referencia catastral 9872023VH5797S0001WX, contrato 2026/0417, 1.150,00 € al mes.
`},
	{"it_delega.txt", `Delega per il ritiro di documenti
Io sottoscritta Giuseppina Verdi, nata a Roma il 12/04/1979, ⟨date_of_birth⟩
C.F. {cfB}, ⟨it_fiscal_code⟩
delego il sig. Mario Rossi, codice fiscale {cfA}, ⟨it_fiscal_code⟩
Cellulare: 347 218 4493 ⟨phone_number⟩
Conto per eventuali rimborsi: {ibanITplain} ⟨iban⟩
Pratica n. 2026/0417 del 03/12/2026, marca da bollo 16,00 €.
`},
	{"nl_zorgverzekering.txt", `Aanmelding zorgverzekering
Naam: Femke Visser, geboren op 11 februari 1988 ⟨date_of_birth⟩
Sofinummer: {bsnA} ⟨nl_bsn⟩
BSN van de partner: {bsnBDotted} ⟨nl_bsn⟩
Rekeningnummer: {ibanNL} ⟨iban⟩
Mobiel: 06 4729 1836 ⟨phone_number⟩
Polisnummer 2026.0417.883, premie € 138,95 per maand, versie 2.4.
`},
	{"en_payroll.txt", `Payroll change request – ref HR-2026-0417
Employee: Daniel Brooks, date of birth 19 September 1984 ⟨date_of_birth⟩
SSN: 412-83-5907 ⟨us_ssn⟩
National Insurance number: WP 48 29 13 D ⟨uk_nino⟩
Pay into: {ibanGB} ⟨iban⟩
Corporate card {mc}, personal card {amex} ⟨credit_card*2⟩
Maestro {maestro} (expired) ⟨credit_card⟩
UnionPay card number {unionpay} ⟨credit_card⟩
Phone: +44 7712 384915 ⟨phone_number⟩
Aadhaar (India secondment): {aadhaar} ⟨in_aadhaar⟩
Approved by J. Reyes, 2026-12-03, cost centre 4417, grade 7.2
`},
	// A developer's notes full of decoys: documentation samples, hashes,
	// versions, ids and numbers that fail their checks.
	{"DEVELOPMENT.md", `# Development notes

Run ` + "`make test`" + ` (Go 1.22.4, Node 20.10.0, PostgreSQL 15.4, protoc 25.1).

## Fixtures
- Users in the seed data write to alice@example.com and bob@example.org. ⟨email*2⟩
- Use the AWS docs key AKIAIOSFODNN7EXAMPLE only in tests.
- Card numbers that fail Luhn for the negative tests: {cardBad}, {cardBadPlain}.
- IBAN with wrong check digits: {ibanBad}
- BSN failing the 11-test: {bsnBad}; Steuer-ID with a wrong digit: {taxBad}
- NIR with a wrong key: {nirBad}; DNI with the wrong letter: {dniBad}
- Codice fiscale with a bad check character: {cfBad}; Aadhaar failing Verhoeff: {aadhaarBad}

## Identifiers you will see in logs
- request ids: 6f1c2e9a-4b7d-4e21-9c3a-8d5f0b2e7a14, 01HF8Z7K3M2QXW9V4T6R5N8P1B (ULID)
- Mongo ObjectIds: {oid}, {oid2}
- digests: sha256:{sha256}, md5 {md5}, git {sha1}
- versions: v4.18.2, 2.14.0-rc.1+build.20261203, 10.0.19045.3693, 1.2.840.113549
- timestamps: 2026-12-03T10:14:22.418Z, 1733221462418, 20261203101422, 03.12.2026 10:14
- orders: ORD-2026-004417, 4500183726, PO#20261203-0417; invoices 2026/118734
- Kubernetes: replicas 3, port 8080, 512Mi, 500m; ports 5432, 6379, 27017
- money: 1.234,56 €, $12,499.00, 8.499,00 INR
- phone-like counters: build 4417 2026 1203, pid 24817, inode 1835729461
- coordinates: 52.520008, 13.404954; hex color #4a2f11; MAC 3c:22:fb:8a:10:4e
- npm: @types/node@20.10.4, lodash@4.17.21; docker: nginx@sha256:{sha256}
- SSH host key: SHA256:Xk4Lp9Mz2Qm7Vb8Tc4Np5Hd6Jw1Fs0Ge2Ra8Ub3Qt
- password policy: password_min_length=12, password_expiry_days=90
- dates: release 2026-12-01, born-on date of the build 2026-11-28
`},
}

// HeldOut4 returns the fourth corpus's plain-text documents with their
// labels, for the detectors alone.
func HeldOut4() []Doc {
	return hoBuild(h4TextDocs, h4Values())
}

// HeldOut4Files returns the fourth corpus's files for the format readers:
// the labelled files above with their counts, the plain-text documents
// too, and MIME e-mails whose parts are quoted-printable and base64.
func HeldOut4Files() []HeldOutFile {
	v := h4Values()
	var out []HeldOutFile
	for _, docs := range [][]hoDoc{h4FileDocs, h4TextDocs} {
		for _, d := range hoBuild(docs, v) {
			want := map[string]int{}
			for k, n := range d.Want {
				want[k.Type] += n
			}
			data := d.Text
			switch {
			case strings.HasSuffix(d.Name, ".hl7"):
				// HL7 v2 ends segments with a carriage return.
				data = []byte(strings.ReplaceAll(string(data), "\n", "\r"))
			case strings.HasSuffix(d.Name, ".ics"):
				data = []byte(strings.ReplaceAll(string(data), "\n", "\r\n"))
			}
			out = append(out, HeldOutFile{d.Name, data, want})
		}
	}
	return append(out, h4Mails(v)...)
}

// h4Mails are MIME messages: a German reply whose text part is
// quoted-printable (umlauts as =C3=BC, soft line breaks, one inside an
// IBAN) beside an HTML part in base64 and a PDF attachment; a French
// message whose only text is base64 in ISO-8859-1.
func h4Mails(v map[string]string) []HeldOutFile {
	iban := v["ibanDE"]
	qp := "Sehr geehrte Frau M=C3=BCller,\n" +
		"vielen Dank f=C3=BCr Ihre Unterlagen. Bitte =C3=BCberweisen Sie die Kauti=\n" +
		"on auf folgendes Konto: IBAN " + iban[:12] + "=\n" + iban[12:] + " (Sparkasse M=C3=BCnchen).\n" +
		"Ihr Geburtsdatum (12.03.1974) haben wir in der Akte erg=C3=A4nzt.\n" +
		"R=C3=BCckfragen gern unter 089 4418 2276 oder an verwaltung@hausverwaltung-=\n" +
		"example.de.\n" +
		"Mit freundlichen Gr=C3=BC=C3=9Fen\n" +
		"Stefan Kraus =E2=80=93 Hausverwaltung Kraus GmbH, Vertragsnummer 2026-0417=\n" +
		", Version 2.1\n"
	html := "<html><body><p>Sehr geehrte Frau Müller,</p><p>Konto: " + iban + "<br>Geburtsdatum: 12.03.1974<br>" +
		"Telefon 089 4418 2276, <a href=\"mailto:verwaltung@hausverwaltung-example.de\">E-Mail</a></p></body></html>\n"
	pdf := make([]byte, 900)
	x := uint32(4417)
	for k := range pdf {
		x = x*1664525 + 1013904223
		pdf[k] = byte(x >> 24)
	}
	de := "Return-Path: <s.kraus@hausverwaltung-example.de>\n" +
		"Received: from mail.hausverwaltung-example.de (mail.hausverwaltung-example.de [198.51.100.24])\n" +
		"\tby mx.mail-example.de with ESMTPS id 4ZqK2m; Thu, 3 Dec 2026 10:14:22 +0100\n" +
		"From: =?UTF-8?Q?Stefan_Kraus?= <s.kraus@hausverwaltung-example.de>\n" +
		"To: =?UTF-8?B?U2FiaW5lIE3DvGxsZXI=?= <sabine.mueller@mail-example.de>\n" +
		"Subject: =?UTF-8?Q?Kaution_f=C3=BCr_die_Wohnung_Leopoldstra=C3=9Fe?=\n" +
		"Date: Thu, 3 Dec 2026 10:14:22 +0100\n" +
		"Message-ID: <3f2a9c1d.4417.20261203@hausverwaltung-example.de>\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=\"=_outer_4417\"\n\n" +
		"--=_outer_4417\n" +
		"Content-Type: multipart/alternative; boundary=\"=_alt_4417\"\n\n" +
		"--=_alt_4417\n" +
		"Content-Type: text/plain; charset=\"utf-8\"\n" +
		"Content-Transfer-Encoding: quoted-printable\n\n" + qp + "\n" +
		"--=_alt_4417\n" +
		"Content-Type: text/html; charset=\"utf-8\"\n" +
		"Content-Transfer-Encoding: base64\n\n" + hoB64Wrap(html) + "\n" +
		"--=_alt_4417--\n\n" +
		"--=_outer_4417\n" +
		"Content-Type: application/pdf; name=\"Mietvertrag_2026-0417.pdf\"\n" +
		"Content-Disposition: attachment; filename=\"Mietvertrag_2026-0417.pdf\"\n" +
		"Content-Transfer-Encoding: base64\n\n" + hoB64Wrap(string(pdf)) + "\n" +
		"--=_outer_4417--\n"
	// Each value once in the text part and once in the HTML part; the
	// headers hold three addresses and an IP.
	deWant := map[string]int{"email": 3 + 2, "ip_address": 1, "iban": 2, "date_of_birth": 2, "phone_number": 2}

	fr := "Gérez votre dossier : né le 14/06/1958, numéro de sécurité sociale " + v["nirB"] + ".\n" +
		"Téléphone portable : 06 58 21 74 93\n" +
		"Carte bancaire enregistrée : " + v["visa"] + "\n" +
		"Référence dossier 2026-04417, montant 84,50 €.\n"
	latin := make([]byte, 0, len(fr))
	for _, r := range fr { // ISO-8859-1
		latin = append(latin, byte(r))
	}
	frMail := "From: Caisse Exemple <noreply@caisse-exemple.fr>\n" +
		"To: jeanne.roux@exemple-mail.fr\n" +
		"Subject: =?ISO-8859-1?Q?Votre_dossier_n=B0_2026-04417?=\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=ISO-8859-1\n" +
		"Content-Transfer-Encoding: base64\n\n" + hoB64Wrap(string(latin)) + "\n"
	frWant := map[string]int{"email": 2, "date_of_birth": 1, "fr_nir": 1, "phone_number": 1, "credit_card": 1}
	return []HeldOutFile{
		{"Kaution.eml", []byte(de), deWant},
		{"dossier.eml", []byte(frMail), frWant},
	}
}

// h4bFileDocs were written after the fixes above, as a check on them:
// more of the same families in other producers' forms (an mbox of two
// messages, an Android vCard 2.1 with quoted-printable values, an Outlook
// contacts CSV, a HAR capture, PHP and Django settings, an Ansible
// inventory, docker compose, a git patch, an RTF letter, MLLP-framed HL7).
// A middle initial alone ("J.") is no name (normPersonName: two letters);
// Django's SECRET_KEY is a secret key, a password by the keyRules.
var h4bFileDocs = []hoDoc{
	{"archive.mbox", `From hr@firma-example.de Thu Dec  3 10:14:22 2026 ⟨email⟩
From: Personalabteilung <hr@firma-example.de> ⟨email⟩
To: lena.vogel@mail-example.de ⟨email⟩
Subject: Ihre Unterlagen
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Ihre Steuer-ID {taxA} und Ihr Geburtsdatum 21.06.1990 sind erfasst. ⟨de_tax_id date_of_birth⟩
--b1--

From it@firma-example.de Thu Dec  3 11:02:10 2026 ⟨email⟩
From: IT <it@firma-example.de> ⟨email⟩
To: lena.vogel@mail-example.de ⟨email⟩
Subject: Zugang
Content-Type: text/plain; charset=utf-8

Ihr Diensthandy: 0151 48273916 ⟨phone_number⟩
Bankverbindung für Spesen: {ibanDEplain} ⟨iban⟩
`},
	{"android_contacts.vcf", `BEGIN:VCARD
VERSION:2.1
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;; ⟨person_name*2⟩
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller
TEL;CELL;PREF:+49 170 3829174 ⟨phone_number⟩
TEL;HOME:030 4829 1735 ⟨phone_number⟩
EMAIL;HOME:j.mueller@mail-example.de ⟨email⟩
ADR;HOME;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;;Schillerstra=C3=9Fe 14;Berlin;;10625;Deutschl= ⟨postal_address⟩
and
BDAY:1979-11-02 ⟨date_of_birth⟩
END:VCARD
`},
	{"outlook_contacts.csv", `"First Name","Middle Name","Last Name","E-mail Address","Business Phone","Mobile Phone","Home Street","Home City","Home Postal Code","Birthday","Notes"
"Sophie","","Laurent","sophie.laurent@exemple-mail.fr","+33 1 42 68 53 01","+33 6 12 84 73 95","8 rue de la Paix","Paris","75002","3/14/1984","met at conference 2026" ⟨person_name*2 email phone_number*2 postal_address date_of_birth⟩
"Tom","J.","Becker","tom.becker@mail-example.com","(312) 746-2290","","1420 W Addison St","Chicago","60613","0/0/00","" ⟨person_name*2 email phone_number postal_address⟩
`},
	{"checkout.har", `{"log": {"version": "1.2", "creator": {"name": "Firefox", "version": "120.0"},
 "entries": [{"startedDateTime": "2026-12-03T10:14:22.418+01:00", "time": 84,
  "request": {"method": "POST", "url": "https://shop.example.net/api/checkout",
   "headers": [{"name": "Authorization", "value": "Bearer {jwtLog}"}, {"name": "Cookie", "value": "sid=8f3a2c1d; theme=dark"}], ⟨jwt⟩
   "postData": {"mimeType": "application/json", "text": "{\"email\":\"n.kaya@mail-example.com\",\"card\":\"{visaPlain}\",\"phone\":\"+90 532 418 27 39\"}"}}, ⟨email credit_card phone_number⟩
  "response": {"status": 201, "content": {"size": 512, "mimeType": "application/json"}},
  "serverIPAddress": "203.0.113.41"}]}} ⟨ip_address⟩
`},
	{"wp-config.php", `<?php
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', 'wp_admin' );
define( 'DB_PASSWORD', 'Wp#Pr0d-2026!x' ); ⟨password⟩
define( 'DB_HOST', '10.20.4.11' ); ⟨ip_address⟩
define( 'AUTH_KEY',         'put your unique phrase here' );
$table_prefix = 'wp_';
define( 'WP_DEBUG', false );
`},
	{"settings.py", `SECRET_KEY = "django-insecure-4f2a9c1d" ⟨password⟩
DEBUG = False
ALLOWED_HOSTS = ["shop.example.net", "10.20.4.12"] ⟨ip_address⟩
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "USER": "shop",
        "PASSWORD": "Dj4ngo!Shop-26", ⟨password⟩
        "HOST": "db.internal",
        "PORT": "5432",
    }
}
ADMINS = [("Ops", "ops@shop-example.net")] ⟨email⟩
EMAIL_HOST_PASSWORD = os.environ["SMTP_PASSWORD"]
`},
	{"inventory.ini", `[web]
web01 ansible_host=10.30.1.11 ansible_user=deploy ansible_password='An5ible!Web01' ⟨ip_address password⟩
web02 ansible_host=10.30.1.12 ansible_user=deploy ansible_become_pass=Bec0me#Root26 ⟨ip_address password⟩

[db:vars]
ansible_password="{{ vault_db_password }}"
`},
	{"docker-compose.yml", `services:
  db:
    image: postgres:15.4
    environment:
      - POSTGRES_USER=app
      - POSTGRES_PASSWORD=Pg!Compose-2026 ⟨password⟩
      - PGDATA=/var/lib/postgresql/data
  mail:
    image: mailhog/mailhog:v1.0.1
    environment:
      MH_AUTH_FILE: /etc/mailhog/auth
      SMTP_PASSWORD: "${SMTP_PASSWORD}"
`},
	{"0001-fix-parser.patch", `From 4f2a9c1d7b4e4d218c3a5d9f0b2e7a14c6b8e0f2 Mon Sep 17 00:00:00 2001
From: Priya Natarajan <priya.natarajan@dev-example.org> ⟨email⟩
Date: Thu, 3 Dec 2026 10:14:22 +0100
Subject: [PATCH] parser: accept folded lines

Signed-off-by: Priya Natarajan <priya.natarajan@dev-example.org> ⟨email⟩
Reviewed-by: Jonas Berg <j.berg@dev-example.org> ⟨email⟩
---
 parser.go | 4 ++--
 1 file changed, 2 insertions(+), 2 deletions(-)
@@ -12,7 +12,7 @@ func parse(b []byte) error {
-	if len(b) > 1024 {
+	if len(b) > 4096 {
-- 
2.43.0
`},
	{"brief.rtf", `{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Arial;}}
\f0\fs22 Sehr geehrter Herr Kr\'e4mer,\par
Ihr Geburtsdatum: 17.09.1958\par ⟨date_of_birth⟩
Ihre IBAN: {ibanAT}\par ⟨iban⟩
Telefon: 0664 1827394\par ⟨phone_number⟩
Mit freundlichen Gr\'fc\'dfen\par
}
`},
	{"adt_mllp.hl7", "\x0b" + `MSH|^~\&|ADT|CLINIC|EHR|CLINIC|20261203101422||ADT^A08|MSG4418|P|2.3
PID|1||A0019283^^^CLINIC^MR||NOWAK^KATARZYNA^^^MS||19850322|F|||ul. Długa 12^^Gdańsk^^80-827^POL||+48 58 301 27 44 ⟨health_record person_name*2 date_of_birth postal_address phone_number⟩
DG1|1||E11.9^Type 2 diabetes mellitus^I10 ⟨health_record⟩
` + "\x1c"},
}

// HeldOut4bFiles returns the check files written after the fixes.
func HeldOut4bFiles() []HeldOutFile { return HeldOut4bFilesFrom(h4bFileDocs) }

// h4cFileDocs are a second check set written after the fixes: name/value
// pairs (Kubernetes env lists, Postman environments, AWS tags), Windows
// registry exports and unattend.xml, host files that hold hashes not
// passwords, a PostgreSQL log and Helm values. Not yet found (~): a birth
// date in an INSERT statement quoted in a log line — its column list is
// read only in .sql dumps (layouts.go).
var h4cFileDocs = []hoDoc{
	{"deployment.yaml", `apiVersion: apps/v1
kind: Deployment
metadata:
  name: billing-api
spec:
  template:
    spec:
      containers:
        - name: api
          image: registry.example.net/billing/api:4.18.2
          env:
            - name: DB_HOST
              value: "10.60.2.14" ⟨ip_address⟩
            - name: DB_PASSWORD
              value: "K8sEnv!Db-2026" ⟨password⟩
            - name: SMTP_PASSWORD
              valueFrom:
                secretKeyRef: {name: smtp, key: password}
            - name: SUPPORT_EMAIL
              value: support@billing-example.io ⟨email⟩
            - name: LOG_LEVEL
              value: info
`},
	{"staging.postman_environment.json", `{
  "id": "5f2a9c1d-4b7d-4e21-9c3a-8d5f0b2e7a14",
  "name": "staging",
  "values": [
    {"key": "baseUrl", "value": "https://staging.example.net", "enabled": true},
    {"key": "username", "value": "qa-bot", "enabled": true},
    {"key": "password", "value": "Pm!Staging-2026", "type": "secret", "enabled": true}, ⟨password⟩
    {"key": "adminEmail", "value": "qa-lead@example.net", "enabled": true}, ⟨email⟩
    {"key": "version", "value": "2.14.0", "enabled": true}
  ],
  "_postman_variable_scope": "environment"
}
`},
	{"ec2-tags.json", `{"Tags": [
  {"Key": "Name", "Value": "billing-prod-01"},
  {"Key": "Owner", "Value": "m.rossi@example.it"}, ⟨email⟩
  {"Key": "CostCenter", "Value": "4417"},
  {"Key": "OnCallPhone", "Value": "+39 02 8736 4419"} ⟨phone_number⟩
]}
`},
	{"unattend.xml", `<?xml version="1.0" encoding="utf-8"?>
<unattend xmlns="urn:schemas-microsoft-com:unattend">
  <settings pass="oobeSystem">
    <component name="Microsoft-Windows-Shell-Setup">
      <UserAccounts>
        <AdministratorPassword>
          <Value>Un@ttend-Adm1n</Value> ⟨password⟩
          <PlainText>true</PlainText>
        </AdministratorPassword>
      </UserAccounts>
      <AutoLogon><Username>kiosk</Username><Password><Value>K1osk#Logon</Value><PlainText>true</PlainText></Password></AutoLogon> ⟨password⟩
      <RegisteredOwner>Acme GmbH</RegisteredOwner>
      <TimeZone>W. Europe Standard Time</TimeZone>
    </component>
  </settings>
</unattend>
`},
	{"known_hosts", `github.com,140.82.121.4 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ⟨ip_address⟩
10.60.2.14 ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg= ⟨ip_address⟩
|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7x9Lm2Kq7Zr3Vb8Tc4Np5Hd6Jw1Fs0Ge2Ra8Ub3Qt
`},
	{"shadow", `root:$6$Zt5Hq2Lm$9Xw3Vb7Rn1Kc8Pd4Jy6Fs0Tq7Lm2Xw9Kz4Vb8Nc3Yp6Hd1Jf5Gs0Wn4Rk8Zt2Lq6Xm9Vb3Pc7Yd1Hf5Js0:19700:0:99999:7:::
deploy:$y$j9T$Lq6Xm9Vb3Pc7Yd1Hf5Js0.$Wn4Rk8Zt2Lq6Xm9Vb3Pc7Yd1Hf5Js0Wn4Rk8Zt2L:19701:0:99999:7:::
nobody:*:19700:0:99999:7:::
`},
	{".htpasswd", `admin:$apr1$8f3a2c1d$Xk4Lp9Mz2Qm7Vb8Tc4Np5/
ci:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=
`},
	{"postgresql-2026-12-03.log", `2026-12-03 10:14:22.418 CET [24817] app@shop ERROR:  duplicate key value violates unique constraint "customers_email_key"
2026-12-03 10:14:22.418 CET [24817] app@shop DETAIL:  Key (email)=(l.fischer@mail-example.de) already exists. ⟨email⟩
2026-12-03 10:14:22.418 CET [24817] app@shop STATEMENT:  INSERT INTO customers (email, phone, birth_date) VALUES ('l.fischer@mail-example.de', '+49 221 9874 3310', '1991-06-08') ⟨email phone_number date_of_birth⟩
2026-12-03 10:14:25.002 CET [24820] LOG:  connection received: host=10.60.2.31 port=52814 ⟨ip_address⟩
2026-12-03 10:14:25.107 CET [24820] LOG:  duration: 1834.417 ms  statement: SELECT count(*) FROM orders WHERE created_at > '2026-11-01'
`},
	{"values-prod.yaml", `image:
  tag: "4.18.2"
postgresql:
  auth:
    username: billing
    password: "H3lm!Pg-Prod26" ⟨password⟩
    postgresPassword: "H3lm!Pg-Root26" ⟨password⟩
    existingSecret: ""
redis:
  auth:
    password: "" 
smtp:
  from: "Billing <billing@billing-example.io>" ⟨email⟩
ingress:
  hosts: [billing.example.net]
resources: {limits: {cpu: 500m, memory: 512Mi}}
`},
}

// HeldOut4cFiles returns the second check set, a registry export in
// UTF-16 (as regedit writes it) among them.
//
// The logged INSERT's birth date was first marked ~ (either label
// defensible); files are scored by counts, where a ~ value found counts
// against precision. It is a date under a column named for birth dates,
// which pii-types.md counts and the .sql reader counts in a dump, so it
// now counts here too (changed in the organisation-shapes round, whose
// PostgreSQL log has the same statement).
func HeldOut4cFiles() []HeldOutFile {
	out := HeldOut4bFilesFrom(h4cFileDocs)
	reg := "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon]\r\n" +
		"\"AutoAdminLogon\"=\"1\"\r\n\"DefaultUserName\"=\"kiosk\"\r\n\"DefaultPassword\"=\"Reg!Autologon-26\"\r\n\"DefaultDomainName\"=\"CORP\"\r\n"
	u := []byte{0xff, 0xfe}
	for _, r := range reg {
		u = append(u, byte(r), 0)
	}
	return append(out, HeldOutFile{"autologon.reg", u, map[string]int{"password": 1}})
}

// HeldOut4bFilesFrom builds labelled file documents (the .hl7 ones with
// CR segment ends).
func HeldOut4bFilesFrom(docs []hoDoc) []HeldOutFile {
	var out []HeldOutFile
	for _, d := range hoBuild(docs, h4Values()) {
		want := map[string]int{}
		for k, n := range d.Want {
			want[k.Type] += n
		}
		data := d.Text
		if strings.HasSuffix(d.Name, ".hl7") {
			data = []byte(strings.ReplaceAll(string(data), "\n", "\r"))
		}
		out = append(out, HeldOutFile{d.Name, data, want})
	}
	return out
}
