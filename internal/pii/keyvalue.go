package pii

import (
	"bytes"
	"encoding/binary"
)

// Types found from structure: a value under a field or key named for it.
// In a CSV, JSON, XML or spreadsheet the field name comes from the reader
// (DetectField); in text, from a key before ':' or '=' on the same line
// (first_name: Anna, "passwd": "…", DB_PASSWORD=…), the strong context
// free text needs. A name or an address in prose is not detected.

// keyRule says which kind a field or key name ending in suffix has, after
// lower-casing and dropping everything but letters and digits
// ("Last Name", "last_name" and "lastName" are all "lastname").
type keyRule struct {
	suffix string
	kind   fieldKind
	// own: the suffix counts only as a word of its own (DB_PASS, smtpPass,
	// not bypass), as every suffix of three letters or fewer does.
	own bool
}

var keyRules = func() []keyRule {
	var r []keyRule
	add := func(k fieldKind, words ...string) {
		for _, w := range words {
			r = append(r, keyRule{suffix: w, kind: k})
		}
	}
	// A bare "name" (or nom, nombre, nome, naam) is not enough: packages,
	// hosts, products and files have names too.
	add(fieldName, "firstname", "lastname", "surname", "fullname", "givenname", "familyname", "middlename", "maidenname",
		"forename", "vorname", "nachname", "familienname", "vollername", "prenom", "nomdefamille",
		"nomcomplet", "apellido", "apellidos", "nombrecompleto", "nombreyapellidos", "cognome", "nomecompleto", "voornaam",
		"achternaam", "volledigenaam", "customername", "clientname", "patientname", "employeename", "contactname",
		"holdername", "personname", "membername", "recipientname", "kundenname", "nomclient", "nombrecliente",
		"accountholder", "cardholder", "kontoinhaber", "karteninhaber", "ansprechpartner", "contactperson", "titulaire",
		"titular", "intestatario", "rekeninghouder", "cognomeenome", "apellidosynombre", "apellidoynombre",
		"prenometnom", "geburtsname", "rufname", "nomdenaissance", "roepnaam", "voornamen", "nameoncard", "physicianname",
		"doctorname", "arztname", "nameandinitial", "birthname", "givennames", "firstnames",
		"applicantname", "nameofapplicant", "nameoftheapplicant")
	add(fieldAddress, "address", "streetaddress", "addressline1", "addressline2", "addressline", "street", "strasse",
		"anschrift", "adresse", "wohnadresse", "adressepostale", "direccion", "domicilio", "indirizzo", "adres", "woonadres",
		"straat", "hausnummer", "hausnr", "adresszeile", "adresszeile1", "adresszeile2", "ligneadresse", "huisnummer",
		"strassenr", "strassenummer", "strasseundnr", "rueetnumero", "calleynumero", "numerocivico")
	add(fieldPassword, "password", "passwd", "pwd", "passwort", "kennwort", "motdepasse", "contrasena",
		"wachtwoord", "passphrase", "mdp", "clavedeacceso", "requirepass", "masterauth")
	add(fieldMRN, "mrn", "medicalrecordnumber", "medicalrecordno", "medicalrecord", "patientid", "patientnumber",
		"patientno", "patientennummer", "patientnummer", "patientnr", "numerodossier", "dossiermedical", "historiaclinica",
		"cartellaclinica", "krankenaktennummer", "fallnummer")
	add(fieldDiagnosis, "diagnosis", "diagnoses", "diagnose", "diagnosen", "diagnosi", "diagnostico", "diagnostic", "diagnosiscode", "icd", "icd10",
		"icdcode", "icd10code", "cim10", "cie10", "dx", "befund")
	r = append(r, keyRule{"pass", fieldPassword, true})
	// Secrets of machines named as such (aws_secret_access_key,
	// client_secret, API_SECRET): a password by another name. Not a
	// bare "secret" (Helm's existingSecret and k8s secret names name one).
	add(fieldPassword, "secretaccesskey", "secretkey", "clientsecret", "apisecret", "appsecret", "consumersecret",
		"jwtsecret", "webhooksecret", "sharedsecret", "signingsecret", "tokensecret")
	r = append(r, keyRule{"auth", fieldBasicAuth, true}, keyRule{"authorization", fieldBasicAuth, false})
	add(fieldIBAN, "iban")
	// Birth-date keys glued in camel case (dateOfBirth, patientDob,
	// fechaNacimiento), where no birth word starts a word for the pass.
	add(fieldBirth, "dateofbirth", "birthdate", "dob", "birthday", "geburtsdatum", "gebdatum", "fechanacimiento",
		"fechadenacimiento", "datanascita", "datadinascita", "datenaissance", "datedenaissance", "geboortedatum")
	add(fieldAzureKey, "accountkey", "storagekey", "storageaccountkey")
	add(fieldGCPKeyID, "privatekeyid")
	// Ids whose check alone is weak take their context from these; ids a
	// person may write with separators or in lower case are compacted.
	add(fieldTaxID, "steuerid", "steueridnr", "steueridentifikationsnummer", "identifikationsnummer", "taxid", "tin",
		"taxnumber", "taxidentificationnumber", "idnr")
	add(fieldBSN, "bsn", "burgerservicenummer", "sofinummer", "citizenservicenumber")
	add(fieldAadhaar, "aadhaar", "aadhar", "aadhaarnumber", "aadhaarno", "uidai")
	add(fieldPassport, "passport", "passportnumber", "passportno", "passeport", "reisepass", "reisepassnummer", "passnummer",
		"pasaporte", "passaporto", "paspoort", "paspoortnummer")
	add(fieldOtherID, "nir", "insee", "numerosecu", "securitesociale", "dni", "nie", "nif", "codicefiscale", "fiscalcode",
		"cf", "socialsecuritynumber")
	return r
}()

