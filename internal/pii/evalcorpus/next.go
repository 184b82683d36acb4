package evalcorpus

import (
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"strings"
)

// NextTypes are the types of pii-types.md's "Next" table and the token
// credentials, in the order the generator picks them.
var NextTypes = []string{"de_tax_id", "fr_nir", "es_dni", "it_fiscal_code", "nl_bsn", "in_aadhaar", "passport_number",
	"person_name", "postal_address", "health_record", "password", "github_token", "gitlab_token", "slack_token",
	"stripe_key", "gcp_service_account_key", "azure_storage_key", "jwt"}

// Every value below is computed with the identifier's real algorithm from
// random digits: the generator holds no answers.

// positiveNext is positive for NextTypes: each id in its written forms
// (plain, with separators), after context words in English, German,
// French, Spanish, Italian and Dutch, and as key/value pairs the way
// config files, JSON and logs hold them.
func positiveNext(r *rand.Rand, typ string) (line, value string, also []string) {
	ctx := func(words ...string) string { return pick(r, words...) }
	switch typ {
	case "de_tax_id":
		v := taxID(r)
		shown := v
		if r.IntN(2) == 0 {
			shown = v[:2] + " " + v[2:5] + " " + v[5:8] + " " + v[8:]
		}
		return ctx("Steuer-IdNr.: ", "steuerliche Identifikationsnummer ", "German tax ID ", "tax identification number: ",
			"identifiant fiscal allemand ", "número de identificación fiscal alemán ", "codice fiscale tedesco ",
			"Duits fiscaal nummer ", `"steuer_id": "`) + shown, v, nil
	case "fr_nir":
		v := nir(r)
		shown := v
		if r.IntN(2) == 0 {
			shown = v[:1] + " " + v[1:3] + " " + v[3:5] + " " + v[5:7] + " " + v[7:10] + " " + v[10:13] + " " + v[13:]
		}
		return ctx("numéro de sécurité sociale ", "NIR: ", "n° INSEE ", "French social security number ",
			"französische Sozialversicherungsnummer ", "número de la seguridad social francesa ",
			"numero di previdenza francese ", "Frans sofinummer ", "secu=") + shown, v, nil
	case "es_dni":
		v, shown := dni(r)
		return ctx("DNI ", "NIE: ", "documento nacional de identidad ", "Spanish ID card ", "spanischer Ausweis ",
			"pièce d'identité espagnole ", "documento d'identità spagnolo ", "Spaans identiteitsbewijs ", "id=") + shown, v, nil
	case "it_fiscal_code":
		v := fiscalCode(r)
		return ctx("Codice fiscale: ", "CF ", "Italian tax code ", "italienische Steuernummer ", "code fiscal italien ",
			"código fiscal italiano ", "Italiaans fiscaal nummer ", "cf=") + v, v, nil
	case "nl_bsn":
		v := bsn(r)
		shown := v
		if r.IntN(3) == 0 {
			shown = v[:3] + " " + v[3:6] + " " + v[6:]
		}
		return ctx("BSN ", "burgerservicenummer: ", "citizen service number ", "Bürgerservicenummer ",
			"numéro de service citoyen (BSN) ", "número BSN ", "numero BSN ", "sofinummer ", `"bsn": "`) + shown, v, nil
	case "in_aadhaar":
		v := aadhaar(r)
		shown := v[:4] + " " + v[4:8] + " " + v[8:]
		if r.IntN(3) == 0 {
			shown = v
		}
		return ctx("Aadhaar ", "Aadhaar-Nummer ", "numéro Aadhaar ", "número Aadhaar ", "numero Aadhaar ",
			"Aadhaar-nummer ", "UIDAI no. ") + shown, v, nil
	case "passport_number":
		v := passport(r)
		return ctx("passport no. ", "Reisepass-Nr. ", "numéro de passeport ", "número de pasaporte ",
			"numero di passaporto ", "paspoortnummer ", "Passport: ") + v, v, nil
	case "person_name":
		first, last := pick(r, "Anna", "Lukas", "Chloé", "José", "Giulia", "Daan", "Omar", "Priya"),
			pick(r, "Berg", "Müller", "Dupont", "García", "Rossi", "de Vries", "Chen", "O'Neil")
		switch r.IntN(6) {
		case 0:
			return "first_name: " + first, first, nil
		case 1:
			return `{"surname": "` + last + `", "active": true}`, last, nil
		case 2:
			return "Nachname=" + last, last, nil
		case 3:
			return pick(r, "nom_de_famille: ", "apellidos: ", "cognome: ", "achternaam: ") + last, last, nil
		case 4:
			return `full_name = "` + first + " " + last + `"`, first + " " + last, nil
		default:
			return "customer name: " + first + " " + last, first + " " + last, nil
		}
	case "postal_address":
		n := 1 + r.IntN(199)
		a := pick(r,
			fmt.Sprintf("%d Main Street, Springfield, IL %05d", n, 10000+r.IntN(89999)),
			fmt.Sprintf("Hauptstraße %d, %05d Berlin", n, 10000+r.IntN(89999)),
			fmt.Sprintf("%d rue de la Paix, 750%02d Paris", n, 1+r.IntN(20)),
			fmt.Sprintf("Calle Mayor %d, 280%02d Madrid", n, 1+r.IntN(50)),
			fmt.Sprintf("Via Roma %d, 00%03d Roma", n, 100+r.IntN(99)),
			fmt.Sprintf("Kerkstraat %d, 1017 GC Amsterdam", n))
		key := pick(r, "address: ", "Adresse: ", "adresse postale : ", "dirección: ", "indirizzo: ", "adres: ",
			"shipping_address=", "home address: ")
		if r.IntN(3) == 0 {
			return `{"billing_address": "` + a + `"}`, a, nil
		}
		return key + a, a, nil
	case "health_record":
		if r.IntN(2) == 0 {
			code := icd(r)
			return ctx("diagnosis: ", "Diagnose ", "diagnostic CIM-10 : ", "diagnóstico: ", "diagnosi: ", "diagnose (ICD-10) ",
				"patient presented with condition ", "dx=") + code, code, nil
		}
		mrn := fmt.Sprintf("%s%07d", pick(r, "", "MR", "H-"), r.IntN(1e7))
		return ctx("MRN: ", "medical record number: ", "patient_id=", "Patientennummer: ", "numéro de dossier médical: ",
			"historia clínica: ", "cartella clinica: ", "patiëntnummer: ") + mrn, mrn, nil
	case "password":
		p := secret(r, 8+r.IntN(9))
		switch r.IntN(6) {
		case 0:
			return "password=" + p, p, nil
		case 1:
			return `"passwd": "` + p + `",`, p, nil
		case 2:
			return "DB_PASSWORD=" + p, p, nil
		case 3:
			return pick(r, "Passwort: ", "mot_de_passe = ", "contraseña: ", "wachtwoord: ") + p, p, nil
		case 4:
			return "  password: '" + p + "'", p, nil
		default:
			return "jdbc.user=app jdbc.password=" + p, p, nil
		}
	case "github_token":
		v := githubToken(r)
		if r.IntN(4) == 0 {
			v = "github_pat_" + alnum(r, 22) + "_" + alnum(r, 59)
		}
		return ctx("GITHUB_TOKEN=", "export GH_TOKEN=", "token: ", `"token": "`) + v, v, nil
	case "gitlab_token":
		v := "glpat-" + b64url(r, 20)
		return ctx("GITLAB_TOKEN=", "private-token: ", "gitlab token ") + v, v, nil
	case "slack_token":
		v := fmt.Sprintf("xoxb-%d-%d-%s", 1e10+r.Int64N(9e10), 1e10+r.Int64N(9e10), alnum(r, 24))
		if r.IntN(2) == 0 {
			v = fmt.Sprintf("xoxp-%d-%d-%d-%s", 1e10+r.Int64N(9e10), 1e10+r.Int64N(9e10), 1e10+r.Int64N(9e10), hexs(r, 32))
		}
		return ctx("SLACK_BOT_TOKEN=", "slack token: ", `"token": "`) + v, v, nil
	case "stripe_key":
		v := pick(r, "sk_live_", "rk_live_") + alnum(r, 24+r.IntN(76))
		return ctx("STRIPE_SECRET_KEY=", "stripe.api_key = '", "key: ") + v, v, nil
	case "gcp_service_account_key":
		id := hexs(r, 40)
		body := b64(r, 64)
		return fmt.Sprintf(`{"type": "service_account", "project_id": "demo-%d", "private_key_id": "%s", "private_key": "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n", "client_id": "1%020d"}`,
			r.IntN(1000), id, body, r.Int64N(1e18)), id, []string{"private_key"}
	case "azure_storage_key":
		k := base64.StdEncoding.EncodeToString(randBytes(r, 64))
		return fmt.Sprintf("DefaultEndpointsProtocol=https;AccountName=acct%d;AccountKey=%s;EndpointSuffix=core.windows.net", r.IntN(1000), k), k, nil
	case "jwt":
		v := jwt(r, pick(r, "HS256", "RS256", "ES256"), 43)
		return ctx("Authorization: Bearer ", "token=", `"id_token": "`, "session jwt ") + v, v, nil
	}
	panic("evalcorpus: no generator for type " + typ)
}

