package evalcorpus

import "strings"

// The fifth held-out corpus, written before reading the detectors, on
// formats the first four rounds did not have: SEPA pain.001 and camt.053
// XML, a SWIFT MT940 statement, bank CSV exports in German, Dutch and
// French locales, password-manager and browser exports (Chrome CSV,
// Firefox logins.json, Bitwarden JSON, KeePass 2 XML, LastPass CSV), an
// SQLite .dump, a phpMyAdmin export with one tuple a line, a pg_dump COPY
// with quoted column names, payroll exports with local header names, a
// W-2 as text, an HL7 CDA document, a dcmdump header, German and Dutch
// discharge letters, nginx logs with X-Forwarded-For chains, CEF and LEEF
// security logs, a journald JSON export, AWS CloudTrail and Kubernetes
// audit events, and a decoy file (OIDs, ISIN, LEI, IMEI, creditor ids,
// UUIDs, hashes, failing check digits). Office files built at test time
// (an .xlsx whose cells are numbers and dates, a .docx with a table) are
// in heldout5files.go.
//
// Labels as in heldout3.go. Decisions taken before measuring:
//   - a bare SEPA <Nm>, a camt party name, an MT940 ?32 name, a bank
//     CSV's payee column and a browser export's "name" (a site) are not
//     counted, like a bare "Name" column in earlier rounds; a DICOM PN
//     and a CDA <given>/<family> count each part, like HL7 XPN;
//     Bitwarden's cardholderName is a full name and counts once;
//   - a BIC, a SEPA creditor id (DE98ZZZ…), an ISIN, an LEI, an IMEI and
//     an end-to-end reference are not personal values;
//   - Firefox's encryptedUsername/encryptedPassword are ciphertext
//     (NSS, useless without key4.db) and are not counted as passwords;
//   - an X-Forwarded-For chain's every public and private address counts;
//     an address inside an OID (1.3.6.1.4.1.…) or a DICOM UID does not;
//   - a SEPA structured address (StrtNm…TwnNm) counts once per address;
//   - a German health-insurance number (Versichertennummer) and a case
//     number (Fallnummer) are not medical record numbers here; an MRN
//     under a CDA patientRole id and a DICOM PatientID are;
//   - a bare "Nombre" column is not counted beside "Apellidos", as a bare
//     "Nome" was not beside "Cognome" in the first round.
//
// Labels changed after the first measurement, each for a reason that is
// not the detector's answer: the Chrome export's router address is in two
// columns (two values, miscounted as one); "-- Host: 127.0.0.1" and the
// documentation card 4111 1111 1111 1111 were taken out (the earlier
// rounds leave both out: either label is defensible); the SQLite row
// 'Test','User' is a placeholder account, no person; the W-2's employer
// address is an address under an "address" key (counted); the workbook's
// 16-digit card stored as a number now holds what Excel stores (15
// significant digits: no longer a card), and a 15-digit Amex kept whole
// as a number is counted instead; the DICOM station name
// "CT01-192.168.14.27" is marked ~ (a digit glued after '-' continues a
// token, by the pass's rule against versions such as app-1.2.3.4).

// Before the fixes (first measurement, labels as first written), through
// the readers: precision 0.977, recall 0.869 over 244 values — person_name
// R 0.79 (DICOM PN, Word tables, Roepnaam, LastPass "Name on Card"),
// health_record R 0.43 (CDA code systems and patient ids, a dcmdump
// PatientID, a diagnosis list), postal_address P 0.80 R 0.57, password
// P 0.88 R 0.78 (KeePass key/value elements; Firefox's ciphertext taken
// for a password), credit_card P 0.67 R 0.67, nl_bsn R 0.83, date_of_birth
// R 0.90, phone_number R 0.90, iban R 0.94 (MT940 ?31), ip_address P 0.92;
// the plain-text documents alone: P 0.935, R 0.707 over 41 (the dcmdump
// listing among them then). After: 1.0 on both (the corpus the fixes were
// made against). The check set in heldout5b.go measures them again.