// notPostal are address keys of machines, not of people.
var notPostal = []string{"ipaddress", "emailaddress", "mailaddress", "macaddress", "serveraddress", "remoteaddress",
	"bindaddress", "listenaddress", "hostaddress", "localaddress", "walletaddress", "webaddress", "contractaddress",
	"proxyaddress", "gatewayaddress", "networkaddress", "ethaddress", "btcaddress"}

// keyValueKinds are the kinds whose value is the finding itself.
const keyValueKinds = fieldName | fieldAddress | fieldPassword | fieldMRN | fieldDiagnosis | fieldAzureKey | fieldGCPKeyID |
	fieldIBAN | fieldBirth | fieldBasicAuth

// idKinds are the kinds of national id fields.
const idKinds = fieldTaxID | fieldBSN | fieldAadhaar | fieldPassport | fieldOtherID

// keySuffix3 is a bitset of the last three characters (a letter, digit or
// boundary each) of the keys with a value kind: the pass's quick reject at
// every ':' and '=' (bytes=, build=, user=, level=), one lookup.
var keySuffix3 = func() (t [37*37*37/8 + 1]byte) {
	for _, r := range keyRules {
		if r.kind&keyValueKinds == 0 {
			continue
		}
		w := r.suffix
		for a := 0; a <= 36; a++ {
			if len(w) >= 3 {
				a = alnumIndex(w[len(w)-3])
			}
			x := suffix3(a, alnumIndex(w[len(w)-2]), alnumIndex(w[len(w)-1]))
			t[x/8] |= 1 << (x % 8)
			if len(w) >= 3 {
				break
			}
		}
	}
	// value="…" after key="…" or name="…" in the same element: the
	// element's key names the value (attrKeyKind).
	x := suffix3(alnumIndex('l'), alnumIndex('u'), alnumIndex('e'))
	t[x/8] |= 1 << (x % 8)
	return t
}()