// decoyNext returns a line built to fool a shape-only matcher of the next
// types: ids that fail their checks, shapes without their context,
// placeholder passwords, unsigned JWTs, tokens with a wrong checksum.
func decoyNext(r *rand.Rand) string {
	switch r.IntN(16) {
	case 0: // Steuer-IdNr with a wrong check digit, in context
		v := taxID(r)
		return "Steuer-IdNr. " + v[:10] + string('0'+(v[10]-'0'+1+byte(r.IntN(9)))%10)
	case 1: // NIR with a wrong key
		v := nir(r)
		k := (int(v[13]-'0')*10+int(v[14]-'0'))%97 + 1
		return fmt.Sprintf("NIR %s%02d", v[:13], k)
	case 2: // DNI / NIE with a wrong letter
		v, _ := dni(r)
		w := v[len(v)-1]
		for w == v[len(v)-1] {
			w = "TRWAGMYFPDXBNJZSQVHLCKE"[r.IntN(23)]
		}
		return "DNI " + v[:len(v)-1] + string(w)
	case 3: // codice fiscale with a wrong check character
		v := fiscalCode(r)
		return "CF " + v[:15] + string('A'+(v[15]-'A'+1+byte(r.IntN(25)))%26)
	case 4: // BSN failing the 11-test, in context
		v := bsn(r)
		return "BSN " + v[:8] + string('0'+(v[8]-'0'+1+byte(r.IntN(9)))%10)
	case 5: // Aadhaar failing Verhoeff
		v := aadhaar(r)
		v = v[:11] + string('0'+(v[11]-'0'+1+byte(r.IntN(9)))%10)
		return "Aadhaar " + v[:4] + " " + v[4:8] + " " + v[8:]
	case 6: // Steuer-IdNr, BSN and Aadhaar shapes without context
		return pick(r, "invoice "+taxID(r), "customer ref "+bsn(r), "batch "+aadhaar(r))
	case 7: // passport shapes without a passport word
		return pick(r, "part no. "+passport(r), "container "+passport(r))
	case 8: // bare ICD-10 shapes without health context
		return fmt.Sprintf("%s %s", pick(r, "press key", "room", "seat", "grid cell", "route"), icd(r))
	case 9: // placeholder passwords
		return pick(r, "password=****", "password: changeme", `"password": "${DB_PASSWORD}"`, "password=<password>",
			`password: ""`, "passwd = xxxxxxxx", "DB_PASSWORD=$DB_PASSWORD", "password: {{ .Values.db.password }}",
			"if password == confirm_password:", `password = request.form["password"]`, "min_password_length=12")
	case 10: // unsigned or malformed JWTs
		return pick(r, "token="+jwt(r, "none", 0), "token="+jwt(r, "none", 43), "token="+jwt(r, "HS256", 0))
	case 11: // tokens with a wrong checksum, test keys, placeholders
		t := githubToken(r)
		last := "ab"[r.IntN(2)]
		if t[len(t)-1] == last {
			last = 'c'
		}
		return pick(r, "GITHUB_TOKEN="+t[:len(t)-1]+string(last), "STRIPE_KEY=sk_test_"+alnum(r, 24),
			"SLACK_TOKEN=xoxb-your-token-here", "glpat-xxxxxxxxxxxxxxxxxxxx")
	case 12: // structure that names machines, not people or places
		return pick(r, fmt.Sprintf("hostname: web-%02d", r.IntN(99)), "filename: report.pdf", "name: sightline-agent",
			fmt.Sprintf("bind_address: localhost:%d", 1024+r.IntN(60000)), "username: deploy",
			fmt.Sprintf("server_address: api-%d.internal", r.IntN(99)))
	case 13: // an Azure key of the wrong length
		return "AccountKey=" + base64.StdEncoding.EncodeToString(randBytes(r, 32))
	case 14: // a private_key_id outside a service-account file
		return `{"kid": "` + hexs(r, 40) + `"}`
	default: // MRN-like numbers without health context
		return fmt.Sprintf("record %07d updated", r.IntN(1e7))
	}
}