// h5FileDocs are scored through the format readers (HeldOut5Files).
var h5FileDocs = []hoDoc{
	// SEPA credit transfer initiation (pain.001.001.09), two payments.
	{"sepa_pain001.xml", `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09">
  <CstmrCdtTrfInitn>
    <GrpHdr>
      <MsgId>MSG-20261203-0417</MsgId>
      <CreDtTm>2026-12-03T10:14:22</CreDtTm>
      <NbOfTxs>2</NbOfTxs>
      <CtrlSum>2480.50</CtrlSum>
      <InitgPty><Nm>Hausverwaltung Kraus GmbH</Nm></InitgPty>
    </GrpHdr>
    <PmtInf>
      <PmtInfId>PMT-2026-12-0417</PmtInfId>
      <PmtMtd>TRF</PmtMtd>
      <ReqdExctnDt><Dt>2026-12-04</Dt></ReqdExctnDt>
      <Dbtr><Nm>Hausverwaltung Kraus GmbH</Nm></Dbtr>
      <DbtrAcct><Id><IBAN>{ibanDE}</IBAN></Id></DbtrAcct> ⟨iban⟩
      <DbtrAgt><FinInstnId><BICFI>COBADEFFXXX</BICFI></FinInstnId></DbtrAgt>
      <CdtTrfTxInf>
        <PmtId><EndToEndId>E2E-20261203-000417</EndToEndId></PmtId>
        <Amt><InstdAmt Ccy="EUR">1630.00</InstdAmt></Amt>
        <CdtrAgt><FinInstnId><BICFI>INGBNL2AXXX</BICFI></FinInstnId></CdtrAgt>
        <Cdtr>
          <Nm>Bram Verhoeven</Nm>
          <PstlAdr><StrtNm>Prinsengracht</StrtNm><BldgNb>263</BldgNb><PstCd>1016 GV</PstCd><TwnNm>Amsterdam</TwnNm><Ctry>NL</Ctry></PstlAdr> ⟨postal_address⟩
        </Cdtr>
        <CdtrAcct><Id><IBAN>{ibanNL}</IBAN></Id></CdtrAcct> ⟨iban⟩
        <RmtInf><Ustrd>Kaution Wohnung 3B, Vertrag 2026-0417</Ustrd></RmtInf>
      </CdtTrfTxInf>
      <CdtTrfTxInf>
        <PmtId><EndToEndId>E2E-20261203-000418</EndToEndId></PmtId>
        <Amt><InstdAmt Ccy="EUR">850.50</InstdAmt></Amt>
        <Cdtr><Nm>Élise Moreau</Nm></Cdtr>
        <CdtrAcct><Id><IBAN>{ibanFR}</IBAN></Id></CdtrAcct> ⟨iban⟩
        <RmtInf><Ustrd>Remboursement frais, ref 4417 / tel +33 6 48 27 19 36</Ustrd></RmtInf> ⟨phone_number⟩
      </CdtTrfTxInf>
    </PmtInf>
  </CstmrCdtTrfInitn>
</Document>
`},
	// Bank-to-customer statement (camt.053.001.08).
	{"camt053_20261203.xml", `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>STMT20261203044170</MsgId><CreDtTm>2026-12-03T06:00:00+01:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>2026-12-03-00417</Id>
      <ElctrncSeqNb>238</ElctrncSeqNb>
      <Acct><Id><IBAN>{ibanDE2}</IBAN></Id><Ownr><Nm>Sabine Weber</Nm></Ownr><Svcr><FinInstnId><BICFI>BYLADEM1001</BICFI></FinInstnId></Svcr></Acct> ⟨iban⟩
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">12840.17</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-12-02</Dt></Dt></Bal>
      <Ntry>
        <Amt Ccy="EUR">89.90</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>2026-12-02</Dt></BookgDt>
        <AcctSvcrRef>2026120200417</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>NOTPROVIDED</EndToEndId><MndtId>MNDT-88213-2019</MndtId></Refs>
          <RltdPties>
            <Cdtr><Pty><Nm>Stadtwerke Muenchen GmbH</Nm></Pty></Cdtr>
            <CdtrAcct><Id><IBAN>{ibanDEg}</IBAN></Id></CdtrAcct> ⟨iban⟩
          </RltdPties>
          <RmtInf><Ustrd>Abschlag Strom 12/2026 Kundennr 4417-2291</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">1200.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-12-02</Dt></BookgDt>
        <NtryDtls><TxDtls>
          <RltdPties>
            <Dbtr><Pty><Nm>Jonas Hartmann</Nm></Pty></Dbtr>
            <DbtrAcct><Id><IBAN>{ibanAT}</IBAN></Id></DbtrAcct> ⟨iban⟩
          </RltdPties>
          <RmtInf><Ustrd>Miete Dezember, Rueckfragen j.hartmann@mail-example.at</Ustrd></RmtInf> ⟨email⟩
        </TxDtls></NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
`},
	// SWIFT MT940 (German bank flavour, structured :86: subfields).
	{"kontoauszug.sta", `:20:STARTUMS
:25:{ibanDE2} ⟨iban⟩
:28C:00238/001
:60F:C261202EUR12840,17
:61:2612021202DR89,90NDDTNONREF//2026120200417
:86:105?00SEPA-BASISLASTSCHRIFT?20EREF+NOTPROVIDED?21MREF+MNDT-88213-2019
?22CRED+DE98ZZZ09999999999?23SVWZ+Abschlag Strom 12/2026
?30BYLADEMMXXX?31{ibanDE3}?32Stadtwerke Muenchen GmbH ⟨iban⟩
:61:2612021202CR1200,00NTRFNONREF//2026120200418
:86:166?00SEPA-GUTSCHRIFT?20SVWZ+Miete Dezember?30BKAUATWWXXX
?31{ibanAT} ⟨iban⟩
?32Hartmann, Jonas
:62F:C261202EUR13950,27
-
`},
	// Sparkasse CSV-CAMT export: ';', quoted, German decimal commas.
	{"umsaetze_sparkasse.csv", `"Auftragskonto";"Buchungstag";"Valutadatum";"Buchungstext";"Verwendungszweck";"Glaeubiger ID";"Mandatsreferenz";"Kundenreferenz (End-to-End)";"Beguenstigter/Zahlungspflichtiger";"Kontonummer/IBAN";"BIC (SWIFT-Code)";"Betrag";"Waehrung";"Info"
"{ibanDE2}";"02.12.26";"02.12.26";"FOLGELASTSCHRIFT";"Abschlag Strom 12/2026";"DE98ZZZ09999999999";"MNDT-88213-2019";"NOTPROVIDED";"Stadtwerke Muenchen GmbH";"{ibanDE}";"BYLADEMMXXX";"-89,90";"EUR";"Umsatz gebucht" ⟨iban*2⟩
"{ibanDE2}";"02.12.26";"02.12.26";"GUTSCHR. UEBERWEISUNG";"Miete Dezember Tel 0176 48291735";"";"";"";"Hartmann, Jonas";"{ibanAT}";"BKAUATWWXXX";"1.200,00";"EUR";"Umsatz gebucht" ⟨iban*2 phone_number⟩
`},
	// ING (Netherlands) CSV export, ',' with Dutch descriptions.
	{"NL_ING_transacties.csv", `"Datum","Naam / Omschrijving","Rekening","Tegenrekening","Code","Af Bij","Bedrag (EUR)","Mutatiesoort","Mededelingen"
"20261202","J. de Vries","{ibanNL}","{ibanNL2}","OV","Af","125,00","Overschrijving","Naam: J. de Vries Omschrijving: huur december IBAN: {ibanNL2} Kenmerk: 2026120204417" ⟨iban*3⟩
"20261201","Albert Heijn 1417","{ibanNL}","","BA","Af","48,17","Betaalautomaat","Pasvolgnr: 004 01-12-2026 17:41 Transactie: 4A7B2C Term: 1H0417"  ⟨iban⟩
`},
	// French bank export (Crédit Agricole style), ';', amounts with commas.
	{"releve_compte.csv", `Date opération;Date valeur;Libellé;Débit euros;Crédit euros
01/12/2026;01/12/2026;"VIR SEPA RECU /DE M. PIERRE GARNIER /MOTIF LOYER DEC /REF 2026120104417 /IBAN {ibanFRg}";;850,00 ⟨iban⟩
02/12/2026;02/12/2026;"PRLV SEPA FREE MOBILE /ICS FR12ZZZ123456 /RUM FM-2019-0417 /TEL 06 71 84 29 53";19,99; ⟨phone_number⟩
03/12/2026;03/12/2026;"CB CARREFOUR 02/12 CARTE 4974XXXXXXXX1842";54,12;
`},
	// Chrome / Edge "Export passwords".
	{"Chrome Passwords.csv", `name,url,username,password,note
accounts.google.com,https://accounts.google.com/signin/v2/challenge/pwd,m.keller.privat@gmail-example.com,Gk!Winter2026#m,  ⟨email password⟩
login.live.com,https://login.live.com/login.srf,mkeller@outlook-example.com,"Ms,Live-2026!",  ⟨email password⟩
192.168.178.1,http://192.168.178.1/,admin,Fritz!Box-7590x, ⟨ip_address*2 password⟩
shop.example.net,https://shop.example.net/account/login,mkeller,Sh0p#4417-x,work account ⟨password⟩
`},
	// Firefox logins.json: username and password are NSS ciphertext.
	{"logins.json", `{"nextId":5,"logins":[{"id":3,"hostname":"https://forum.example.org","httpRealm":null,"formSubmitURL":"https://forum.example.org","usernameField":"user","passwordField":"pass","encryptedUsername":"MDoEEPgAAAAAAAAAAAAAAAAAAAEwFAYIKoZIhvcNAwcECFq3TZ2vRk8hBBDm5nVb1YQ2xk7Hd9Lp3Wq4","encryptedPassword":"MEIEEPgAAAAAAAAAAAAAAAAAAAEwFAYIKoZIhvcNAwcECGx7Qm2Kp9Vb4TcYBBgm8Hd3Jw6Fs1Ge0Ra5Ub8Qt2Zw7Xk4Lp9","guid":"{5f2a9c1d-4b7d-4e21-9c3a-8d5f0b2e7a14}","encType":1,"timeCreated":1764756862418,"timeLastUsed":1764843262418,"timePasswordChanged":1764756862418,"timesUsed":7}],"potentiallyVulnerablePasswords":[],"dismissedBreachAlertsByLoginGUID":{},"version":3}
`},
	// Bitwarden unencrypted JSON export: a login, a card, an identity.
	{"bitwarden_export_20261203.json", `{
  "encrypted": false,
  "folders": [{"id": "0f2a9c1d-7b4e-4d21-8c3a-5d9f0b2e7a14", "name": "Finanzen"}],
  "items": [
    {"id": "9b2f6c1e-3d4a-4f8b-a7e2-5c1d0e9f8a37", "type": 1, "name": "Sparkasse Online-Banking", "favorite": true,
     "login": {"uris": [{"match": null, "uri": "https://www.sparkasse-example.de/login"}], "username": "keller4417", "password": "Sp@rk-Bank!2026q", "totp": "otpauth://totp/Sparkasse:keller4417?secret=JBSWY3DPEHPK3PXP&issuer=Sparkasse"}, ⟨password⟩
     "notes": "PIN Karte steht im Tresor", "revisionDate": "2026-11-28T09:14:22.418Z"},
    {"id": "1c8e4a2b-6f3d-4e91-b7a5-2d9c0f8e6b13", "type": 3, "name": "Visa privat",
     "card": {"cardholderName": "Martin Keller", "brand": "Visa", "number": "{visaPlain}", "expMonth": "9", "expYear": "2029", "code": "417"}}, ⟨person_name credit_card⟩
    {"id": "7d3a1f9e-2c4b-4a87-9e6d-8b5f0c2a1d47", "type": 4, "name": "Ich",
     "identity": {"title": "Mr", "firstName": "Martin", "middleName": null, "lastName": "Keller", ⟨person_name*2⟩
       "address1": "Gneisenaustraße 67", "address2": null, "city": "Berlin", "postalCode": "10961", "country": "DE", ⟨postal_address⟩
       "company": null, "email": "m.keller.privat@gmail-example.com", "phone": "+49 30 6928 4417", ⟨email phone_number⟩
       "ssn": "523-71-4086", "username": "mkeller", "passportNumber": "C7L2NRX48", "licenseNumber": "B072RRE2I55"}} ⟨us_ssn passport_number⟩
  ]
}
`},
	// KeePass 2 XML export: each field a Key and a Value element.
	{"keepass_export.xml", `<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<KeePassFile>
  <Meta><Generator>KeePass</Generator><DatabaseName>Firma</DatabaseName></Meta>
  <Root>
    <Group>
      <UUID>r7LmQ2Xw9Kz4Vb8Nc3Yp6A==</UUID>
      <Name>Server</Name>
      <Entry>
        <UUID>Hd1Jf5Gs0Kq7Lm2Xw9Kz4A==</UUID>
        <Times><CreationTime>2026-11-28T09:14:22Z</CreationTime></Times>
        <String><Key>Notes</Key><Value>iLO auf 10.40.8.17, Notfall-Handy 0171 3928417</Value></String> ⟨ip_address phone_number⟩
        <String><Key>Password</Key><Value ProtectInMemory="True">Kp2!Root-Esx#2026</Value></String> ⟨password⟩
        <String><Key>Title</Key><Value>ESXi Cluster root</Value></String>
        <String><Key>URL</Key><Value>https://10.40.8.12/ui</Value></String> ⟨ip_address⟩
        <String><Key>UserName</Key><Value>root</Value></String>
      </Entry>
      <Entry>
        <UUID>Zb4Nc8Vx2Lm9TqW3pRt7Bg==</UUID>
        <String><Key>Password</Key><Value ProtectInMemory="True">Sm7p-Relay!Mail26</Value></String> ⟨password⟩
        <String><Key>Title</Key><Value>SMTP relay</Value></String>
        <String><Key>UserName</Key><Value>relay@firma-example.de</Value></String> ⟨email⟩
      </Entry>
    </Group>
  </Root>
</KeePassFile>
`},
	// LastPass CSV export: a secure note's fields inside "extra".
	{"lastpass_export.csv", `url,username,password,totp,extra,name,grouping,fav
https://github.com/login,dkowalczyk,Gh-Lp!Pass2026z,,,GitHub,Dev,0 ⟨password⟩
https://mail.example.pl,d.kowalczyk@mail-example.pl,Ml#Poczta-4417,,,Poczta,Private,1 ⟨email password⟩
http://sn,,,,"NoteType:Credit Card
Language:en-US
Name on Card:Dariusz Kowalczyk ⟨person_name⟩
Type:Mastercard
Number:{mcPlain} ⟨credit_card⟩
Security Code:417
Start Date:,
Expiration Date:November,2029
Notes:",Karta mBank,Finance,0
`},
	// SQLite .dump: double-quoted identifiers, no column list in INSERT.
	{"app.sqlite.sql", `PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE IF NOT EXISTS "members" (
	"id"	INTEGER NOT NULL,
	"given_name"	TEXT,
	"family_name"	TEXT,
	"birthdate"	TEXT,
	"mobile"	TEXT,
	"email"	TEXT,
	"joined"	TEXT,
	PRIMARY KEY("id" AUTOINCREMENT)
);
INSERT INTO members VALUES(1,'Henrik','Lindqvist','1983-05-27','+46 70 482 91 36','henrik.lindqvist@post-example.se','2024-02-11 08:14:22'); ⟨person_name*2 date_of_birth phone_number email⟩
INSERT INTO members VALUES(2,'Aoife','O''Connell','1995-12-08','+353 87 291 4836','aoife.oconnell@mail-example.ie','2025-07-30 19:02:11'); ⟨person_name*2 date_of_birth phone_number email⟩
INSERT INTO members VALUES(3,'Test','User',NULL,NULL,NULL,'2026-01-01 00:00:00');
CREATE TABLE sessions (token TEXT PRIMARY KEY, member_id INTEGER, ip TEXT, created TEXT);
INSERT INTO sessions VALUES('{sha1}',1,'85.214.132.117','2026-12-03 10:14:22'); ⟨ip_address⟩
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('members',3);
COMMIT;
`},
	// phpMyAdmin SQL export: column list, one tuple a line.
	{"kunden.sql", `-- phpMyAdmin SQL Dump
-- version 5.2.1
-- Host: localhost
-- Erstellungszeit: 03. Dez 2026 um 10:14
-- Server-Version: 10.11.6-MariaDB

SET SQL_MODE = "NO_AUTO_VALUE_ON_ZERO";

CREATE TABLE {bt}kunden{bt} (
  {bt}kd_nr{bt} int(11) NOT NULL,
  {bt}anrede{bt} varchar(10) DEFAULT NULL,
  {bt}vorname{bt} varchar(60) DEFAULT NULL,
  {bt}nachname{bt} varchar(60) DEFAULT NULL,
  {bt}geburtsdatum{bt} date DEFAULT NULL,
  {bt}telefon{bt} varchar(30) DEFAULT NULL,
  {bt}iban{bt} varchar(34) DEFAULT NULL,
  {bt}steuer_id{bt} char(11) DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;

INSERT INTO {bt}kunden{bt} ({bt}kd_nr{bt}, {bt}anrede{bt}, {bt}vorname{bt}, {bt}nachname{bt}, {bt}geburtsdatum{bt}, {bt}telefon{bt}, {bt}iban{bt}, {bt}steuer_id{bt}) VALUES
(10417, 'Frau', 'Katrin', 'Zimmermann', '1976-09-14', '0221 48293715', '{ibanDE}', '{taxA}'), ⟨person_name*2 date_of_birth phone_number iban de_tax_id⟩
(10418, 'Herr', 'Yusuf', 'Demir', '1989-02-03', '+49 176 38291740', '{ibanDE2}', '{taxB}'), ⟨person_name*2 date_of_birth phone_number iban de_tax_id⟩
(10419, 'Herr', 'Lukas', 'Brandt', NULL, NULL, NULL, NULL); ⟨person_name*2⟩
`},
	// pg_dump COPY with quoted, mixed-case column names and \N nulls.
	{"ehr_dump.sql", `--
-- PostgreSQL database dump
--
SET statement_timeout = 0;
COPY public."Patient" ("Id", "GivenName", "FamilyName", "BirthDate", "Ssn", "PhoneHome", "Email", "CreatedUtc") FROM stdin;
7f3a9c1d-2b4e-4d21-8c3a-5d9f0b2e7a14{tab}Dolores{tab}Ramírez{tab}1958-03-17{tab}287-45-9130{tab}(505) 248-7163{tab}\N{tab}2025-10-01 08:14:22.418+00 ⟨person_name*2 date_of_birth us_ssn phone_number⟩
1c8e4a2b-6f3d-4e91-b7a5-2d9c0f8e6b13{tab}Wei{tab}Zhang{tab}\N{tab}\N{tab}\N{tab}wei.zhang@mail-example.com{tab}2025-10-02 09:30:00+00 ⟨person_name*2 email⟩
\.
`},
	// Spanish payroll export (nóminas), ';' with local headers.
	{"nominas_2026_11.csv", `Nº empleado;Apellidos;Nombre;DNI/NIE;Nº afiliación SS;Fecha nacimiento;Teléfono;IBAN;Líquido
E-0417;García Morales;Lucía;{dniA};281234567840;14/02/1987;612 48 39 27;{ibanESg};2.184,37 ⟨person_name es_dni date_of_birth phone_number iban⟩
E-0418;Popescu;Andrei;{nieX};289876543210;30/11/1992;+34 699 12 48 37;{ibanES};1.932,10 ⟨person_name es_dni date_of_birth phone_number iban⟩
`},
	// Italian payroll export.
	{"cedolini_novembre.csv", `Matricola;Cognome;Nome;Codice Fiscale;Data Nascita;Luogo Nascita;IBAN Accredito;Netto
0417;Bianchi;Luca;{cfA};15/03/1982;Milano;{ibanIT};2.318,40 ⟨person_name it_fiscal_code date_of_birth iban⟩
0418;Ferrari;Giulia;{cfB};15/05/1990;Torino;;1.987,25 ⟨person_name it_fiscal_code date_of_birth⟩
`},
	// Dutch and French HR exports; German Steuer-ID under "IdNr".
	{"personeel_export.csv", `Personeelsnr,Roepnaam,Achternaam,Geb.datum,Burgerservicenummer,Telefoon,Rekeningnummer
P0417,Sanne,Jansen,03-07-1985,{bsnA},06-48291735,{ibanNL2} ⟨person_name*2 date_of_birth nl_bsn phone_number iban⟩
P0418,Daan,Bakker,21-11-1979,{bsnB},+31 10 284 7193,{ibanNL} ⟨person_name*2 date_of_birth nl_bsn phone_number iban⟩
`},
	{"salaries_dsn.csv", `Matricule;Nom de famille;Prénom;NIR;Date de naissance;Téléphone;IBAN
M0417;Garnier;Pierre;{nirA};12/04/1978;06 71 84 29 54;{ibanFR} ⟨person_name*2 fr_nir date_of_birth phone_number iban⟩
M0418;Lemaire;Chloé;{nirB};17/01/1986;01 42 68 19 37;{ibanBE} ⟨person_name*2 fr_nir date_of_birth phone_number iban⟩
`},
	{"lohnkonten.csv", `Pers.-Nr.;Name, Vorname;IdNr;SV-Nummer;Geb.-Datum;Steuerklasse;Konfession
4417;Zimmermann, Katrin;{taxA};53140976Z013;14.09.1976;4;rk ⟨person_name de_tax_id date_of_birth⟩
4418;Demir, Yusuf;{taxB};12030289D517;03.02.1989;1;-- ⟨person_name de_tax_id date_of_birth⟩
`},
	// Indian payroll: Aadhaar with spaces, PAN beside it.
	{"payroll_in.csv", `emp_id,employee_name,pan,aadhaar_no,dob,mobile,uan
IN0417,Priya Raghavan,ABCPR4417K,{aadhaar},1991-08-23,+91 98450 27163,100904172934 ⟨person_name in_aadhaar date_of_birth phone_number⟩
IN0418,Arjun Mehta,BXMPM2291Q,{aadhaar2},1987-01-30,098201 48372,100904182201 ⟨person_name in_aadhaar date_of_birth phone_number⟩
`},
	// HL7 CDA (C-CDA continuity of care document header).
	{"ccd.xml", `<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <templateId root="2.16.840.1.113883.10.20.22.1.1" extension="2015-08-01"/>
  <id root="2.16.840.1.113883.19.5.99999.1" extension="TT988"/>
  <effectiveTime value="20261203101422-0500"/>
  <recordTarget>
    <patientRole>
      <id root="2.16.840.1.113883.19.5.99999.2" extension="MRN-0082741"/> ⟨health_record⟩
      <id root="2.16.840.1.113883.4.1" extension="287-45-9130"/> ⟨us_ssn⟩
      <addr use="HP"><streetAddressLine>4417 Juniper Ridge Rd</streetAddressLine><city>Albuquerque</city><state>NM</state><postalCode>87111</postalCode></addr> ⟨postal_address⟩
      <telecom use="HP" value="tel:+1(505)248-7163"/> ⟨phone_number⟩
      <telecom use="WP" value="mailto:dolores.ramirez@mail-example.com"/> ⟨email⟩
      <patient>
        <name use="L"><given>Dolores</given><given>María</given><family>Ramírez</family></name> ⟨person_name*3⟩
        <administrativeGenderCode code="F" codeSystem="2.16.840.1.113883.5.1"/>
        <birthTime value="19580317"/> ⟨date_of_birth⟩
      </patient>
    </patientRole>
  </recordTarget>
  <component><structuredBody><component><section>
    <code code="11450-4" codeSystem="2.16.840.1.113883.6.1" displayName="Problem list"/>
    <entry><observation classCode="OBS" moodCode="EVN">
      <value xsi:type="CD" code="I10" codeSystem="2.16.840.1.113883.6.90" displayName="Essential (primary) hypertension" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/> ⟨health_record⟩
    </observation></entry>
  </section></component></structuredBody></component>
</ClinicalDocument>
`},
	// dcmdump output of a CT image header.
	{"ct_0417.dcmdump.txt", `# Dicom-File-Format

# Dicom-Meta-Information-Header
# Used TransferSyntax: Little Endian Explicit
(0002,0002) UI =CTImageStorage                          #  26, 1 MediaStorageSOPClassUID
(0002,0003) UI [1.2.840.113619.2.55.3.604688119.971.1382016171.417] #  50, 1 MediaStorageSOPInstanceUID
(0002,0013) SH [OFFIS_DCMTK_367]                        #  16, 1 ImplementationVersionName

# Dicom-Data-Set
# Used TransferSyntax: Little Endian Explicit
(0008,0020) DA [20261203]                               #   8, 1 StudyDate
(0008,0080) LO [Klinikum Rechts der Isar]               #  24, 1 InstitutionName
(0008,0090) PN [Dr. Weber^Sabine]                        #  16, 1 ReferringPhysicianName ⟨person_name*2⟩
(0008,1010) SH [CT01-192.168.14.27]                     #  18, 1 StationName ⟨~ip_address⟩
(0010,0010) PN [Mueller^Hans^Peter]                     #  18, 1 PatientName ⟨person_name*3⟩
(0010,0020) LO [PID-448213]                             #  10, 1 PatientID ⟨health_record⟩
(0010,0030) DA [19580317]                               #   8, 1 PatientBirthDate ⟨date_of_birth⟩
(0010,0040) CS [M]                                      #   2, 1 PatientSex
(0010,1040) LO [Lindwurmstr. 44, 80337 Muenchen]        #  32, 1 PatientAddress ⟨postal_address⟩
(0010,2154) SH [089 5160 4417]                          #  14, 1 PatientTelephoneNumbers ⟨phone_number⟩
(0018,1020) LO [syngo CT VB20A]                         #  14, 1 SoftwareVersions
(0020,000d) UI [1.3.12.2.1107.5.1.4.10.1.20.3.0.1.12.14.27] #  44, 1 StudyInstanceUID
`},
	// Discharge letters in German and Dutch with ICD-10 codes.
	{"entlassbrief.txt", `Klinikum Nord – Medizinische Klinik II
Entlassungsbrief
Patient: Hans Mueller, geb. 17.03.1958 ⟨date_of_birth⟩
Versichertennummer: M142857310, Fallnummer 2026-044172
Diagnosen:
- Akuter Myokardinfarkt, NSTEMI (ICD-10: I21.4) ⟨health_record⟩
- Diabetes mellitus Typ 2 (E11.9) ⟨health_record⟩
Medikation: ASS 100 mg 1-0-0, Metformin 1000 mg 1-0-1, Labor: HbA1c 7.4 %, LDL 2.9 mmol/l
Rückfragen an Station 4B, Tel. 040 1818 84417 ⟨phone_number⟩
`},
	{"ontslagbrief.txt", `Ontslagbrief afdeling Longziekten
Betreft: mevr. Sanne Jansen, geboren 03-07-1985, BSN {bsnA} ⟨date_of_birth nl_bsn⟩
Diagnose: community-acquired pneumonie (ICD-10 J18.9), COPD GOLD 2 (J44.9) ⟨health_record*2⟩
Beleid: amoxicilline 500 mg 3dd gedurende 7 dagen; controle over 6 weken.
Huisarts: dr. P. de Wit, tel. 030 271 4417 ⟨phone_number⟩
`},
	// US W-2 wage statement as text.
	{"w2_2026.txt", `Form W-2 Wage and Tax Statement 2026
a Employee's social security number: 523-71-4086 ⟨us_ssn⟩
b Employer identification number (EIN): 84-2917364
c Employer's name, address: Northwind Traders Inc, 1 Market St, San Francisco CA 94105 ⟨postal_address⟩
e Employee's first name and initial: Martin J.  Last name: Keller ⟨person_name*2⟩
f Employee's address: 2240 N Clark St Apt 3R, Chicago IL 60614 ⟨postal_address⟩
1 Wages, tips, other compensation 84213.00   2 Federal income tax withheld 12840.17
12a D 6000.00   Control number 0417-22918
`},
	// nginx combined log with X-Forwarded-For chains appended.
	{"access.log", `10.0.3.17 - - [03/Dec/2026:10:14:22 +0100] "GET /api/v2/orders?email=k.nowak%40example.pl HTTP/1.1" 200 1834 "-" "okhttp/4.12.0" "81.92.204.17, 10.0.1.4" ⟨ip_address*3 email⟩
10.0.3.17 - - [03/Dec/2026:10:14:23 +0100] "POST /login HTTP/2.0" 302 0 "https://shop.example.net/" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0.6099.71" "2a02:810d:4b3f:e200:d1c9:4417:8e2a:1f3b" ⟨ip_address*2⟩
10.0.3.18 - jdoe [03/Dec/2026:10:14:24 +0100] "GET /static/app.4.18.2.js HTTP/1.1" 304 0 "-" "curl/8.4.0" "-" ⟨ip_address⟩
`},
	// CEF and LEEF events from a firewall and an IDS.
	{"siem_forward.log", `Dec 03 10:14:22 fw01 CEF:0|Fortinet|Fortigate|7.2.5|0000000013|traffic:forward deny|3|deviceExternalId=FG100F3G21004417 src=172.16.40.23 spt=52814 dst=185.199.108.153 dpt=443 suser=m.keller@firma-example.de act=deny cs1Label=policyid cs1=17 ⟨ip_address*2 email⟩
Dec 03 10:14:23 ids01 LEEF:2.0|Trend Micro|Deep Security Agent|20.0.1.3250|4000030|cat=Anti-Malware{tab}devTime=Dec 03 2026 10:14:23{tab}src=10.40.8.17{tab}usrName=CORP\\kschmidt{tab}sev=6{tab}msg=Quarantined{tab}fileHash={sha256} ⟨ip_address⟩
Dec 03 10:14:24 fw01 CEF:0|Palo Alto Networks|PAN-OS|11.0.2|url|THREAT|1|rt=Dec 03 2026 10:14:24 GMT src=2001:db8:a:1::4417 dst=203.0.113.9 request=https://evil.example/x?u\=a.ng@mail-example.com ⟨ip_address*2 email⟩
`},
	// journalctl -o json: one event a line.
	{"journal.json", `{"__CURSOR":"s=4f2a9c1d7b4e4d218c3a5d9f0b2e7a14;i=2849173;b=9b2f6c1e3d4a4f8ba7e25c1d0e9f8a37;m=1bc4e2a;t=6130e2c4a1b2c;x=7d3a1f9e2c4b4a87","__REALTIME_TIMESTAMP":"1764756862418000","__MONOTONIC_TIMESTAMP":"29118762","_BOOT_ID":"9b2f6c1e3d4a4f8ba7e25c1d0e9f8a37","PRIORITY":"6","_UID":"0","_GID":"0","_COMM":"sshd","_EXE":"/usr/sbin/sshd","_PID":"24817","_HOSTNAME":"bastion","SYSLOG_IDENTIFIER":"sshd","MESSAGE":"Accepted password for deploy from 198.51.100.73 port 52814 ssh2","_TRANSPORT":"syslog"} ⟨ip_address⟩
{"__CURSOR":"s=4f2a9c1d7b4e4d218c3a5d9f0b2e7a14;i=2849174","__REALTIME_TIMESTAMP":"1764756863002000","PRIORITY":"4","_COMM":"postfix/smtpd","_PID":"3321","MESSAGE":"NOQUEUE: reject: RCPT from unknown[203.0.113.88]: 554 5.7.1 <h.lindqvist@post-example.se>: Relay access denied","_HOSTNAME":"mail01"} ⟨ip_address email⟩
{"__CURSOR":"s=4f2a9c1d7b4e4d218c3a5d9f0b2e7a14;i=2849175","PRIORITY":"6","_COMM":"systemd","MESSAGE":"Started Session 4417 of User deploy.","_SYSTEMD_UNIT":"session-4417.scope","_SOURCE_REALTIME_TIMESTAMP":"1764756864190000"}
`},
	// AWS CloudTrail: key ids (a temporary ASIA one), ARNs, source IPs.
	{"cloudtrail_20261203.json", `{"Records": [
  {"eventVersion": "1.09", "userIdentity": {"type": "IAMUser", "principalId": "AIDAQ4RT7ZK2LMW5XN3B7", "arn": "arn:aws:iam::491827364510:user/ci-deploy", "accountId": "491827364510", "accessKeyId": "AKIA5XQ2LM7TRZ4WNK3B", "userName": "ci-deploy"}, ⟨aws_access_key⟩
   "eventTime": "2026-12-03T10:14:22Z", "eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": "eu-central-1",
   "sourceIPAddress": "81.92.204.17", "userAgent": "aws-cli/2.15.4 Python/3.11.6 Linux/6.5.0", ⟨ip_address⟩
   "requestParameters": {"bucketName": "billing-exports", "key": "2026/12/customers.csv"}, "requestID": "7XK2LMN4PQRS8T3V", "eventID": "3f2a9c1d-7b4e-4d21-8c3a-5d9f0b2e7a14"},
  {"eventVersion": "1.09", "userIdentity": {"type": "AssumedRole", "principalId": "AROAQ4RT7ZK2LMW5XN3B7:m.keller@firma-example.de", "arn": "arn:aws:sts::491827364510:assumed-role/AdminSSO/m.keller@firma-example.de", "accessKeyId": "ASIAY4NR7K2QZX5LMW6T"}, ⟨email*2 aws_access_key⟩
   "eventTime": "2026-12-03T10:14:25Z", "eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey", "sourceIPAddress": "2a02:810d:4b3f:e200::17", ⟨ip_address⟩
   "responseElements": {"accessKey": {"accessKeyId": "AKIAQ7ZR2LX4KM5TNW3P", "status": "Active", "userName": "backup"}}, ⟨aws_access_key⟩
   "tlsDetails": {"tlsVersion": "TLSv1.3", "clientProvidedHostHeader": "iam.amazonaws.com"}}
]}
`},
	// Kubernetes audit log (JSON lines).
	{"k8s-audit.log", `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"6f1c2e9a-4b7d-4e21-9c3a-8d5f0b2e7a14","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/prod/secrets/db","verb":"get","user":{"username":"jane.okafor@corp-example.com","groups":["system:authenticated"]},"sourceIPs":["10.60.4.21","172.20.0.1"],"userAgent":"kubectl/v1.29.0 (linux/amd64)","objectRef":{"resource":"secrets","namespace":"prod","name":"db","apiVersion":"v1"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-12-03T10:14:22.418102Z"} ⟨email ip_address*2⟩
{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"1c8e4a2b-6f3d-4e91-b7a5-2d9c0f8e6b13","stage":"ResponseComplete","requestURI":"/apis/apps/v1/namespaces/prod/deployments/api?fieldManager=kubectl-client-side-apply","verb":"patch","user":{"username":"system:serviceaccount:ci:deployer","uid":"9b2f6c1e-3d4a-4f8b-a7e2-5c1d0e9f8a37"},"sourceIPs":["10.60.2.31"],"responseStatus":{"code":200},"annotations":{"authorization.k8s.io/decision":"allow"}} ⟨ip_address⟩
`},
	// Decoys: identifiers shaped like personal values that are not.
	{"identifiers.txt", `Asset register export 2026-12-03 (schema 1.3.6.1.4.1.311.21.8.10.1.192.168.1)
SNMP sysObjectID 1.3.6.1.4.1.9.1.2571, enterprise OID 1.3.6.1.4.1.2021.10.1.3.1
ISIN DE0005140008, US0378331005; LEI 529900T8BM49AURSDO55
IMEI {imei}; serial FG100F3G21004417; MAC 3c:22:fb:8a:10:4e
SEPA creditor id {creditorID}; BIC COBADEFFXXX, INGBNL2A
UETR 3f2a9c1d-7b4e-4d21-8c3a-5d9f0b2e7a14; request {md5}; commit {sha1}
digest sha256:{sha256}; trace {hex16}
Card failing Luhn {cardBad}; IBAN failing mod 97 {ibanBad}
Steuer-ID failing {taxBad}; DNI with the wrong letter {dniBad}; codice fiscale {cfBad}
BSN failing the 11-test {bsnBad}; Aadhaar failing Verhoeff {aadhaarBad}
AWS docs key AKIAIOSFODNN7EXAMPLE; versions 10.0.19045.3693, 4.18.2-rc.1, 2.16.840.1
timestamps 1764756862418, 20261203101422, 2026-12-03T10:14:22Z; amounts 12.840,17 EUR
tracking 1Z999AA10123456784; EAN 4006381333931; invoice RE-2026-004417
`},
}

// HeldOut5 returns the fifth corpus's plain-text documents (the letters,
// the W-2, the logs and the decoys) for the detectors alone; the dcmdump
// listing names its values after them, for its reader (records.go).
func HeldOut5() []Doc {
	var docs []hoDoc
	for _, d := range h5FileDocs {
		if (strings.HasSuffix(d.name, ".txt") || strings.HasSuffix(d.name, ".log")) && !strings.Contains(d.name, "dcmdump") {
			docs = append(docs, d)
		}
	}
	return hoBuild(docs, h5Values())
}