// attrKeyKind is the kind of an XML element's key="…" or name="…"
// attribute before its value attribute at vs (.NET's <add key="Password"
// value="…"/>, Spring's and Ant's <property name="password" value="…"/>,
// <param name=… value=…>): 0 when there is none.
func attrKeyKind(text []byte, vs int) fieldKind {
	st := vs
	for st > 0 && vs-st < 256 && text[st-1] != '<' && text[st-1] != '>' && text[st-1] != '\n' {
		st--
	}
	if st == 0 || text[st-1] != '<' {
		return 0
	}
	tag := text[st:vs]
	for _, a := range []string{" key=", " name=", " Key=", " Name="} {
		k := bytes.Index(tag, []byte(a))
		if k < 0 || k+len(a)+1 >= len(tag) {
			continue
		}
		q := tag[k+len(a)]
		if q != '"' && q != '\'' {
			continue
		}
		if e := bytes.IndexByte(tag[k+len(a)+1:], q); e > 0 {
			return keyKind(tag[k+len(a)+1:k+len(a)+1+e]) & keyValueKinds
		}
	}
	return 0
}

// pairNameKind is the kind of the name a "value" key at vs is paired
// with: a "name" or "key" key earlier on its line, or on the line before
// (YAML's "- name: DB_PASSWORD" over "value: …").
func pairNameKind(text []byte, vs int) fieldKind {
	st := vs
	for st > 0 && vs-st < 256 && text[st-1] != '\n' {
		st--
	}
	if k := namedPair(text[st:vs]); k != 0 {
		return k
	}
	if st == 0 {
		return 0
	}
	pe := st - 1
	ps := pe
	for ps > 0 && pe-ps < 256 && text[ps-1] != '\n' {
		ps--
	}
	return namedPair(text[ps:pe])
}

// namedPair reads the last "name: X" or "key: X" (either quoted) in a
// line and returns X's kind.
func namedPair(line []byte) fieldKind {
	for _, w := range []string{"name", "key", "Name", "Key"} {
		p := bytes.LastIndex(line, []byte(w))
		if p < 0 || (p > 0 && alnumTable[line[p-1]]) {
			continue
		}
		r := line[p+len(w):]
		r = bytes.TrimLeft(r, "\"'")
		r = bytes.TrimLeft(r, " \t")
		if len(r) == 0 || (r[0] != ':' && r[0] != '=') {
			continue
		}
		r = bytes.TrimLeft(r[1:], " \t\"'")
		e := 0
		for e < len(r) && (alnumTable[r[e]] || r[e] == '_' || r[e] == '-' || r[e] == '.') {
			e++
		}
		if e > 0 {
			return keyKind(r[:e]) & keyValueKinds
		}
	}
	return 0
}

// maybeKey is the quick reject: whether the key ending at k (its last
// three letters or digits, separators skipped) may have a value kind.
func maybeKey(text []byte, k int) bool {
	if k >= 3 {
		// The common case, three letters (bytes=, level=): one lookup.
		a, b, c := alnumIdx[text[k-3]], alnumIdx[text[k-2]], alnumIdx[text[k-1]]
		if a|b|c < 36 || (a == 36 && b < 36 && c < 36 && text[k-3] < 0x80 && text[k-3] != '_' && text[k-3] != '-' && text[k-3] != '.' && text[k-3] != ' ') {
			x := suffix3(int(a), int(b), int(c))
			return keySuffix3[x/8]&(1<<(x%8)) != 0
		}
	}
	var c [3]int
	n := 0
	for j := k - 1; j >= 0 && k-j <= 8 && n < 3; j-- {
		b := text[j]
		switch {
		case b >= 0x80:
			return true // a Latin-1 letter (contraseña): the full check
		case alnumTable[b]:
			c[n] = alnumIndex(b)
			n++
		case b == '_' || b == '-' || b == '.' || b == ' ':
		default:
			j = -1
		}
	}
	if n < 2 {
		return false
	}
	if n == 2 {
		c[2] = 36
	}
	x := suffix3(c[2], c[1], c[0])
	return keySuffix3[x/8]&(1<<(x%8)) != 0
}

