package content

import (
	"bytes"
	"encoding/base64"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sightline-dev/sightline/internal/pii"
)

// Record formats whose lines are "property: value" with their own
// structure, read so each value meets the detector under a field name the
// detector knows: vCard and iCalendar (folded lines, "N:family;given",
// "ADR:;;street;city;;zip"), LDIF ("attr:: base64", folded lines) and
// HL7 v2 (segments of '|' fields whose position says what they hold:
// PID-5 the patient's name, PID-7 the birth date), DICOM header dumps
// (dcmdump: "(0010,0010) PN [family^given] # 12, 1 PatientName") and
// SWIFT MT940 statements (":86:" subfields ?20…?34 glued to their codes).

// recordKind names a record format from a stream's name and first bytes.
func recordKind(name string, head []byte) string {
	head = bytes.TrimPrefix(head, utf8BOM)
	switch path.Ext(strings.ToLower(strings.TrimSuffix(strings.ToLower(name), ".gz"))) {
	case ".vcf", ".vcard":
		return "vcard"
	case ".ics", ".ical", ".ifb":
		return "ical"
	case ".ldif":
		return "ldif"
	case ".hl7":
		return "hl7"
	case ".ppk":
		return "ppk"
	case ".sta", ".mt940", ".940":
		return "mt940"
	}
	switch {
	case bytes.HasPrefix(head, []byte("BEGIN:VCARD")):
		return "vcard"
	case bytes.HasPrefix(head, []byte("BEGIN:VCALENDAR")):
		return "ical"
	case bytes.HasPrefix(head, []byte("PuTTY-User-Key-File-")):
		return "ppk"
	case bytes.HasPrefix(head, []byte("MSH|^~\\&")), bytes.HasPrefix(head, []byte("FHS|^~\\&")),
		bytes.HasPrefix(head, []byte("BHS|^~\\&")):
		return "hl7"
	case bytes.HasPrefix(head, []byte("# Dicom-File-Format")), bytes.HasPrefix(head, []byte("# Dicom-Data-Set")),
		dicomTag(head):
		return "dcmdump"
	case bytes.HasPrefix(head, []byte(":20:")), bytes.HasPrefix(head, []byte("{1:F01")):
		return "mt940"
	}
	return ""
}

// crAsNewline turns carriage returns into line feeds: HL7 v2 ends its
// segments with CR alone.
type crAsNewline struct{ r io.Reader }

func (c crAsNewline) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i := range p[:n] {
		if p[i] == '\r' {
			p[i] = '\n'
		}
	}
	return n, err
}

// records reads a vCard, iCalendar, LDIF or HL7 stream.
func (f *fileScan) records(name, kind string, r io.Reader) error {
	mr := &meteredReader{f: f, r: r}
	agg := pii.NewAggregator(f.o.Tokenizer)
	line := 0
	emit := func(field string, v []byte) {
		if len(bytes.TrimSpace(v)) == 0 {
			return
		}
		FieldDetect(f.o.Detector, field, v, func(pm pii.Match) {
			agg.AddWhere(pm, "line "+strconv.Itoa(line))
		})
	}
	var src io.Reader = mr
	if kind == "hl7" {
		src = crAsNewline{mr}
	}
	var err error
	switch kind {
	case "ppk":
		// PuTTY's key file: the private part is the base64 after
		// "Private-Lines: N" (encrypted or not, it is the key).
		left := 0
		var key []byte
		err = eachLineOf(src, func(b []byte) {
			line++
			switch {
			case left > 0:
				key = append(key, b...)
				if left--; left == 0 && len(key) > 0 {
					agg.AddWhere(pii.Match{Type: pii.TypePrivateKey, Category: pii.CategoryCredential, Confidence: pii.High,
						Value: key, Line: line}, "line "+strconv.Itoa(line))
					key = nil
				}
			case bytes.HasPrefix(b, []byte("Private-Lines:")):
				n, _ := strconv.Atoi(string(bytes.TrimSpace(b[len("Private-Lines:"):])))
				left = min(max(n, 0), 1<<10)
			default:
				emit("", b)
			}
		})
	case "dcmdump":
		err = eachLineOf(src, func(b []byte) {
			line++
			dicomLine(b, emit)
		})
	case "mt940":
		err = eachLineOf(src, func(b []byte) {
			line++
			mt940Line(b, emit)
		})
	case "hl7":
		h := hl7Reader{emit: emit}
		err = eachLineOf(src, func(b []byte) {
			line++
			h.segment(b)
		})
	default:
		// vCard, iCalendar and LDIF fold a long line: the next line
		// begins with a space (or a tab).
		var pending []byte
		start := 0
		flush := func() {
			if len(pending) > 0 {
				at := line
				line = start
				propertyLine(kind, pending, emit)
				line = at
			}
			pending = pending[:0]
		}
		err = eachLineOf(src, func(b []byte) {
			line++
			if len(b) > 0 && (b[0] == ' ' || b[0] == '\t') && len(pending) > 0 {
				if len(pending)+len(b) <= chunkSize {
					pending = append(pending, b[1:]...)
				}
				return
			}
			if kind == "vcard" && bytes.HasSuffix(pending, []byte("=")) && qpProperty(pending) {
				// vCard 2.1's quoted-printable soft line break.
				if len(pending)+len(b) <= chunkSize {
					pending = append(pending[:len(pending)-1], b...)
				}
				return
			}
			flush()
			start = line
			pending = append(pending, b...)
		})
		flush()
	}
	return f.end(name, mr, agg, err, kind, func(error) string { return "" })
}

