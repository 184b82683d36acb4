package pii

import (
	"bytes"
	"encoding/base64"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Values read under a key or a field named for them (keyvalue.go): each
// kind's check, and the form its token is computed over.

// yamlTag reports whether an unquoted value is a YAML tag (!vault,
// !secret, !Ref, !ENV): where the value is, not the value.
func yamlTag(v []byte) bool {
	if len(v) < 2 || v[0] != '!' {
		return false
	}
	for _, c := range v[1:] {
		if !isAlpha(c) && c != '_' {
			return false
		}
	}
	return true
}

// passwordPlaceholders are values that stand for a password in templates,
// documentation and redacted copies (compared lower-cased). A default such
// as "changeme" is one too: the shipped sample file would otherwise count
// on every host; a weak real password ("Summer2024!") is not a placeholder.
var passwordPlaceholders = []string{"password", "passwd", "passw0rd", "changeme", "change-me", "change_me", "changeit",
	"secret", "example", "redacted", "removed", "hidden", "masked", "null", "none", "nil", "undefined", "true",
	"false", "required", "optional", "string", "todo", "tbd", "your_password", "yourpassword", "your-password",
	"mypassword", "my_password", "placeholder", "dummy", "empty", "xxxx", "****", "<password>", "password123",
	"pass", "pwd"}

// validPassword accepts 4–128 printable bytes that are not a placeholder,
// a mask (****, xxxx, •••), a reference to where the real one is
// ($DB_PASSWORD, ${…}, {{ … }}, %(…)s, <…>, ENC(…), vault:…) or a
// sentence about passwords.
func validPassword(p []byte) bool {
	if len(p) < 4 || len(p) > 256 {
		return false // a registry token (pypi-…) runs to 200
	}
	if bytes.Contains(p, []byte("EXAMPLE")) {
		return false // documentation's sample secrets (AWS: …bPxRfiCYEXAMPLEKEY)
	}
	for _, c := range p {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	var lb [256]byte
	l := lb[:0]
	for _, c := range p {
		l = append(l, lower(c))
	}
	for _, w := range passwordPlaceholders {
		if string(l) == w {
			return false
		}
	}
	if bytes.Contains(l, []byte("password")) || bytes.Contains(l, []byte("passwd")) {
		return false
	}
	masked := true
	for _, c := range l {
		if indexByte("*x•.#?-_ ", c) < 0 && c < 0x80 {
			masked = false
			break
		}
	}
	if masked || !diverse(l, 3) {
		return false
	}
	for _, pre := range []string{"$", "%(", "{{", "enc(", "vault:", "env:", "secret:", "file:", "ref+"} {
		if bytes.HasPrefix(l, []byte(pre)) {
			return false
		}
	}
	if (l[0] == '<' && l[len(l)-1] == '>') || (l[0] == '[' && l[len(l)-1] == ']') {
		return false
	}
	if encryptedOrHashed(l) {
		return false
	}
	if filePath(l) && !awsSecretShaped(p) {
		return false // PWD=/home/deploy (the shell's directory), password_file=/run/secrets/db
	}
	if i := bytes.Index(l, []byte("://")); i > 0 && isAlpha(l[0]) {
		return false // a URL (nginx's proxy_pass http://…): where, not what
	}
	if l[0] == '%' && l[len(l)-1] == '%' && len(l) > 2 { // %DB_PASS%: a Windows or Symfony variable
		for _, c := range l[1 : len(l)-1] {
			if !isAlnum(c) && c != '_' {
				return true
			}
		}
		return false
	}
	return true
}

// awsSecretShaped reports whether p has an AWS secret access key's shape:
// 40 bytes of base64 with upper- and lower-case letters and digits. One in
// sixty starts with '/', and with '/'s inside reads as a path
// (/TXoYS6GU/caVsHppSb0R6UHC353/gTgBQrc2WhC).
func awsSecretShaped(p []byte) bool {
	if len(p) != 40 {
		return false
	}
	var up, lo, dig bool
	for _, c := range p {
		switch {
		case isUpper(c):
			up = true
		case c-'a' < 26:
			lo = true
		case isDigit(c):
			dig = true
		case c != '+' && c != '/':
			return false
		}
	}
	return up && lo && dig
}

// filePath reports whether a (lower-cased) value is an absolute or
// home-relative path of two segments or more of letters, digits, '.',
// '_' and '-': where a secret is kept, or a directory, not the secret.
func filePath(l []byte) bool {
	if bytes.HasPrefix(l, []byte("~/")) {
		l = l[1:]
	}
	if len(l) < 4 || l[0] != '/' || l[len(l)-1] == '/' {
		return false
	}
	segs := 0
	for _, seg := range bytes.Split(l[1:], []byte("/")) {
		if len(seg) == 0 {
			return false
		}
		for _, c := range seg {
			if !isAlnum(c) && c != '.' && c != '_' && c != '-' {
				return false
			}
		}
		segs++
	}
	return segs >= 2
}

// normPersonName accepts 1–5 words of letters (any script; inner '-', '\”
// and '.' for initials) with at least two letters in all, and returns it
// lower-cased (ASCII) with single spaces.
func normPersonName(v []byte, dst []byte) ([]byte, bool) {
	v = bytes.TrimSpace(v)
	if len(v) < 2 || len(v) > 100 {
		return nil, false
	}
	words, letters, commas := 0, 0, 0
	for _, w := range bytes.Fields(v) {
		if words == 5 {
			return nil, false
		}
		// "Weiß, Jürgen": one comma after the surname.
		if len(w) > 1 && w[len(w)-1] == ',' && commas == 0 {
			w = w[:len(w)-1]
			commas++
		}
		for k, c := range w {
			switch {
			case isAlpha(c) || c >= 0x80:
				letters++
			case (c == '-' || c == '\'' || c == '.') && k > 0:
			default:
				return nil, false
			}
		}
		if words > 0 {
			dst = append(dst, ' ')
		}
		for _, c := range w {
			dst = append(dst, lower(c))
		}
		words++
	}
	if letters < 2 {
		return nil, false
	}
	switch string(dst) {
	case "null", "none", "n/a", "unknown", "undefined", "nil", "test", "string", "name", "true", "false", "redacted",
		"user", "test user", "admin", "dummy", "demo", "example", "sample":
		return nil, false
	}
	if nameFlag(dst) {
		return nil, false
	}
	return foldText(dst), true
}

// nameFlags are the values a name column holds when it says whether a
// name is there, not which (a form definition's "required", a count by
// "Prénom renseigné"): yes, no, filled in, empty, unknown, hidden, in the
// six languages; compared with the value as normPersonName lower-cases it
// (ASCII letters only: accented letters as written).
var nameFlags = map[string]bool{
	"yes": true, "no": true, "filled": true, "empty": true, "blank": true, "missing": true, "hidden": true, "masked": true, "anonymous": true,
	"ja": true, "nein": true, "leer": true, "unbekannt": true, "ausgefüllt": true, "anonym": true,
	"oui": true, "non": true, "vide": true, "inconnu": true, "inconnue": true, "renseigné": true, "non renseigné": true, "masqué": true, "anonyme": true,
	"sí": true, "vacío": true, "desconocido": true, "anónimo": true,
	"vuoto": true, "sconosciuto": true, "anonimo": true,
	"nee": true, "leeg": true, "onbekend": true, "anoniem": true, "ingevuld": true,
}

// nameFlag reports whether a lower-cased name value is a flag (nameFlags).
func nameFlag(v []byte) bool { return nameFlags[string(v)] }

// foldText lower-cases a name or an address beyond ASCII and puts it in
// Unicode's composed form (NFC), so that "MÜLLER", "Müller" and the
// "Mu\u0308ller" macOS writes (u and a combining diaeresis) give one
// token, in a file as in a subject search. ASCII, the common case, comes
// back as it is; bytes that are not UTF-8 (a Latin-1 file) too, for want
// of knowing what they spell.
func foldText(b []byte) []byte {
	for _, c := range b {
		if c >= 0x80 {
			if !utf8.Valid(b) {
				return b
			}
			return norm.NFC.Bytes(bytes.ToLower(b))
		}
	}
	return b
}

// normAddress accepts a postal address: 8–200 bytes with a number (house
// number or postcode) and at least two words of letters, or a street and
// its house number alone as a street column holds them (Lindenweg 12,
// Bahnhofstr. 3a: a word of four letters or more and a number of at most
// four digits and a letter), not an e-mail or network address; it returns
// it lower-cased with single spaces.
func normAddress(v []byte, dst []byte) ([]byte, bool) {
	v = bytes.Trim(v, " \t,.")
	if len(v) < 6 || len(v) > 200 || bytes.ContainsAny(v, "@=") || bytes.Contains(v, []byte("://")) {
		return nil, false
	}
	hasDigit, words, street, house := false, 0, false, false
	for _, w := range bytes.Fields(v) {
		letters, digits := 0, 0
		for _, c := range w {
			switch {
			case isDigit(c):
				hasDigit = true
				digits++
			case isAlpha(c) || c >= 0x80:
				letters++
			}
		}
		if letters >= 2 {
			words++
		}
		if digits == 0 && letters >= 4 {
			street = true
		}
		if digits > 0 && digits <= 4 && letters <= 1 && isDigit(w[0]) {
			house = true
		}
		// The token is over the words alone: "Baker Street, London" and
		// "baker street london" are one address.
		if w = bytes.TrimRight(w, ",;."); len(w) == 0 {
			continue
		}
		if len(dst) > 0 {
			dst = append(dst, ' ')
		}
		for _, c := range w {
			dst = append(dst, lower(c))
		}
	}
	if !(hasDigit && words >= 2 && len(v) >= 8 || street && house) {
		return nil, false
	}
	return foldText(dst), true
}

// normMRN accepts a medical record number: 4–20 letters, digits and
// dashes with at least four digits; normalized upper-case without dashes.
func normMRN(v []byte, dst []byte) ([]byte, bool) {
	v = bytes.TrimSpace(v)
	if len(v) < 4 || len(v) > 20 {
		return nil, false
	}
	nd := 0
	for _, c := range v {
		switch {
		case isDigit(c):
			nd++
			dst = append(dst, c)
		case isAlpha(c):
			dst = append(dst, lower(c)-32)
		case c == '-':
		default:
			return nil, false
		}
	}
	return dst, nd >= 4
}

// lowerIBAN reads an IBAN written with lower-case letters (and single
// spaces or dashes between groups) and returns it compacted in capitals;
// ok is false for one in capitals, which the pass finds itself.
func lowerIBAN(v []byte, dst []byte) ([]byte, bool) {
	v = bytes.TrimSpace(v)
	if len(v) < 15 || len(v) > 42 || !isAlpha(v[0]) || !isAlpha(v[1]) {
		return nil, false
	}
	var cb [42]byte
	c := cb[:0]
	hasLower := false
	for _, ch := range v {
		switch {
		case ch-'a' < 26:
			hasLower = true
			c = append(c, ch-32)
		case isDigit(ch) || isUpper(ch):
			c = append(c, ch)
		case ch == ' ' || ch == '-':
		default:
			return nil, false
		}
	}
	l := int(ibanLength[int(c[0]-'A')*26+int(c[1]-'A')])
	if !hasLower || l == 0 || len(c) != l {
		return nil, false
	}
	iban, _, ok := matchIBAN(c, 0, l, dst)
	return iban, ok
}

// azureEmulatorKey is the storage emulator's and Azurite's account key
// (devstoreaccount1), published in Microsoft's documentation and the same
// in every installation: no credential, as AWS's documentation keys are
// none.
var azureEmulatorKey = []byte("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")

// validAzureKey: a storage account key is 64 bytes in base64 (88
// characters ending "==").
func validAzureKey(k []byte) bool {
	if len(k) != 88 || !bytes.HasSuffix(k, []byte("==")) || !diverse(k, 20) || bytes.Equal(k, azureEmulatorKey) {
		return false
	}
	var buf [66]byte
	n, err := base64.StdEncoding.Decode(buf[:], k)
	return err == nil && n == 64
}

// basicAuthPassword reads HTTP Basic credentials at the start of v,
// base64 of "user:password" (optionally after "Basic "), as Docker's
// config.json keeps them under "auth" and request logs show an
// Authorization header, and returns the password when it is one
// (validPassword) and how much of v it read.
func basicAuthPassword(v []byte) ([]byte, int, bool) {
	k := 0
	if len(v) > 6 && bytes.EqualFold(v[:6], []byte("basic ")) {
		k = 6
		for k < len(v) && v[k] == ' ' {
			k++
		}
	}
	end := k
	for end < len(v) && end-k <= 256 && (isAlnum(v[end]) || v[end] == '+' || v[end] == '/' || v[end] == '=') {
		end++
	}
	b64 := v[k:end]
	if len(b64) < 8 || len(b64) > 256 {
		return nil, 0, false
	}
	var buf [192]byte
	n, err := base64.StdEncoding.Decode(buf[:], b64)
	if err != nil {
		return nil, 0, false
	}
	user, pass, ok := bytes.Cut(buf[:n], []byte(":"))
	if !ok || len(user) == 0 || !validPassword(pass) {
		return nil, 0, false
	}
	for _, c := range user {
		if c < 0x20 || c == 0x7f {
			return nil, 0, false
		}
	}
	return bytes.Clone(pass), end, true
}

// knownCredential reports whether a value under a password or secret key
// is a credential of a known kind (STRIPE_SECRET_KEY=sk_live_…, a JWT, a
// GitHub token): the pass goes on into the value and reports it as that,
// once, rather than as a password.
func knownCredential(v []byte) bool {
	found := false
	sub := scanner{text: v, lastDOB: -1, emit: func(m Match) {
		found = found || m.Category == CategoryCredential
	}}
	sub.run()
	return found
}

// hashSchemes are the "{scheme}" prefixes of stored password hashes
// (LDAP, Spring Security, Dovecot) and of Spring Cloud Config's
// encrypted values ("{cipher}…"), compared lower-cased: where a
// password's hash or ciphertext is, not the password. ("{noop}" marks a
// plain one.)
var hashSchemes = []string{"{cipher}", "{bcrypt}", "{ssha}", "{sha}", "{sha256}", "{sha512}", "{ssha256}", "{ssha512}",
	"{md5}", "{smd5}", "{crypt}", "{pbkdf2}", "{scrypt}", "{argon2}", "{argon2id}", "{blf-crypt}", "{sha256-crypt}", "{sha512-crypt}"}

// encryptedOrHashed reports whether a lower-cased value is a hash or a
// ciphertext by its scheme prefix, or a Maven-encrypted password (base64
// in braces, "{QeZ3…=}").
func encryptedOrHashed(l []byte) bool {
	if len(l) < 3 || l[0] != '{' {
		return false
	}
	for _, h := range hashSchemes {
		if bytes.HasPrefix(l, []byte(h)) {
			return true
		}
	}
	if l[len(l)-1] != '}' || len(l) < 18 {
		return false
	}
	for _, c := range l[1 : len(l)-1] {
		if !isAlnum(c) && c != '+' && c != '/' && c != '=' {
			return false
		}
	}
	return true
}