func suffix3(a, b, c int) int { return (a*37+b)*37 + c }

// alnumIndex maps a letter (either case) or digit to 0..35 and anything
// else to 36, a boundary.
func alnumIndex(c byte) int { return int(alnumIdx[c]) }

var alnumIdx = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch b := byte(c); {
		case isDigit(b):
			t[c] = b - '0' + 26
		case isAlpha(b):
			t[c] = lower(b) - 'a'
		default:
			t[c] = 36
		}
	}
	return t
}()

// latin1Fold maps the second byte of a UTF-8 Latin-1 letter (after 0xC3)
// to its ASCII base letter: é → e, ñ → n, ß → s.
var latin1Fold = func() (t [64]byte) {
	const upper = "aaaaaaaceeeeiiiidnooooo*ouuuuyts" // U+00C0..U+00DF
	const lower = "aaaaaaaceeeeiiiidnooooo*ouuuuyty" // U+00E0..U+00FF
	for k := 0; k < 32; k++ {
		t[k], t[32+k] = upper[k], lower[k]
	}
	t[0x17], t[0x37] = 0, 0 // × and ÷
	return t
}()

// normKey lower-cases a field or key name and keeps the last 48 of its
// letters and digits (suffixes decide) into dst, Latin-1 letters folded to
// ASCII ("Prénom", "contraseña", "patiëntnummer").
func normKey(name []byte, dst []byte) []byte {
	if len(name) > 96 {
		name = name[len(name)-96:]
	}
	for k := 0; k < len(name); k++ {
		c := name[k]
		switch {
		case isDigit(c):
			dst = append(dst, c)
		case isAlpha(c):
			dst = append(dst, lower(c))
		case c == 0xC3 && name[min(k+1, len(name)-1)] == 0x9F: // ß: Straße is strasse
			dst = append(dst, 's', 's')
			k++
		case c == 0xC3 && k+1 < len(name) && name[k+1] >= 0x80 && name[k+1] < 0xC0:
			if f := latin1Fold[name[k+1]-0x80]; f != 0 {
				dst = append(dst, f)
			}
			k++
		}
	}
	if len(dst) > 48 {
		dst = append(dst[:0], dst[len(dst)-48:]...)
	}
	return dst
}

// keyRulesByTail indexes keyRules by their last three letters or digits,
// so a key is compared only with the rules it may end in (a log's card=
// or serial= with one or none, not all of them); shortRules are the
// rules of fewer than three.
var keyRulesByTail, shortRules = func() (map[[3]byte][]int, []int) {
	by := map[[3]byte][]int{}
	var short []int
	for i, r := range keyRules {
		if len(r.suffix) < 3 {
			short = append(short, i)
			continue
		}
		t := [3]byte([]byte(r.suffix[len(r.suffix)-3:]))
		by[t] = append(by[t], i)
	}
	return by, short
}()

