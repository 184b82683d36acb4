package content

import (
	"bytes"
)

// hl7Reader reads HL7 v2 segments. A field's position says what it
// holds (HL7 v2.5 chapter 3); its components are split by the encoding
// characters MSH-2 declares. Fields without a known meaning are detected
// as text with their components joined by spaces.
type hl7Reader struct {
	emit func(field string, v []byte)
	// Encoding characters: field, component, repetition, escape,
	// subcomponent.
	fs, cs, rs, es, ss byte
}

// hl7Kind is what an HL7 field holds.
type hl7Kind uint8

const (
	hl7Text    hl7Kind = iota
	hl7Name            // XPN: family^given^middle^suffix^prefix
	hl7Doctor          // XCN: id^family^given^middle…
	hl7Address         // XAD: street^other^city^state^zip^country^type
	hl7Phone           // XTN: number^use^equipment^email^country^area^local
	hl7Birth           // TS
	hl7SSN             // ST
	hl7IDs             // CX: id^check^scheme^authority^type code
	hl7MRN             // CX of a patient
	hl7Code            // CE: code^text^coding system
)

// hl7Fields maps segment and field number to what it holds.
var hl7Fields = map[string]map[int]hl7Kind{
	"PID": {2: hl7MRN, 3: hl7IDs, 4: hl7MRN, 5: hl7Name, 6: hl7Name, 7: hl7Birth, 9: hl7Name, 11: hl7Address,
		13: hl7Phone, 14: hl7Phone, 19: hl7SSN},
	"NK1": {2: hl7Name, 4: hl7Address, 5: hl7Phone, 6: hl7Phone, 30: hl7Name, 31: hl7Phone, 32: hl7Address},
	"PV1": {7: hl7Doctor, 8: hl7Doctor, 9: hl7Doctor, 17: hl7Doctor, 52: hl7Doctor},
	"GT1": {3: hl7Name, 5: hl7Address, 6: hl7Phone, 7: hl7Phone, 8: hl7Birth, 12: hl7SSN},
	"IN1": {16: hl7Name, 18: hl7Birth, 19: hl7Address},
	"IN2": {2: hl7SSN},
	"DG1": {3: hl7Code, 16: hl7Doctor},
	"PR1": {3: hl7Code},
	"ORC": {12: hl7Doctor},
	"OBR": {16: hl7Doctor},
	"MRG": {1: hl7MRN},
}

// segment reads one segment.
func (h *hl7Reader) segment(seg []byte) {
	seg = bytes.TrimSpace(seg)
	if len(seg) < 4 {
		return
	}
	id := string(seg[:3])
	if id == "MSH" || id == "FHS" || id == "BHS" {
		h.fs = seg[3]
		h.cs, h.rs, h.es, h.ss = '^', '~', '\\', '&'
		if enc := seg[4:]; len(enc) >= 4 {
			h.cs, h.rs, h.es, h.ss = enc[0], enc[1], enc[2], enc[3]
		}
	}
	if h.fs == 0 {
		h.fs, h.cs, h.rs, h.es, h.ss = '|', '^', '~', '\\', '&'
	}
	if seg[3] != h.fs {
		h.emit("", seg)
		return
	}
	kinds := hl7Fields[id]
	for n, field := range bytes.Split(seg[4:], []byte{h.fs}) {
		num := n + 1
		if id == "MSH" || id == "FHS" || id == "BHS" {
			num++ // MSH-1 is the separator itself
			if num == 2 {
				continue
			}
		}
		for _, rep := range bytes.Split(field, []byte{h.rs}) {
			if len(rep) > 0 {
				h.field(kinds[num], rep)
			}
		}
	}
}

// field reads one repetition of a field.
func (h *hl7Reader) field(k hl7Kind, v []byte) {
	comps := bytes.Split(v, []byte{h.cs})
	comp := func(i int) []byte { // 1-based, unescaped, subcomponents joined
		if i > len(comps) {
			return nil
		}
		return h.unescape(comps[i-1])
	}
	switch k {
	case hl7Name:
		h.emit("family_name", comp(1))
		h.emit("given_name", comp(2))
		h.emit("middle_name", comp(3))
	case hl7Doctor:
		h.emit("", comp(1))
		h.emit("family_name", comp(2))
		h.emit("given_name", comp(3))
	case hl7Address:
		var parts [][]byte
		for i := 1; i <= 6 && i <= len(comps); i++ {
			if p := comp(i); len(p) > 0 {
				parts = append(parts, p)
			}
		}
		h.emit("address", bytes.Join(parts, []byte(", ")))
	case hl7Phone:
		h.emit("phone", comp(1))
		h.emit("email", comp(4))
		if len(comp(1)) == 0 && len(comp(7)) > 0 {
			h.emit("phone", bytes.Join([][]byte{comp(5), comp(6), comp(7)}, []byte(" ")))
		}
	case hl7Birth:
		h.emit("date_of_birth", comp(1))
	case hl7SSN:
		h.emit("ssn", comp(1))
	case hl7IDs, hl7MRN:
		field := "patient_id"
		if k == hl7IDs {
			switch string(bytes.ToUpper(comp(5))) {
			case "MR", "MRN", "PI", "PT", "PN":
			case "SS":
				field = "ssn"
			default:
				field = ""
			}
		}
		h.emit(field, comp(1))
	case hl7Code:
		h.emit("diagnosis_code", comp(1))
		h.emit("", comp(2))
	default:
		for i := 1; i <= len(comps); i++ {
			h.emit("", comp(i))
		}
	}
}

// unescape joins subcomponents with spaces and undoes HL7's escapes
// (\F\ \S\ \T\ \R\ \E\ for the encoding characters; others are dropped).
func (h *hl7Reader) unescape(v []byte) []byte {
	if bytes.IndexByte(v, h.es) < 0 && bytes.IndexByte(v, h.ss) < 0 {
		return v
	}
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case h.ss:
			out = append(out, ' ')
		case h.es:
			e := bytes.IndexByte(v[i+1:], h.es)
			if e < 0 {
				out = append(out, v[i+1:]...)
				return out
			}
			switch string(v[i+1 : i+1+e]) {
			case "F":
				out = append(out, h.fs)
			case "S":
				out = append(out, h.cs)
			case "T":
				out = append(out, h.ss)
			case "R":
				out = append(out, h.rs)
			case "E":
				out = append(out, h.es)
			case ".br":
				out = append(out, '\n')
			}
			i += e + 1
		default:
			out = append(out, c)
		}
	}
	return out
}