// taxID returns a valid Steuer-IdNr: ten digits, the first not 0, one
// digit twice and eight others once, and the ISO 7064 MOD 11,10 digit.
func taxID(r *rand.Rand) string {
	for {
		d := r.Perm(10)
		if d[0] == 0 {
			continue
		}
		d[1+r.IntN(9)] = d[r.IntN(10)] // one digit now twice, one missing
		counts := map[int]int{}
		for _, x := range d {
			counts[x]++
		}
		if len(counts) != 9 || d[0] == 0 {
			continue
		}
		product := 10
		var b strings.Builder
		for _, x := range d {
			b.WriteByte(byte('0' + x))
			sum := (x + product) % 10
			if sum == 0 {
				sum = 10
			}
			product = sum * 2 % 11
		}
		check := 11 - product
		if check == 10 {
			check = 0
		}
		b.WriteByte(byte('0' + check))
		return b.String()
	}
}

// nir returns a valid NIR: sex, year, month, department (2A/2B for
// Corsica one time in ten), commune, order, key = 97 − (number mod 97).
func nir(r *rand.Rand) string {
	dep := fmt.Sprintf("%02d", 1+r.IntN(95))
	if r.IntN(10) == 0 {
		dep = pick(r, "2A", "2B")
	}
	body := fmt.Sprintf("%d%02d%02d%s%03d%03d", 1+r.IntN(2), r.IntN(100), 1+r.IntN(12), dep, 1+r.IntN(999), 1+r.IntN(999))
	num := strings.NewReplacer("2A", "19", "2B", "18").Replace(body)
	rem := 0
	for _, c := range num {
		rem = (rem*10 + int(c-'0')) % 97
	}
	return fmt.Sprintf("%s%02d", body, 97-rem)
}