// keyKind classifies a field or key name.
func keyKind(name []byte) fieldKind {
	var kb [48]byte
	k := normKey(name, kb[:0])
	var kind fieldKind
	var cand []int
	if len(k) >= 3 {
		cand = keyRulesByTail[[3]byte(k[len(k)-3:])]
	}
	for n := 0; n < len(cand)+len(shortRules); n++ {
		var r keyRule
		if n < len(cand) {
			r = keyRules[cand[n]]
		} else {
			r = keyRules[shortRules[n-len(cand)]]
		}
		if !bytes.HasSuffix(k, []byte(r.suffix)) {
			continue
		}
		// A short acronym (cf, dx, tin, nie, mrn) counts as the whole
		// name or as its own word: "tin" not in "setting".
		if (len(r.suffix) <= 3 || r.own) && len(k) > len(r.suffix) && !ownWord(name, len(r.suffix)) {
			continue
		}
		kind |= r.kind
	}
	if kind == 0 && len(k) > 4 && k[len(k)-1] == 's' && pluralName(name) {
		// The plural of a name part ("Prénoms", "Surnames"): a form's
		// label for all of a person's given names. Not a rule of its own:
		// keySuffix3 and keyPairs would then keep "ms" (dur_ms=).
		return fieldName
	}
	if kind == 0 && len(k) > 4 && isDigit(k[len(k)-1]) {
		// A numbered key (address1, street_2, Strasse1): the key's kind.
		e := len(name)
		for e > 0 && (isDigit(name[e-1]) || name[e-1] == '_' || name[e-1] == '-' || name[e-1] == ' ') {
			e--
		}
		if len(name)-e <= 3 && e > 0 && isAlpha(name[e-1]) {
			return keyKind(name[:e])
		}
	}
	if kind&fieldPassword != 0 {
		// A password stored encrypted or hashed (Firefox's
		// encryptedPassword, password_hash is not a suffix): ciphertext,
		// not the secret.
		for _, w := range []string{"encrypted", "hashed", "crypted"} {
			for _, p := range []string{"password", "passwd", "pwd", "pass", "passwort", "kennwort"} {
				if bytes.HasSuffix(k, []byte(w+p)) {
					kind &^= fieldPassword
				}
			}
		}
	}
	if kind&fieldAddress != 0 {
		for _, w := range notPostal {
			if bytes.HasSuffix(k, []byte(w)) {
				kind &^= fieldAddress
			}
		}
	}
	return kind
}

// pluralName reports whether name, ending in an s, is a name part's key
// without it.
func pluralName(name []byte) bool {
	e := len(name)
	for e > 0 && !isAlnum(name[e-1]) {
		e--
	}
	return e > 1 && lower(name[e-1]) == 's' && keyKind(name[:e-1])&fieldName != 0
}

// ownWord reports whether the last n letters and digits of name are a
// word of their own: after a separator, or capitals after a lower-case
// letter (patientMRN).
func ownWord(name []byte, n int) bool {
	e := len(name)
	for e > 0 && !isAlnum(name[e-1]) {
		e--
	}
	st := e - n
	if st <= 0 {
		return st == 0
	}
	for _, c := range name[st:e] {
		if !isAlnum(c) {
			return false
		}
	}
	p := name[st-1]
	return !isAlnum(p) || (isUpper(name[st]) && p-'a' < 26)
}