// propertyLine reads one unfolded vCard, iCalendar or LDIF line.
func propertyLine(kind string, l []byte, emit func(string, []byte)) {
	if kind == "ldif" {
		ldifLine(l, emit)
		return
	}
	// NAME;PARAM=…;PARAM="…":VALUE, a colon inside a quoted parameter
	// being no separator.
	colon, quoted := -1, false
	for i, c := range l {
		if c == '"' {
			quoted = !quoted
		} else if c == ':' && !quoted {
			colon = i
			break
		}
	}
	if colon <= 0 {
		emit("", l)
		return
	}
	prop := l[:colon]
	if semi := bytes.IndexByte(prop, ';'); semi >= 0 {
		prop = prop[:semi]
	}
	if dot := bytes.LastIndexByte(prop, '.'); dot >= 0 { // vCard groups: item1.TEL
		prop = prop[dot+1:]
	}
	if qpProperty(l[:colon]) {
		l = append(l[:colon+1:colon+1], qpDecode(l[colon+1:])...)
	}
	val := unescapeText(l[colon+1:])
	switch strings.ToUpper(string(prop)) {
	case "N":
		// family;given;additional;prefixes;suffixes
		parts := bytes.Split(l[colon+1:], []byte(";"))
		for i, field := range []string{"family_name", "given_name", "middle_name"} {
			if i < len(parts) {
				for _, p := range bytes.Split(parts[i], []byte(",")) {
					emit(field, unescapeText(p))
				}
			}
		}
	case "ADR":
		// pobox;extended;street;locality;region;code;country, one address.
		var parts [][]byte
		for _, p := range bytes.Split(l[colon+1:], []byte(";")) {
			if p = bytes.TrimSpace(unescapeText(p)); len(p) > 0 {
				parts = append(parts, p)
			}
		}
		emit("address", bytes.Join(parts, []byte(", ")))
	case "TEL":
		emit("phone", bytes.TrimPrefix(val, []byte("tel:")))
	case "BDAY":
		emit("birthday", val)
	case "PHOTO", "LOGO", "SOUND", "KEY", "ATTACH", "UID", "PRODID":
		// Binary (base64) or identifiers.
	case "FN", "ORGANIZER", "ATTENDEE":
		// A display name (CN=, FN) names no one by structure alone.
		emit("", val)
	default:
		emit("", val)
	}
}

// unescapeText undoes vCard and iCalendar text escapes (\n, \, \; \\).
func unescapeText(v []byte) []byte {
	if bytes.IndexByte(v, '\\') < 0 {
		return v
	}
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			i++
			switch v[i] {
			case 'n', 'N':
				out = append(out, '\n')
			default:
				out = append(out, v[i])
			}
			continue
		}
		out = append(out, v[i])
	}
	return out
}