// dni returns a DNI (8 digits and the mod-23 letter) or a NIE (X, Y or Z
// read as 0, 1, 2, then 7 digits), normalized and as written.
func dni(r *rand.Rand) (string, string) {
	const letters = "TRWAGMYFPDXBNJZSQVHLCKE"
	if r.IntN(3) == 0 {
		p := r.IntN(3)
		n := r.IntN(1e7)
		v := fmt.Sprintf("%c%07d%c", "XYZ"[p], n, letters[(p*1e7+n)%23])
		return v, pick(r, v, v[:1]+"-"+v[1:8]+"-"+v[8:])
	}
	n := r.IntN(1e8)
	v := fmt.Sprintf("%08d%c", n, letters[n%23])
	return v, pick(r, v, v[:8]+"-"+v[8:], v[:8]+" "+v[8:])
}

// fiscalCode returns a codice fiscale with its check character, one time
// in four an omocode (digits from the right replaced by L…V).
func fiscalCode(r *rand.Rand) string {
	const cons = "BCDFGHLMNPRSTVZ"
	b := make([]byte, 0, 16)
	for i := 0; i < 6; i++ {
		b = append(b, cons[r.IntN(len(cons))])
	}
	day := 1 + r.IntN(28)
	if r.IntN(2) == 0 {
		day += 40
	}
	b = append(b, fmt.Sprintf("%02d%c%02d%c%03d", r.IntN(100), "ABCDEHLMPRST"[r.IntN(12)], day, "ABCDEFGHILMZ"[r.IntN(12)], 1+r.IntN(999))...)
	if r.IntN(4) == 0 {
		for _, k := range []int{14, 13, 12, 10, 9, 7, 6}[:1+r.IntN(3)] {
			b[k] = "LMNPQRSTUV"[b[k]-'0']
		}
	}
	odd := []int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23}
	sum := 0
	for k, c := range b {
		x := int(c - '0')
		if c >= 'A' {
			x = int(c - 'A')
		}
		if k%2 == 0 {
			sum += odd[x]
		} else {
			sum += x
		}
	}
	return string(append(b, byte('A'+sum%26)))
}

// bsn returns 9 digits passing the 11-test.
func bsn(r *rand.Rand) string {
	for {
		d := fmt.Sprintf("%08d", 10000000+r.IntN(9e7))
		sum := 0
		for i, c := range d {
			sum += (9 - i) * int(c-'0')
		}
		if c := sum % 11; c < 10 {
			return d + string(byte('0'+c))
		}
	}
}