// keyValueAt looks at a ':' or '=' at i: a key named for a value kind
// before it, and its value after it. It returns where the pass goes on.
func (s *scanner) keyValueAt(i int) int {
	text := s.text
	// The key's last two letters or digits, before optional spaces (up
	// to 31: HCL, INI and .tfvars align their '=') and a closing quote
	// ("password" : …).
	k := i
	for k > 0 && i-k < 32 && text[k-1] == ' ' {
		k--
	}
	if k > 1 && text[k-1] == ']' && (text[k-2] == '"' || text[k-2] == '\'') {
		k-- // an array element: $cfg['password'] = …, config["password"] = …
	}
	if k > 0 && (text[k-1] == '"' || text[k-1] == '\'') {
		k--
	}
	if k >= 4 && text[k-1] == ')' && text[k-3] == '(' && text[k-2]-'a' < 26 && isAlpha(text[k-4]) {
		k -= 3 // a plural written in: "Prénom(s)", "Vorname(n)", "Name(s)"
	}
	if k < 2 || !alnumTable[text[k-1]] || !maybeKey(text, k) && !(lower(text[k-1]) == 's' && maybeKey(text, k-1)) {
		return i + 1 // (a plural's s: "Prénoms:", keyKind's pluralName)
	}
	next := byte(0)
	if i+1 < len(text) {
		next = text[i+1]
	}
	arrow := false
	switch {
	case text[i] == ':' && next == ':', text[i] == '=' && next == '=':
		return i + 1 // C++ scope, IPv6, comparison
	case text[i] == ':' && next == '=':
		i++ // Go's :=, Pascal
	case text[i] == '=' && next == '>':
		// PHP's and Perl's 'password' => '…', Ruby's :password => '…';
		// the value quoted (JavaScript's pwd => pwd.trim() is code).
		i++
		arrow = true
	}
	// The key: letters, digits, '_', '-', '.' and up to two spaces joining
	// words ("Full name", "medical record number"), at most 40 bytes.
	ks := k
	spaces := 0
	for ks > 0 && k-ks < 40 {
		c := text[ks-1]
		if keyByte[c] {
			// the common case first: one lookup
		} else if c == ' ' && spaces < 2 && ks >= 2 && isAlpha(text[ks-2]) {
			spaces++
		} else if c == '/' && ks >= 2 && isAlpha(text[ks-2]) && isAlpha(text[ks]) {
			// A form's label in several languages: "Name/Surname/Nom",
			// "Vornamen/Given names/Prénoms" (passports, ID cards,
			// bilingual forms); each alternative names the value.
		} else {
			break
		}
		ks--
	}
	var kind fieldKind
	if k-ks == 5 && hasPrefixFold(text[ks:k], []byte("value")) {
		switch {
		case text[i] == '=' && k == i:
			kind = attrKeyKind(text, ks) // <add key="SmtpPassword" value="…"/>
		case text[i] == ':':
			// A name/value pair: Kubernetes' env list (- name: DB_PASSWORD
			// then value: …), {"name": "password", "value": …}.
			kind = pairNameKind(text, ks)
		}
		if kind == 0 {
			return i + 1
		}
	} else {
		kind = s.keyKinds.of(text[ks:k])
	}
	if kind == 0 {
		return i + 1
	}
	if kind&fieldPassword != 0 && ks > 0 && text[ks-1] == '(' && text[i] == ':' && i+1 < len(text) && isAlpha(text[i+1]) {
		// pam_unix(passwd:chauthtok), (sshd:auth): a service and its
		// facility, no password.
		return i + 1
	}
	v, quoted, end := valueAfter(text, i+1)
	if len(v) == 0 || arrow && !quoted {
		return i + 1
	}
	if used, ok := s.keyedValue(kind, v, quoted, i); ok {
		if quoted {
			return end
		}
		return end - len(v) + used // a form's next column may follow
	}
	return i + 1
}

// keyByte marks the bytes a key is made of (letters, digits, '_', '-',
// '.' and those of UTF-8 letters), what keyValueAt reads back over.
var keyByte = func() (t [256]bool) {
	for c := range 256 {
		t[c] = alnumTable[c] || c == '_' || c == '-' || c == '.' || c >= 0x80
	}
	return t
}()

// keyValueKind is the value kinds a key before ':' or '=' names: its
// own, or its alternatives' ("Name/Surname/Nom").
func keyValueKind(key []byte) (kind fieldKind) {
	for {
		sl := bytes.IndexByte(key, '/')
		if sl < 0 {
			return kind | keyKind(key)&keyValueKinds
		}
		kind |= keyKind(key[:sl]) & keyValueKinds
		key = key[sl+1:]
	}
}

// keyKinds remembers keyValueKind of keys of up to 16 bytes, one a
// length: log lines repeat their keys ("payment card=" on every payment,
// ~700 instructions of normKey and the rules each time), and the answer
// depends on the key's bytes alone.
type keyKinds [17]struct {
	lo, hi uint64 // the key's bytes, little-endian, zero after it
	kind   fieldKind
	ok     bool
}

