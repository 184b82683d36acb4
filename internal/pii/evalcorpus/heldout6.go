package evalcorpus

// The sixth held-out corpus, written before reading the detectors, on
// formats and sources the first five rounds did not have: a Hibernate
// config (values under a name attribute), redis.conf, a Cisco IOS
// running-config, a shell history, an sshd/postfix auth log, a SOAP
// request with a WS-Security password, an Apple property list, a LaTeX
// CV (moderncv), a PowerShell Export-Csv of AD users (#TYPE line), a
// fixed-width mainframe member export, an OCR'd passport with its MRZ, a
// Kubernetes ConfigMap embedding .properties and JSON, TOML with arrays
// of tables and triple-quoted strings, pandas "split" JSON and a Google
// Sheets API values array (tables inside JSON), Excel 2003 SpreadsheetML,
// letters and e-mails in six languages with addresses only under strong
// context ("residing at", "wohnhaft", "demeurant", "con domicilio en",
// "residente in", "Mijn nieuwe adres is"), an Indian KYC form and a decoy
// file. Files built in Go (an .odt, an .ods, a compressed PDF with TJ
// kerning arrays, a Latin-1 CSV, a UTF-8 CSV with BOM and CRLF, a
// multipart e-mail with a base64 CSV attachment) are in heldout6files.go.
//
// Labels as in heldout3.go ("⟨type type*2⟩", "~type" not scored). The
// earlier rounds' decisions hold: person_name only from structure (a
// key, column, element or macro naming a name part; each part counts),
// a bare "Name"/"Nombre" column not counted, names in prose not labelled;
// one structured address counts once however many columns it spans; the
// documentation samples, 127.0.0.1 and 0.0.0.0 are left out. Decided
// before measuring:
//   - a password hash (Cisco "secret 9 $9$…") is not a password; a
//     plaintext "password 0 …" is; redis's commented "# requirepass
//     foobared" is the shipped example and is not;
//   - a shell history's "--password=…" and "export PGPASSWORD=…" are
//     passwords (a key named for passwords); "sshpass -p" and "curl -u
//     user:pass" have no such key and are marked ~ (not scored);
//   - "Failed password for invalid user …" holds no password;
//   - a passport number counts where it is printed and again in the MRZ;
//     the MRZ's birth date and names are not labelled (no reader knows
//     them yet, either label is defensible);
//   - a form's "Surname"/"Given names" (a passport's printed fields) and
//     "Name of applicant" name a person; a \name{given}{family} macro
//     counts its two parts;
//   - in fixed-width text the header row names the columns; an AWS
//     secret access key counts as a password (as in the third round);
//   - a bare "Nom"/"Nome" on a form or in a sheet is not counted (first
//     round), "Nom de famille" and "Surname" are;
//   - an invoice number shaped like a phone number under "Rechnungsnummer"
//     is no phone; ICD-like product codes (E11, J45) in a parts list are
//     no health record.
//
// Labels changed after the first measurement, each for a reason that is
// not the detector's answer: "curl -u user:pass" and "sshpass -p …" were
// marked ~, but files are scored by counts, where a ~ value found counts
// against precision; they are the secrets themselves and now count as
// passwords. A fixed-width row was misaligned by one column (a typo).
//
// Before the fixes (main's readers and detectors, labels as first
// written), through the readers: P 0.953 R 0.654 over 246 values —
// person_name R 0.24 (AD Export-Csv's #TYPE line, SpreadsheetML, tables
// inside JSON, the .odt/.ods read as bare XML, a Latin-1 header, a CSV
// attachment read as text, a fixed-width export, a LaTeX CV),
// postal_address R 0.25 (addresses after residence phrases, the same
// readers), date_of_birth R 0.48, health_record 0 of 4 (pandas split
// JSON), password P 0.71 R 0.67 (redis directives, TOML triple quotes,
// PWD=/home/…, PAM's passwd:chauthtok, Cisco), phone_number P 0.87 R 0.87
// (an .ods float read twice and as a US number, a Steuer-ID in
// SpreadsheetML read as a phone), de_tax_id R 0.5, passport R 0.8 (MRZ),
// it_fiscal_code R 0.67, us_ssn R 0.8. After: P 1.0 R 0.980 over 248 —
// left: postal_address 13 of 16 (wohnhaft, "Mijn nieuwe adres is", "My
// address is": words starting with letters the pass does not look at),
// it_fiscal_code 2 of 3 (one in lower case in prose), person_name 49 of
// 50 ("Vornamen/Given names/Prénoms": the quick key filter knows no key
// ending "oms").
var h6FileDocs = []hoDoc{
	{"hibernate.cfg.xml", `<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE hibernate-configuration PUBLIC "-//Hibernate/Hibernate Configuration DTD 3.0//EN" "http://www.hibernate.org/dtd/hibernate-configuration-3.0.dtd">
<hibernate-configuration>
  <session-factory>
    <property name="hibernate.connection.driver_class">org.postgresql.Driver</property>
    <property name="hibernate.connection.url">jdbc:postgresql://10.40.2.17:5432/crm</property> ⟨ip_address⟩
    <property name="hibernate.connection.username">crm_app</property>
    <property name="hibernate.connection.password">Hb8!crm-Prod_2026</property> ⟨password⟩
    <property name="hibernate.dialect">org.hibernate.dialect.PostgreSQL10Dialect</property>
    <property name="hibernate.c3p0.max_size">20</property>
    <property name="hibernate.c3p0.timeout">1800</property>
  </session-factory>
</hibernate-configuration>
`},
	{"redis.conf", `# Redis configuration file example.
bind 10.40.2.30 ⟨ip_address⟩
protected-mode yes
port 6379
# requirepass foobared
requirepass R3dis!Cache-Prod#26 ⟨password⟩
masterauth R3dis!Repl-Prod#26 ⟨password⟩
replicaof 10.40.2.31 6379 ⟨ip_address⟩
maxmemory 2gb
save 900 1
`},
	{"sw-core-01-confg.txt", `!
version 15.2
hostname sw-core-01
!
enable secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM
username netadmin privilege 15 secret 9 $9$2MJBozw/9R3UsU$8fLtIPpDo4a3Gm6CYNmjJR5DvTeTf0PO7CbpHGo2Ytk
username backup privilege 5 password 0 Bkp!Sw1tch-2026 ⟨password⟩
!
ip name-server 10.10.0.53 ⟨ip_address⟩
logging host 10.10.0.60 ⟨ip_address⟩
ntp server 10.10.0.1 ⟨ip_address⟩
!
line vty 0 4
 login local
 transport input ssh
!
end
`},
	{".bash_history", `cd /srv/app
mysql -h 10.40.2.17 -u crm_app --password='Hb8!crm-Adm1n_26' crm < fix.sql ⟨ip_address password⟩
export PGPASSWORD='Pg!Report-2026x' ⟨password⟩
psql -h db01.internal -U report -c "select count(*) from orders"
curl -u deploy:Dpl0y!Token-26 https://nexus.internal/repository/raw/ ⟨password⟩
git log --oneline | grep -i password
sshpass -p 'Sshp4ss!Jump-26' ssh ops@10.40.9.4 ⟨password ip_address⟩
vim ~/.pgpass
history | grep -i passwd
docker login -u ci-bot -p Dkr!Registry-26 registry.internal:5000 ⟨~password⟩
`},
	{"auth.log", `Dec  3 09:12:44 bastion sshd[18211]: Failed password for invalid user oracle from 185.220.101.45 port 52144 ssh2 ⟨ip_address⟩
Dec  3 09:12:47 bastion sshd[18211]: Connection closed by invalid user oracle 185.220.101.45 port 52144 [preauth] ⟨ip_address⟩
Dec  3 09:13:02 bastion sshd[18230]: Accepted publickey for deploy from 10.40.9.4 port 40022 ssh2: ED25519 SHA256:0f1yWnq6d3Xl7x9C3sZ8b5a4Qn2Vt7Kp1Lm6Hr9Jc0E ⟨ip_address⟩
Dec  3 09:13:02 bastion sshd[18230]: pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0)
Dec  3 09:14:10 bastion sudo[18301]:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/passwd backup
Dec  3 09:15:33 bastion passwd[18310]: pam_unix(passwd:chauthtok): password changed for backup
Dec  3 09:16:01 bastion postfix/smtpd[18320]: connect from mail-ej1-f54.google.com[209.85.218.54] ⟨ip_address⟩
Dec  3 09:16:02 bastion postfix/smtpd[18320]: 4NQ7x21kZ9z1xR: client=mail-ej1-f54.google.com[209.85.218.54] ⟨ip_address⟩
Dec  3 09:16:03 bastion postfix/qmgr[1022]: 4NQ7x21kZ9z1xR: from=<hannah.vogel@gmail.com>, size=48211, nrcpt=1 (queue active) ⟨email⟩
Dec  3 09:16:03 bastion postfix/local[18325]: 4NQ7x21kZ9z1xR: to=<j.brandt@kanzlei-brandt.de>, relay=local, delay=0.4, delays=0.1/0/0/0.3, dsn=2.0.0, status=sent (delivered to mailbox) ⟨email⟩
Dec  3 09:17:40 bastion kernel: [UFW BLOCK] IN=eth0 OUT= SRC=45.155.205.233 DST=10.40.9.1 LEN=40 TTL=243 ID=54321 PROTO=TCP SPT=41234 DPT=3389 ⟨ip_address*2⟩
`},
	{"CreatePolicy.xml", `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:pol="http://insurer.example/policy/v2">
  <soapenv:Header>
    <wsse:Security soapenv:mustUnderstand="1">
      <wsse:UsernameToken>
        <wsse:Username>broker_4417</wsse:Username>
        <wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">Ws$ec!Broker-2026</wsse:Password> ⟨password⟩
        <wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">Zm9vYmFyMTIzNDU2Nzg5MA==</wsse:Nonce>
      </wsse:UsernameToken>
    </wsse:Security>
  </soapenv:Header>
  <soapenv:Body>
    <pol:CreatePolicy>
      <pol:Holder>
        <pol:GivenName>Margaret</pol:GivenName> ⟨person_name⟩
        <pol:FamilyName>O'Connell</pol:FamilyName> ⟨person_name⟩
        <pol:BirthDate>1968-04-23</pol:BirthDate> ⟨date_of_birth⟩
        <pol:SSN>{ssn}</pol:SSN> ⟨us_ssn⟩
        <pol:Phone type="mobile">+1 617 482 9035</pol:Phone> ⟨phone_number⟩
        <pol:Email>m.oconnell@bostonmail-example.com</pol:Email> ⟨email⟩
        <pol:Address><pol:Street>118 Beacon Street</pol:Street><pol:City>Boston</pol:City><pol:State>MA</pol:State><pol:Zip>02116</pol:Zip></pol:Address> ⟨postal_address⟩
      </pol:Holder>
      <pol:EffectiveDate>2027-01-01</pol:EffectiveDate>
      <pol:PolicyNumber>HO-2026-4482913</pol:PolicyNumber>
      <pol:Premium currency="USD">1840.00</pol:Premium>
    </pol:CreatePolicy>
  </soapenv:Body>
</soapenv:Envelope>
`},
	{"com.example.mailsync.plist", `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>AccountEmail</key>
	<string>lea.fontaine@orange-example.fr</string> ⟨email⟩
	<key>AccountPassword</key>
	<string>Pl!st-Mail_2026</string> ⟨password⟩
	<key>CFBundleShortVersionString</key>
	<string>4.12.1</string>
	<key>LastSyncServer</key>
	<string>85.214.132.117</string> ⟨ip_address⟩
	<key>PhoneNumber</key>
	<string>+33 6 12 48 73 95</string> ⟨phone_number⟩
	<key>DateOfBirth</key>
	<date>1989-07-14T00:00:00Z</date> ⟨date_of_birth⟩
	<key>LastLaunch</key>
	<date>2026-12-03T08:14:00Z</date>
	<key>SyncInterval</key>
	<integer>900</integer>
</dict>
</plist>
`},
	{"cv.tex", `\documentclass[11pt,a4paper,sans]{moderncv}
\moderncvstyle{classic}
\moderncvcolor{blue}
\usepackage[utf8]{inputenc}
\name{Lucía}{Romero Castillo} ⟨person_name*2⟩
\title{Currículum Vitae}
\address{Calle de Fuencarral 45, 3º B}{28004 Madrid}{España} ⟨postal_address⟩
\phone[mobile]{+34~612~48~39~57} ⟨phone_number⟩
\email{lucia.romero@correo-example.es} ⟨email⟩
\extrainfo{Fecha de nacimiento: 3 de mayo de 1992 \quad DNI: {dniDash}} ⟨date_of_birth es_dni⟩
\begin{document}
\makecvtitle
\section{Experiencia}
\cventry{2019--2026}{Analista de datos}{Banco Example}{Madrid}{}{Modelo de riesgo v2.3.1; 48.000 clientes; 1.250 informes}
\cventry{2016--2019}{Becaria}{Instituto Nacional de Estadística}{Madrid}{}{}
\end{document}
`},
	{"ad_users.csv", `#TYPE Selected.Microsoft.ActiveDirectory.Management.ADUser
"GivenName","Surname","SamAccountName","EmailAddress","OfficePhone","MobilePhone","StreetAddress","PostalCode","City","Enabled"
"Sophie","Wagner","swagner","sophie.wagner@contoso-example.de","+49 89 4521 3370","+49 171 4839275","Leopoldstraße 112","80802","München","True" ⟨person_name*2 email phone_number*2 postal_address⟩
"Thomas","Krüger","tkrueger","thomas.krueger@contoso-example.de","+49 89 4521 3371","","Schellingstraße 9","80799","München","True" ⟨person_name*2 email phone_number postal_address⟩
"Aylin","Öztürk","aoeztuerk","aylin.oeztuerk@contoso-example.de","","+49 160 92837415","","","","False" ⟨person_name*2 email phone_number⟩
`},
	{"MBREXP.TXT", `MBR-ID      LAST-NAME            FIRST-NAME      BIRTH-DT    SSN         PLAN    EFF-DT
0004471823  JOHNSON              PATRICIA        1962-08-14  {ssnPlain}   PPO-2   2026-01-01 ⟨person_name*2 date_of_birth us_ssn⟩
0004471824  NAKAMURA             KENJI           1979-11-03  {ssn} HMO-1   2025-07-01 ⟨person_name*2 date_of_birth us_ssn⟩
0004471825  DE LA CRUZ           MARIA ELENA     1990-02-27  {ssnSpaced} PPO-2   2026-03-15 ⟨person_name*2 date_of_birth us_ssn⟩
RECORDS: 3   RUN-DATE: 2026-12-03   JOB: MBX0417   PAGE: 0001
`},
	{"scan_reisepass.txt", `REISEPASS / PASSPORT / PASSEPORT
Typ/Type/Type: P   Kode/Code/Code: D   Pass-Nr./Passport No./Passeport N°: {ppDE} ⟨passport_number⟩
Name/Surname/Nom: BRANDT ⟨person_name⟩
Vornamen/Given names/Prénoms: JULIA MARIE ⟨person_name⟩
Geburtstag/Date of birth/Date de naissance: 12.08.1964 ⟨date_of_birth⟩
Staatsangehörigkeit/Nationality/Nationalité: DEUTSCH
Gültig bis/Date of expiry/Date d'expiration: 28.02.2034
Behörde/Authority/Autorité: Stadt Köln
P<D<<BRANDT<<JULIA<MARIE<<<<<<<<<<<<<<<<<<<<
{mrzDE} ⟨passport_number⟩
`},
	{"billing-config.yaml", `apiVersion: v1
kind: ConfigMap
metadata:
  name: billing-config
  namespace: prod
  labels:
    app.kubernetes.io/version: "3.8.2"
data:
  application.properties: |
    spring.datasource.url=jdbc:mysql://10.40.2.17:3306/billing ⟨ip_address⟩
    spring.datasource.username=billing
    spring.datasource.password=B1ll!ng-Db_2026 ⟨password⟩
    spring.mail.host=smtp.office365.com
    spring.mail.username=billing-noreply@firma-example.de ⟨email⟩
    spring.mail.password=M4il!Relay-2026 ⟨password⟩
    app.version=3.8.2
  settings.json: |
    {"support": {"email": "support@firma-example.de", "phone": "+49 40 3861 2240"}, "smtpPassword": "Js0n!Smtp-2026"} ⟨email phone_number password⟩
`},
	{"config.toml", `# Kundenportal
title = "Kundenportal"
version = "1.21.4"

[server]
bind = ":8443"
public_ip = "81.169.145.92" ⟨ip_address⟩

[database]
type = "postgres"
host = "10.40.2.17:5432" ⟨ip_address⟩
name = "portal"
user = "portal"
password = "T0ml!Portal-2026" ⟨password⟩

[mailer]
from = "Kundenportal <noreply@kundenportal-example.de>" ⟨email⟩
passwd = """Ml!Tr1ple-Quoted26""" ⟨password⟩

[[owners]]
first_name = "Friederike" ⟨person_name⟩
last_name = "Olbrich" ⟨person_name⟩
email = "f.olbrich@kundenportal-example.de" ⟨email⟩
mobile = "+49 152 29384716" ⟨phone_number⟩
dob = 1983-09-30 ⟨date_of_birth⟩

[[owners]]
first_name = "Arne" ⟨person_name⟩
last_name = "Kjellberg" ⟨person_name⟩
email = 'a.kjellberg@kundenportal-example.de' ⟨email⟩
started = 2019-04-01
`},
	{"patients_split.json", `{"columns":["patient_id","first_name","last_name","date_of_birth","icd10","phone"],"index":[0,1],"data":[["MRN-5582031","Elif","Yilmaz","1975-06-02","E11.9","+49 30 84729163"],["MRN-5582044","Jonas","Petersen","2001-12-19","J45.909","+49 40 92837461"]]} ⟨health_record*4 person_name*4 date_of_birth*2 phone_number*2⟩
`},
	{"sheets_values.json", `{
  "range": "Mitglieder!A1:E3",
  "majorDimension": "ROWS",
  "values": [
    ["Vorname", "Nachname", "E-Mail", "Geburtsdatum", "Telefon"],
    ["Mia", "Schröder", "mia.schroeder@web-example.de", "04.05.1999", "0221 48392716"], ⟨person_name*2 email date_of_birth phone_number⟩
    ["Lukas", "Brandl", "lukas.brandl@web-example.de", "17.10.1986", "0711 2849371"] ⟨person_name*2 email date_of_birth phone_number⟩
  ]
}
`},
	{"personal2003.xml", `<?xml version="1.0"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Styles><Style ss:ID="s21"><NumberFormat ss:Format="Short Date"/></Style></Styles>
 <Worksheet ss:Name="Personal">
  <Table ss:ExpandedColumnCount="6" ss:ExpandedRowCount="3">
   <Row><Cell><Data ss:Type="String">Personalnummer</Data></Cell><Cell><Data ss:Type="String">Nachname</Data></Cell><Cell><Data ss:Type="String">Vorname</Data></Cell><Cell><Data ss:Type="String">Geburtsdatum</Data></Cell><Cell><Data ss:Type="String">Steuer-ID</Data></Cell><Cell><Data ss:Type="String">IBAN</Data></Cell></Row>
   <Row><Cell><Data ss:Type="Number">10427</Data></Cell><Cell><Data ss:Type="String">Hartmann</Data></Cell><Cell><Data ss:Type="String">Ute</Data></Cell><Cell ss:StyleID="s21"><Data ss:Type="DateTime">1971-03-09T00:00:00.000</Data></Cell><Cell><Data ss:Type="Number">{taxA}</Data></Cell><Cell><Data ss:Type="String">{ibanDEg}</Data></Cell></Row> ⟨person_name*2 date_of_birth de_tax_id iban⟩
   <Row><Cell><Data ss:Type="Number">10431</Data></Cell><Cell><Data ss:Type="String">Yildiz</Data></Cell><Cell><Data ss:Type="String">Deniz</Data></Cell><Cell ss:StyleID="s21"><Data ss:Type="DateTime">1988-11-30T00:00:00.000</Data></Cell><Cell><Data ss:Type="Number">{taxB}</Data></Cell><Cell><Data ss:Type="String">{ibanAT}</Data></Cell></Row> ⟨person_name*2 date_of_birth de_tax_id iban⟩
  </Table>
 </Worksheet>
</Workbook>
`},
	{"en_authorization.txt", `Dear Ms. Alvarez,
I, Daniel Whitaker, residing at 4417 Maple Avenue, Apt 2B, Columbus, OH 43214, hereby authorize the release of my records. ⟨postal_address⟩
Date of birth: March 9, 1987. SSN: {ssnSpaced}. ⟨date_of_birth us_ssn⟩
You can reach me on my cell at (614) 829-3047 or by e-mail at dan.whitaker87@outlook-example.com. ⟨phone_number email⟩
Please refer to claim no. 2026-448213 and policy WX-4471-2209 in any reply.
Our office moved on 12/01/2026; the new fax line is on the letterhead.
`},
	{"uk_pension.txt", `Dear Sir or Madam,
Re: my pension transfer – National Insurance number {nino} ⟨uk_nino⟩
My address is 27 Albert Road, Southsea, Portsmouth PO5 2SE. ⟨postal_address⟩
Phone: +44 (0)23 9282 6417 (home), 07812 493617 (mobile) ⟨phone_number*2⟩
Please pay the transfer value into my account {ibanGB}. ⟨iban⟩
My former employer's scheme reference is PSR 10048213; member number 00482913.
`},
	{"de_kuendigung2.txt", `Sehr geehrte Damen und Herren,
hiermit kündige ich meinen Vertrag (Kundennummer 4471823, Vertragsnummer V-2026-118273) fristgerecht.
Ich bin wohnhaft in der Ostendstraße 44, 90482 Nürnberg. ⟨postal_address⟩
Geboren bin ich am 17.01.1958; meine Steuer-Identifikationsnummer lautet {taxASpaced}. ⟨date_of_birth de_tax_id⟩
Bitte erstatten Sie das Guthaben auf mein Konto (IBAN {ibanDEg}). ⟨iban⟩
Rückfragen gern telefonisch unter 0911 / 5403 872 oder per Mail an g.lindner@posteo-example.de. ⟨phone_number email⟩
Rechnungsnummer 030 4567 8901 vom 02.12.2026 bitte stornieren.
Mit freundlichen Grüßen
Gerda Lindner
`},
	{"fr_demande.txt", `Madame, Monsieur,
Je soussignée Camille Durand, née le 4 juillet 1990 à Lyon, demeurant 18 rue Victor Hugo, 69002 Lyon, ⟨date_of_birth postal_address⟩
vous prie de bien vouloir mettre à jour mon dossier (n° de sécurité sociale : {nirASpaced}). ⟨fr_nir⟩
Mes coordonnées : tél. 06 72 18 45 93 – courriel camille.durand@laposte-example.fr ⟨phone_number email⟩
Le remboursement peut être versé sur mon compte {ibanFRg}. ⟨iban⟩
Référence dossier : 2026/11/04-7781 ; facture n° 01 23 45 67 89 01.
`},
	{"es_solicitud2.txt", `Estimados señores:
Yo, Javier Morales Ortega, con DNI {dniDash}, nacido el 21/11/1983 y con domicilio en Calle de Toledo 72, 4º izq., 28005 Madrid, ⟨es_dni date_of_birth postal_address⟩
solicito la devolución del recibo a la cuenta {ibanESg}. ⟨iban⟩
Teléfono móvil: 612 48 39 57. Correo: javier.morales@correo-example.es ⟨phone_number email⟩
Número de pedido: 2026-11-48213; código de producto E11-200.
`},
	{"it_richiesta.txt", `Gentile Ufficio Anagrafe,
il sottoscritto Marco Rossi, nato a Roma il 10/12/1985, codice fiscale {cfLower}, ⟨date_of_birth it_fiscal_code⟩
residente in Via Giuseppe Garibaldi 12, 10122 Torino, chiede il rilascio del certificato di residenza. ⟨postal_address⟩
Recapiti: cell. 347 829 1046, e-mail marco.rossi85@libero-example.it ⟨phone_number email⟩
Protocollo n. 2026/0048213 del 02/12/2026. Codice pratica: RSSMRC-2026-X
`},
	{"nl_wijziging.txt", `Geachte heer/mevrouw,
Hierbij verzoek ik u mijn gegevens te wijzigen. Mijn BSN is {bsnDots} en mijn geboortedatum is 5 augustus 1977. ⟨nl_bsn date_of_birth⟩
Mijn nieuwe adres is Keizersgracht 455-H, 1017 DK Amsterdam. ⟨postal_address⟩
U kunt mij bellen op +31 (0)20 624 8193 of mailen naar e.vandijk@ziggo-example.nl. ⟨phone_number email⟩
Rekeningnummer: {ibanNLg} ⟨iban⟩
Met vriendelijke groet, Eva van Dijk — klantnummer 3004-1827-55
`},
	{"kyc_update.txt", `KYC update form
Name of applicant: Priya Raghavan ⟨person_name⟩
Aadhaar No.: {aadhaarDash} ⟨in_aadhaar⟩
PAN: ABCPR4829K
Mobile: +91 98450 27316 ⟨phone_number⟩
Date of Birth: 14-02-1992 ⟨date_of_birth⟩
Address: No. 14, 3rd Cross, Indiranagar, Bengaluru 560038 ⟨postal_address⟩
Passport No.: M4829173 ⟨passport_number⟩
Branch code 0417, form version 2.3, submitted 03-12-2026
`},
	{"travel_booking.txt", `Booking confirmation 7XK4QZ – passenger details
Passenger: MR JAMES OKAFOR   Frequent flyer: BA 48213375
Passport number: {ppUS}   Nationality: USA   Expiry: 2031-05-30 ⟨passport_number⟩
Contact e-mail: j.okafor@icloud-example.com ⟨email⟩
Card charged: {amex} (AMEX) ⟨credit_card⟩
Second traveller passport no. {ppNL} (NLD) ⟨passport_number⟩
Seat 14C, flight BA0117 dep. 10:40, gate B32, e-ticket 125-2148213375
`},
	{"secrets_dump.txt", `# found on a shared drive: deploy notes
AWS_ACCESS_KEY_ID={aws} ⟨aws_access_key⟩
AWS_SECRET_ACCESS_KEY=wJ7rXk2Lm9Pq4Vb8Nc3Tz6Yd1Hf5Gs0Qa2Ee7RuK ⟨password⟩
-----BEGIN EC PRIVATE KEY----- ⟨private_key⟩
{pem1}
{pem2}
{pem3}
-----END EC PRIVATE KEY-----
admin console: https://admin:Adm1n!Console-26@console.internal:8443/ ⟨password⟩
`},
	{"decoys6.txt", `Release 4.12.1 (build 4.12.1.2283), API v2.3, schema 2026.12.03, Windows 10.0.19045.3693
Order 8843-2291-0074-1126 shipped; tracking 1Z999AA10123456784; EAN 4006381333931
Request id 3f2b8c1e-7d4a-4e2b-9c1f-5a6b7c8d9e0f, sha256 {sha256}, commit {sha1}
Ersatzfilter E11, Dichtung J45 und Kabel K21.0 vorrätig (Lager B12, Regal C34)
Failing checks: card {cardBad}, IBAN {ibanBad}, Steuer-ID {taxBad}, NIR {nirBad}, DNI {dniBad}, BSN {bsnBad}, Aadhaar {aadhaarBad}
Coordinates 48.137154, 11.576124; MAC 00:1A:2B:3C:4D:5E; CAS 7732-18-5; ZIP 90210-1234
Timestamp 1733221462, valid from 01.01.1990 to 31.12.2030, serial 2026 1203 0412
Dimensions 35 x 45 mm, 1.200,50 EUR, 12.345.678 units, ratio 0.8342
`},
}
