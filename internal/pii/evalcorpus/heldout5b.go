package evalcorpus

import (
	"bytes"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// h5bFileDocs were written after the fifth round's fixes, as a check on
// them: the same families in other producers' forms — a SEPA direct-debit
// initiation (pain.008) with address lines, a Dutch MT940 with '/'
// subfields, 1Password, Dashlane, KeePassXC and Safari exports, a
// Hadoop core-site.xml, a CDA with German ICD-10-GM codes, a second
// dcmdump with other keywords, French and Spanish discharge letters with
// diagnosis lists, GCP and Azure audit logs, an HAProxy log and decoys.
// Before the fifth round's fixes (main's readers and detectors, labels
// as corrected): P 0.978, R 0.721 over 61 values (health_record 0 of 7,
// password R 0.78, person_name R 0.63, phone_number P 0.5 R 0.33). After
// them, first measured: P 0.949, R 0.933 over 60 — of its three false
// findings two were values left unlabelled (below); it showed a dotted
// quad under "callerIp" read as a phone number, Portuguese birth and
// mobile column names and a DICOM birth name (PatientMotherBirthName) not
// known. After fixing those general causes: 1.0 but the one ~ miss.
// Labels follow heldout5.go's decisions. Two labels were missing when
// first measured (the Rabobank statement's counter-account line, the
// first 1Password row): added. Not found (~): a French number after
// "Secrétariat :", no phone word.
var h5bFileDocs = []hoDoc{
	{"lastschriften_pain008.xml", `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.008.001.08">
  <CstmrDrctDbtInitn>
    <GrpHdr><MsgId>LS-2026-12-0417</MsgId><CreDtTm>2026-12-03T10:14:22</CreDtTm><NbOfTxs>2</NbOfTxs></GrpHdr>
    <PmtInf>
      <PmtInfId>LS-0417</PmtInfId><PmtMtd>DD</PmtMtd>
      <Cdtr><Nm>Sportverein Eintracht 1921 e.V.</Nm></Cdtr>
      <CdtrAcct><Id><IBAN>{ibanDE}</IBAN></Id></CdtrAcct> ⟨iban⟩
      <CdtrSchmeId><Id><PrvtId><Othr><Id>DE98ZZZ09999999999</Id></Othr></PrvtId></Id></CdtrSchmeId>
      <DrctDbtTxInf>
        <PmtId><EndToEndId>MITGL-4417-2026-12</EndToEndId></PmtId>
        <InstdAmt Ccy="EUR">12.50</InstdAmt>
        <DrctDbtTx><MndtRltdInf><MndtId>M-4417</MndtId><DtOfSgntr>2019-03-01</DtOfSgntr></MndtRltdInf></DrctDbtTx>
        <Dbtr><Nm>Katrin Zimmermann</Nm><PstlAdr><AdrLine>Lindenstrasse 14</AdrLine><AdrLine>50674 Koeln</AdrLine></PstlAdr></Dbtr> ⟨postal_address⟩
        <DbtrAcct><Id><IBAN>{ibanDE2}</IBAN></Id></DbtrAcct> ⟨iban⟩
        <RmtInf><Ustrd>Mitgliedsbeitrag 12/2026</Ustrd></RmtInf>
      </DrctDbtTxInf>
      <DrctDbtTxInf>
        <PmtId><EndToEndId>MITGL-4418-2026-12</EndToEndId></PmtId>
        <InstdAmt Ccy="EUR">12.50</InstdAmt>
        <Dbtr><Nm>Yusuf Demir</Nm></Dbtr>
        <DbtrAcct><Id><IBAN>{ibanCH}</IBAN></Id></DbtrAcct> ⟨iban⟩
      </DrctDbtTxInf>
    </PmtInf>
  </CstmrDrctDbtInitn>
</Document>
`},
	{"MT940_rabobank.swi", `{1:F01RABONL2UXXXX0000000000}{2:I940RABONL2UXXXXN}{4:
:20:940S261203
:25:{ibanNL2} EUR ⟨iban⟩
:28C:238
:60F:C261202EUR4417,50
:61:261202C1250,00N541NONREF
{ibanNL} ⟨iban⟩
:86:/TRTP/SEPA OVERBOEKING/IBAN/{ibanNL}/BIC/INGBNL2A/NAME/J DE VRIES ⟨iban⟩
/REMI/huur december/EREF/NOTPROVIDED
:62F:C261202EUR5667,50
-}
`},
	{"1password_export.csv", `Title,Website,Username,Password,OTPAuth,Favorite,Archived,Tags,Notes
Hetzner Robot,https://robot.hetzner.com,K4417X,Hz!R0bot-2026,,false,false,Server, ⟨password⟩
Mail privat,https://mail.example.de,s.weber@mail-example.de,Mb0x#Privat26!,,true,false,,Recovery phone 0171 4829173 ⟨email password phone_number⟩
`},
	{"dashlane_credentials.csv", `username,username2,username3,title,password,note,url,category,otpSecret
yusuf.demir@mail-example.de,,,Amazon,Amz!Shop-4417x,,https://www.amazon.de,Shopping, ⟨email password⟩
ydemir,,,Router,Rt#Home-2026!,admin UI on 192.168.0.1,http://192.168.0.1,Home, ⟨password ip_address*2⟩
`},
	{"keepassxc.csv", `"Group","Title","Username","Password","URL","Notes","TOTP","Icon","Last Modified","Created"
"Root/Server","db01 postgres","postgres","Pg#Root-Db01!x","postgres://10.60.2.14:5432","","","0","2026-11-28T09:14:22Z","2026-01-01T00:00:00Z" ⟨password ip_address⟩
"Root/Web","Nextcloud","admin","Nc!Admin-2026q","https://cloud.example.net","","","0","2026-11-28T09:14:22Z","2026-01-01T00:00:00Z" ⟨password⟩
`},
	{"Safari Passwords.csv", `Title,URL,Username,Password,Notes,OTPAuth
id.apple.com (sanne.jansen@mail-example.nl),https://id.apple.com,sanne.jansen@mail-example.nl,Ap!Id-Sanne2026,, ⟨email*2 password⟩
`},
	{"core-site.xml", `<?xml version="1.0"?>
<configuration>
  <property><name>fs.defaultFS</name><value>hdfs://10.40.8.21:8020</value></property> ⟨ip_address⟩
  <property><name>fs.s3a.access.key</name><value>AKIA6TQ2LX7RZK4WNM3B</value></property> ⟨aws_access_key⟩
  <property><name>fs.s3a.secret.key</name><value>kQ7mX2Lp9Vb4Tc8Yp3Hd6Jw1Fs0Ge5Ra2Ub7QtZz</value></property> ⟨password⟩
  <property><name>hadoop.security.group.mapping.ldap.bind.password</name><value>Ld4p!Bind-Hdp26</value></property> ⟨password⟩
  <property><name>hadoop.tmp.dir</name><value>/data/tmp</value></property>
</configuration>
`},
	{"arztbrief_cda.xml", `<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <id root="1.2.276.0.76.4.17.9814184919" extension="DOC-2026-0417"/>
  <recordTarget><patientRole>
    <id root="1.2.276.0.76.4.8" extension="X110411675"/> ⟨health_record⟩
    <addr><streetAddressLine>Lindwurmstr. 44</streetAddressLine><postalCode>80337</postalCode><city>München</city></addr> ⟨postal_address⟩
    <patient><name><given>Hans</given><family>Müller</family></name><birthTime value="19580317"/></patient> ⟨person_name*2 date_of_birth⟩
  </patientRole></recordTarget>
  <component><structuredBody><component><section>
    <entry><observation><value code="I21.4" codeSystem="1.2.276.0.76.5.518" displayName="NSTEMI"/></observation></entry> ⟨health_record⟩
    <entry><observation><value code="8867-4" codeSystem="2.16.840.1.113883.6.1" displayName="Heart rate"/></observation></entry>
  </section></component></structuredBody></component>
</ClinicalDocument>
`},
	{"mr_knee.dcm.txt", `# Dicom-Data-Set
# Used TransferSyntax: Little Endian Explicit
(0008,0005) CS [ISO_IR 100]                             #  10, 1 SpecificCharacterSet
(0008,0050) SH [ACC20261203044]                         #  14, 1 AccessionNumber
(0010,0010) PN [Jansen^Sanne]                           #  12, 1 PatientName ⟨person_name*2⟩
(0010,0020) LO [NL-0417-2291]                           #  12, 1 PatientID ⟨health_record⟩
(0010,0030) DA [19850703]                               #   8, 1 PatientBirthDate ⟨date_of_birth⟩
(0010,1060) PN [de Boer]                                #   8, 1 PatientMotherBirthName ⟨person_name⟩
(0010,1010) AS [041Y]                                   #   4, 1 PatientAge
(0018,1000) LO [44172]                                  #   6, 1 DeviceSerialNumber
(0020,000e) UI [1.3.12.2.1107.5.2.30.25.10.0.3.44172.2026120310142203]  #  52, 1 SeriesInstanceUID
`},
	{"lettre_de_sortie.txt", `Service de cardiologie – lettre de sortie
Patiente : Mme Chloé Lemaire, née le 17/01/1986 ⟨date_of_birth⟩
Diagnostics :
- Fibrillation auriculaire paroxystique (I48.0) ⟨health_record⟩
- Hypertension artérielle essentielle (I10) ⟨health_record⟩
Traitement de sortie : apixaban 5 mg 2x/j, bisoprolol 2,5 mg. Contrôle dans 3 mois.
Secrétariat : 01 42 68 19 38 ⟨~phone_number⟩
`},
	{"informe_alta.txt", `Informe de alta – Servicio de Neumología
Paciente: Lucía García Morales, DNI {dniA}, fecha de nacimiento 14/02/1987 ⟨es_dni date_of_birth⟩
Diagnósticos principales:
1. Neumonía adquirida en la comunidad (J18.9) ⟨health_record⟩
2. Asma bronquial (J45.9) ⟨health_record⟩
Habitación 4B, cama 12. Revisión en consultas externas el 12/01/2027.
`},
	{"gcp_audit.json", `{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"chidi.okafor@corp-example.com"},"requestMetadata":{"callerIp":"81.92.204.19","callerSuppliedUserAgent":"google-cloud-sdk gcloud/456.0.0"},"serviceName":"storage.googleapis.com","methodName":"storage.objects.get","resourceName":"projects/_/buckets/exports/objects/customers.csv"},"insertId":"1x2y3z4a5b6c","resource":{"type":"gcs_bucket","labels":{"project_id":"billing-prod-7731"}},"timestamp":"2026-12-03T10:14:22.418Z","severity":"INFO","logName":"projects/billing-prod-7731/logs/cloudaudit.googleapis.com%2Fdata_access"} ⟨email ip_address⟩
`},
	{"azure_signins.json", `[{"id":"7d3a1f9e-2c4b-4a87-9e6d-8b5f0c2a1d47","createdDateTime":"2026-12-03T10:14:22Z","userDisplayName":"Marta Navarro","userPrincipalName":"marta.navarro@corp-example.es","userId":"1c8e4a2b-6f3d-4e91-b7a5-2d9c0f8e6b13","appDisplayName":"Office 365 Exchange Online","ipAddress":"2a02:9130:8a4:1::417","clientAppUsed":"Browser","location":{"city":"Madrid","countryOrRegion":"ES"},"status":{"errorCode":50126,"failureReason":"Invalid username or password."}}] ⟨email ip_address⟩
`},
	{"haproxy.log", `Dec  3 10:14:22 lb01 haproxy[2291]: 81.92.204.17:52814 [03/Dec/2026:10:14:22.418] https-in~ be_app/app02 0/0/1/84/85 200 1834 - - ---- 412/398/2/1/0 0/0 "GET /api/v2/profile?mail=a.ng%40mail-example.com HTTP/1.1" ⟨ip_address email⟩
Dec  3 10:14:23 lb01 haproxy[2291]: 10.0.3.17:41122 [03/Dec/2026:10:14:23.002] http-in be_static/web01 0/0/0/1/1 304 0 - - ---- 411/1/0/0/0 0/0 "GET /static/app.4.18.2.js HTTP/1.1" ⟨ip_address⟩
`},
	{"assets2.txt", `Inventory 2026-12-03: OID 1.3.6.1.4.1.14519.5.2.1.192.168.0.1 (vendor arc), SNMP 1.3.6.1.2.1.4.20.1.1.10.0.0.1
Device IMEI {imei}; ISIN NL0010273215; LEI 724500Y6DUVHQD6OXN27
Mandate M-4417 signed 2019-03-01; creditor {creditorID}; BIC RABONL2U
Build 2026.12.03.4417, firmware 7.2.5.1834, sha1 {sha1}
Card with a wrong check digit {cardBad}; IBAN with a wrong check {ibanBad}; BSN {bsnBad}
`},
}

// HeldOut5bFiles returns the check files written after the fifth round's
// fixes, with a workbook in German and Portuguese.
func HeldOut5bFiles() []HeldOutFile {
	v := h5Values()
	out := h5Files(h5bFileDocs, v)
	tax, _ := strconv.Atoi(v["taxA"])
	f := excelize.NewFile()
	defer f.Close()
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	sheets := []struct {
		name string
		rows [][]any
	}{
		// German: the landline lost its 0, the Steuer-ID is a number.
		{"Mitarbeiter", [][]any{
			{"Nachname", "Vorname", "Geburtsdatum", "Telefon privat", "Steuer-ID", "Bankverbindung (IBAN)"},
			{"Zimmermann", "Katrin", day(1976, 9, 14), 22148293715, tax, v["ibanDEg"]},
		}},
		// Portuguese: "Nome completo" names a person, NIF is no type here.
		{"Clientes", [][]any{
			{"Nome completo", "Data de nascimento", "Telemóvel", "Email", "NIF"},
			{"João Pedro Almeida", day(1990, 4, 2), 912483927, "joao.almeida@correio-example.pt", 245719381},
		}},
	}
	for i, s := range sheets {
		if i == 0 {
			_ = f.SetSheetName("Sheet1", s.name)
		} else {
			_, _ = f.NewSheet(s.name)
		}
		for r, row := range s.rows {
			for c, val := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				_ = f.SetCellValue(s.name, cell, val)
				if _, ok := val.(time.Time); ok {
					_ = f.SetCellStyle(s.name, cell, cell, style)
				}
			}
		}
	}
	var xb bytes.Buffer
	if err := f.Write(&xb); err != nil {
		panic(err)
	}
	out = append(out, HeldOutFile{"stammdaten.xlsx", xb.Bytes(), map[string]int{
		"person_name": 3, "date_of_birth": 2, "phone_number": 2, "de_tax_id": 1, "iban": 1, "email": 1}})
	return out
}