// of is keyValueKind(key), from the memo when it holds the key.
func (kk *keyKinds) of(key []byte) fieldKind {
	n := len(key)
	if n > 16 {
		return keyValueKind(key)
	}
	var b [16]byte
	copy(b[:], key)
	lo, hi := binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])
	e := &kk[n]
	if !e.ok || e.lo != lo || e.hi != hi {
		e.lo, e.hi, e.ok, e.kind = lo, hi, true, keyValueKind(key)
	}
	return e.kind
}

// valueAfter reads a key's value after its separator at i: optional
// spaces, then a quoted string on the same line or the rest of the line
// (at most 256 bytes).
func valueAfter(text []byte, i int) (v []byte, quoted bool, end int) {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	if i >= len(text) {
		return nil, false, i
	}
	if q := text[i]; q == '"' || q == '\'' {
		// A triple-quoted string on one line (TOML's and Python's
		// """…""", '''…'''): the value inside the three quotes.
		if i+3 < len(text) && text[i+1] == q && text[i+2] == q && text[i+3] != q {
			if e := bytes.Index(text[i+3:min(len(text), i+3+256)], []byte{q, q, q}); e > 0 &&
				bytes.IndexByte(text[i+3:i+3+e], '\n') < 0 {
				return text[i+3 : i+3+e], true, i + 3 + e + 3
			}
		}
		for j := i + 1; j < len(text) && j-i <= 256; j++ {
			switch text[j] {
			case '\\':
				j++
			case q:
				return text[i+1 : j], true, j + 1
			case '\n':
				return nil, false, i
			}
		}
		return nil, false, i
	}
	j := i
	for j < len(text) && j-i < 256 && text[j] != '\n' && text[j] != '\r' {
		j++
	}
	return text[i:j], false, j
}