// ldifLine reads "attr: value", "attr:: base64" or "attr:< url".
func ldifLine(l []byte, emit func(string, []byte)) {
	if len(l) == 0 || l[0] == '#' {
		return
	}
	colon := bytes.IndexByte(l, ':')
	if colon <= 0 {
		emit("", l)
		return
	}
	attr := string(l[:colon])
	if semi := strings.IndexByte(attr, ';'); semi >= 0 { // cn;lang-de
		attr = attr[:semi]
	}
	val := l[colon+1:]
	switch {
	case bytes.HasPrefix(val, []byte(":")):
		dec, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(val[1:])))
		if err != nil || !utf8.Valid(dec) {
			return // binary: a photo, a certificate
		}
		val = dec
	case bytes.HasPrefix(val, []byte("<")):
		return // a URL to a file
	}
	val = bytes.TrimSpace(val)
	field := attr
	switch strings.ToLower(attr) {
	case "sn":
		field = "surname"
	case "cn", "displayname", "uid", "dn", "member", "objectclass":
		field = ""
	case "postaladdress", "homepostaladdress", "registeredaddress":
		val = bytes.ReplaceAll(val, []byte("$"), []byte(", "))
		field = "address"
	case "userpassword":
		if hashedPassword(val) {
			return // {SSHA}…: a hash, not the password
		}
		field = "password"
	}
	emit(field, val)
}

// hashedPassword reports whether an LDAP password value is a hash in
// RFC 2307 form: "{SCHEME}…".
func hashedPassword(v []byte) bool {
	if len(v) < 3 || v[0] != '{' {
		return false
	}
	e := bytes.IndexByte(v, '}')
	if e < 2 || e > 20 {
		return false
	}
	for _, c := range v[1:e] {
		if !(isASCIILetter(c) || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// qpProperty reports whether a vCard 2.1 property's parameters say its
// value is quoted-printable (ENCODING=QUOTED-PRINTABLE, or a bare
// QUOTED-PRINTABLE).
func qpProperty(l []byte) bool {
	colon := bytes.IndexByte(l, ':')
	if colon < 0 {
		colon = len(l)
	}
	return indexFold(l[:colon], "quoted-printable") >= 0
}

// dicomTag reports whether b starts with a DICOM tag as dcmdump prints
// one: "(0010,0030) DA [".
func dicomTag(b []byte) bool {
	if len(b) < 15 || b[0] != '(' || b[5] != ',' || b[10] != ')' || b[11] != ' ' || b[14] != ' ' {
		return false
	}
	for _, k := range []int{1, 2, 3, 4, 6, 7, 8, 9} {
		if !isHex(b[k]) {
			return false
		}
	}
	return isASCIILetter(b[12]) && isASCIILetter(b[13])
}

// dicomLine reads one line of a dcmdump listing: the value in brackets
// under the attribute's keyword after '#' (PatientBirthDate), a person
// name (VR PN, family^given^middle^prefix^suffix) part by part. A UID
// (VR UI) is an OID, no address or number of a person, and is skipped.
func dicomLine(l []byte, emit func(string, []byte)) {
	l = bytes.TrimLeft(l, " ")
	if !dicomTag(l) {
		emit("", l)
		return
	}
	vr := string(l[12:14])
	rest := l[15:]
	if len(rest) == 0 || rest[0] != '[' || vr == "UI" {
		return // "(no value available)", "=CTImageStorage", a UID
	}
	e := bytes.LastIndexByte(rest, ']')
	if e < 0 {
		return
	}
	v := rest[1:e]
	keyword := ""
	if h := bytes.LastIndexByte(rest[e:], '#'); h >= 0 {
		f := bytes.Fields(rest[e+h+1:])
		if len(f) > 0 {
			keyword = string(f[len(f)-1])
		}
	}
	if vr != "PN" {
		emit(keyword, v)
		return
	}
	for _, part := range bytes.Split(v, []byte("^")) {
		emit(keyword, part)
	}
}

// mt940Line reads one line of a SWIFT MT940 statement: its field tag
// (":25:", ":86:") is cut off and an ":86:" line's subfields (?20
// reference, ?31 the other party's IBAN, ?32 its name) are read one by
// one, since their codes are glued to their values.
func mt940Line(l []byte, emit func(string, []byte)) {
	if len(l) > 3 && l[0] == ':' {
		if e := bytes.IndexByte(l[1:], ':'); e > 0 && e <= 4 {
			l = l[e+2:]
		}
	}
	for len(l) > 0 {
		next := len(l)
		for k := 1; k+2 < len(l); k++ {
			if l[k] == '?' && isDigit(l[k+1]) && isDigit(l[k+2]) {
				next = k
				break
			}
		}
		part := l[:next]
		if len(part) >= 3 && part[0] == '?' && isDigit(part[1]) && isDigit(part[2]) {
			part = part[3:]
		}
		emit("", part)
		l = l[next:]
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