// aadhaar returns 12 digits, the first 2–9, the last the Verhoeff check.
// Verhoeff is computed here from its definition (the dihedral group D5
// and the permutation (1 5 7 6 2 8 3 0 9 4)), not from the detector's
// tables, so the corpus checks the detector rather than agreeing with it.
func aadhaar(r *rand.Rand) string {
	mul := func(j, k int) int {
		switch {
		case j < 5 && k < 5:
			return (j + k) % 5
		case j < 5:
			return 5 + (j+k-5)%5
		case k < 5:
			return 5 + (j-5-k+5)%5
		}
		return (j - k + 5) % 5
	}
	perm := [10]int{1, 5, 7, 6, 2, 8, 3, 0, 9, 4}
	p := func(i, x int) int {
		for ; i > 0; i-- {
			x = perm[x]
		}
		return x
	}
	d := fmt.Sprintf("%d%010d", 2+r.IntN(8), r.Int64N(1e10))
	c := 0
	for i := 0; i < len(d); i++ {
		c = mul(c, p(i+1, int(d[len(d)-1-i]-'0')))
	}
	inv := c
	if c < 5 {
		inv = (5 - c) % 5
	}
	return d + string(byte('0'+inv))
}

// passport returns a number in one of the countries' shapes.
func passport(r *rand.Rand) string {
	digits := func(n int) string { return fmt.Sprintf("%0*d", n, r.Int64N(pow10(n))) }
	up := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "ABCDEFGHJKLMNPRSTUVWXYZ"[r.IntN(23)]
		}
		return string(b)
	}
	switch r.IntN(7) {
	case 0:
		return fmt.Sprintf("%d", 100000000+r.IntN(9e8)) // US, UK
	case 1:
		return up(1) + digits(7) // IN
	case 2:
		return up(2) + digits(7) // IT
	case 3:
		return up(3) + digits(6) // ES
	case 4:
		return digits(2) + up(2) + digits(5) // FR
	case 5:
		return pick(r, "C", "F", "G", "H", "J", "K") + digits(2) + up(1) + digits(2) + up(1) + digits(2) // DE
	default:
		return up(2) + digits(7) // NL
	}
}

func pow10(n int) int64 {
	p := int64(1)
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}

// icd returns an ICD-10 code: a letter, two digits, and often a subcode.
func icd(r *rand.Rand) string {
	c := fmt.Sprintf("%c%02d", "ABCDEFGHIJKLMNOPQRSTVZ"[r.IntN(22)], r.IntN(100))
	if r.IntN(3) > 0 {
		c += fmt.Sprintf(".%d", r.IntN(10))
	}
	return c
}

const alnumChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func alnum(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnumChars[r.IntN(len(alnumChars))]
	}
	return string(b)
}

func hexs(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = "0123456789abcdef"[r.IntN(16)]
	}
	return string(b)
}

func b64url(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = (alnumChars + "-_")[r.IntN(64)]
	}
	return string(b)
}

func b64(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = (alnumChars + "+/")[r.IntN(64)]
	}
	return string(b)
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

// secret returns a password of letters, digits and punctuation.
func secret(r *rand.Rand, n int) string {
	const chars = alnumChars + "!#%*+-.:?@^_~"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

// githubToken returns a classic token: prefix, 30 base62 and their CRC32
// in base62 (0-9A-Za-z), left-padded to 6.
func githubToken(r *rand.Rand) string {
	const b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	body := alnum(r, 30)
	c := crc32.ChecksumIEEE([]byte(body))
	var sum [6]byte
	for k := 5; k >= 0; k-- {
		sum[k] = b62[c%62]
		c /= 62
	}
	return pick(r, "ghp_", "gho_", "ghu_", "ghs_", "ghr_") + body + string(sum[:])
}

// jwt returns header.payload.signature with the given alg and a random
// signature of sigLen base64url characters.
func jwt(r *rand.Rand, alg string, sigLen int) string {
	enc := base64.RawURLEncoding
	h := enc.EncodeToString([]byte(fmt.Sprintf(`{"alg":"%s","typ":"JWT"}`, alg)))
	p := enc.EncodeToString([]byte(fmt.Sprintf(`{"sub":"%d","iat":%d}`, r.IntN(1e6), 1700000000+r.IntN(1e8))))
	return h + "." + p + "." + b64url(r, sigLen)
}