// keyedValue validates a value under a key of kind and emits it, and
// says how much of v it used. In text
// (quoted reports whether the value was) an unquoted value stops where its
// kind says.
func (s *scanner) keyedValue(kind fieldKind, v []byte, quoted bool, pos int) (int, bool) {
	used := len(v)
	// An unquoted value also ends where a form's next column starts: two
	// spaces or a middle dot ("Prénom : Lucie   Date de naissance : …",
	// "Móvil: 654 32 10 98 · Fijo: …").
	cut := func(stop string) []byte {
		if quoted {
			return v
		}
		for k, c := range v {
			if indexByte(stop, c) >= 0 || c == ' ' && k+1 < len(v) && v[k+1] == ' ' ||
				c == 0xC2 && k+1 < len(v) && v[k+1] == 0xB7 {
				used = k
				return v[:k]
			}
		}
		return v
	}
	switch {
	case kind&fieldPassword != 0:
		p := cut(" \t&;,)")
		if !quoted && bytes.ContainsAny(p, "([") {
			return 0, false // code: password = request.form["password"]
		}
		if !quoted && yamlTag(p) {
			return 0, false // password: !vault |, !secret db_pass, !Ref DbPassword
		}
		if validPassword(p) && !knownCredential(p) {
			s.match(TypePassword, CategoryCredential, High, p, pos)
			return used, true
		}
	case kind&fieldBasicAuth != 0:
		// "auth": "ZGVwbG95OlMzY3JldA==", Authorization: Basic …: the
		// password of a user:password pair in base64.
		if p, n, ok := basicAuthPassword(v); ok {
			s.match(TypePassword, CategoryCredential, High, p, pos)
			return n, true
		}
	case kind&fieldName != 0:
		if n, ok := normPersonName(cut(",;|\t<>(){}[]\""), s.val[:0]); ok {
			s.match(TypePersonName, CategoryPersonal, High, n, pos)
			return used, true
		}
	case kind&fieldAddress != 0:
		if a, ok := normAddress(cut(";|\t\"<>{}"), s.val[:0]); ok {
			s.match(TypePostalAddress, CategoryContact, High, a, pos)
			return used, true
		}
	case kind&fieldMRN != 0:
		if m, ok := normMRN(cut(" \t,;|"), s.val[:0]); ok {
			s.match(TypeHealthRecord, CategoryHealth, High, m, pos)
			return used, true
		}
	case kind&fieldDiagnosis != 0:
		found := false
		for k := 0; k < len(v) && k < 128; k++ {
			if isAlpha(v[k]) && (k == 0 || !isAlnum(v[k-1])) {
				if code, end, ok := readICD(v, k, s.val[:0]); ok {
					s.match(TypeHealthRecord, CategoryHealth, High, code, pos)
					found = true
					k = end
				}
			}
		}
		return len(v), found
	case kind&fieldAzureKey != 0:
		key := cut(" \t;,&")
		if validAzureKey(key) {
			s.match(TypeAzureStorageKey, CategoryCredential, High, key, pos)
			return used, true
		}
	case kind&fieldBirth != 0:
		// The first date of the value, unless the pass found it from a
		// birth word in the key (birth_date: …).
		v = cut(";|\t")
		for k := 0; k < len(v) && k < dobWindow; k++ {
			if (v[k] == ':' || v[k] == '=') && k > 0 && isAlpha(v[k-1]) {
				break // another label: "dob: n/a, hired: 01.04.2015"
			}
			if !isAlnum(v[k]) || (k > 0 && isAlnum(v[k-1])) {
				continue
			}
			if d, ok := parseDate(v[k:min(len(v), k+dateMax)]); ok {
				at := cap(s.text) - cap(v) + k // v lies in s.text
				if at != s.lastDOB {
					s.match(TypeDateOfBirth, CategoryPersonal, High, d, pos)
					s.lastDOB = at
				}
				return 0, false // the pass goes on into the value: more may follow on the line
			}
		}
	case kind&fieldIBAN != 0:
		// The pass finds an IBAN in capitals; under an IBAN key one in
		// lower case counts too (nl91 abna 0417 1643 00).
		if v, ok := lowerIBAN(cut(",;|\t\"<>"), s.val[:0]); ok {
			s.match(TypeIBAN, CategoryFinancial, High, v, pos)
			return used, true
		}
	case kind&fieldGCPKeyID != 0:
		// private_key_id is the key id of a Google service-account key
		// file; in text the file's "type": "service_account" comes first.
		id := cut(" \t,;")
		if len(id) == 40 && allHex(id) && (s.field&fieldGCPKeyID != 0 ||
			bytes.Contains(s.text[max(0, pos-2048):pos], []byte("service_account"))) {
			s.match(TypeGCPServiceKey, CategoryCredential, High, id, pos)
			return used, true
		}
	}
	return 0, false
}

// fieldValue finds the value kinds in a whole field value under a field
// named for them (a CSV cell under "last_name").
func (s *scanner) fieldValue(text []byte) {
	// Codes under a diagnosis field are found by the pass, a date under a
	// birth field by DetectField.
	kind := s.field & keyValueKinds &^ (fieldDiagnosis | fieldBirth)
	if kind == 0 {
		return
	}
	v := bytes.TrimSpace(text)
	if len(v) == 0 || len(v) > 256 {
		return
	}
	_, _ = s.keyedValue(kind, v, true, 0)
}

// compactID returns an id field's value upper-cased without separators
// (" 12.345.678-z " → "12345678Z") so an identifier typed as its
// standard allows is read as written plainly; ok is false when the value
// is not one short run of letters, digits and separators.
func compactID(v []byte, dst []byte) ([]byte, bool) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || len(v) > 40 {
		return nil, false
	}
	for _, c := range v {
		switch {
		case isDigit(c):
			dst = append(dst, c)
		case isAlpha(c):
			dst = append(dst, lower(c)-32)
		case c == ' ' || c == '.' || c == '-' || c == '/':
		default:
			return nil, false
		}
	}
	return dst, len(dst) > 0
}
