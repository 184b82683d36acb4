package pii

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"

	"github.com/sightline-dev/sightline/internal/wire"
)

// Custom detectors: identifiers an organisation defines for itself
// (employee and customer numbers, project code names), each an RE2
// pattern or a dictionary, with an optional checksum and context words.
// Definitions are untrusted (they come from the collector's API, a policy
// or a file), so ParseDefinitions bounds everything before it compiles:
// RE2 runs in time linear in the text, a pattern is at most
// MaxPatternBytes, a dictionary at most MaxDictionaryTerms terms, and a
// Detect call reports at most MaxCustomMatches matches per detector.

// Bounds of a definition set.
const (
	MaxDefinitions     = 50
	MaxPatternBytes    = 512
	MaxDictionaryTerms = 1000
	MaxTermBytes       = 64
	MaxTermWords       = 4
	MaxContextWords    = 32
	MaxContextWindow   = 512
	DefaultWindow      = 64
	MaxCustomMatches   = 1000
	// MaxMatchBytes bounds one match: longer ones are not identifiers.
	MaxMatchBytes = 128
	// MaxPatternInsts bounds the program a pattern compiles to. RE2 runs
	// in time linear in the text, but the factor is the program's size:
	// 257 bytes of `\w{1000}` repeated compile to 32,000 instructions and
	// took 27 s of a core over 64 KiB, and every agent runs a detector over
	// every file it reads. Real identifier patterns compile to a few dozen
	// (an IBAN's, 62). Checked here, so the collector's API, a policy and
	// an agent's own detectors_file are held to it alike.
	MaxPatternInsts = 256
)

// Checksums a definition may require: over the match's digits (letters
// and separators dropped), mod97_10 over its letters and digits.
const (
	ChecksumLuhn     = "luhn"        // ISO/IEC 7812 (cards, IMEI, many customer numbers)
	ChecksumMod97    = "mod97_10"    // ISO 7064 MOD 97-10: remainder 1, letters A=10…Z=35 (IBAN after its rotation, LEI)
	ChecksumMod11_10 = "mod11_10"    // ISO 7064 MOD 11,10: the last digit checks the rest (German tax id, Croatian OIB)
	ChecksumVerhoeff = "verhoeff"    // Verhoeff's dihedral check (Aadhaar)
	ChecksumElevenT  = "elevenproef" // the 11-test: weights n…2 and −1 on the last digit, sum mod 11 = 0 (Dutch BSN, bank numbers)
)

// Definition is one custom detector as an admin writes it (JSON or YAML).
type Definition struct {
	// ID is the finding type it reports: lower-case letters, digits and
	// _, starting with a letter, 3–63 bytes, not a built-in type.
	ID       string `json:"id" yaml:"id"`
	Category string `json:"category" yaml:"category"`
	// Exactly one of Pattern (RE2 syntax; the whole match is the value)
	// and Dictionary (terms matched case-insensitively on word
	// boundaries, at most MaxTermWords words each).
	Pattern    string   `json:"pattern,omitempty" yaml:"pattern,omitempty"`
	Dictionary []string `json:"dictionary,omitempty" yaml:"dictionary,omitempty"`
	// Checksum, when set, must pass for a match to count.
	Checksum string `json:"checksum,omitempty" yaml:"checksum,omitempty"`
	// ContextWords, when set, make a match count only when one of them
	// (case-insensitive) ends within ContextWindow bytes before it, or
	// names the field (CSV column, JSON key) it is in.
	ContextWords  []string `json:"context_words,omitempty" yaml:"context_words,omitempty"`
	ContextWindow int      `json:"context_window,omitempty" yaml:"context_window,omitempty"`
	// Confidence reported for a match: low, medium (default) or high.
	Confidence string `json:"confidence,omitempty" yaml:"confidence,omitempty"`
}

// DefinitionError is a definition that is refused, with the field.
type DefinitionError struct {
	Field, Msg string
}

func (e *DefinitionError) Error() string { return e.Field + ": " + e.Msg }

// ErrDefinition matches every *DefinitionError with errors.Is.
var ErrDefinition = errors.New("invalid detector definition")

func (e *DefinitionError) Unwrap() error { return ErrDefinition }

var defID = regexp.MustCompile(`^[a-z][a-z0-9_]{2,62}$`)

// builtIn are the types the default detector reports; a custom detector
// may not speak for them (a custom "email" would mix into their counts).
var builtIn = map[string]bool{
	TypeEmail: true, TypeCreditCard: true, TypeUSSSN: true, TypeIBAN: true, TypeUKNINO: true, TypeIPAddress: true,
	TypeAWSAccessKey: true, TypePrivateKey: true, TypePhoneNumber: true, TypeDateOfBirth: true,
}

// Check validates one definition, naming the first wrong field, and
// returns it normalised (terms and context words lower-cased, defaults
// filled).
func (d Definition) Check() (Definition, error) {
	bad := func(f, msg string) (Definition, error) { return Definition{}, &DefinitionError{Field: f, Msg: msg} }
	if !defID.MatchString(d.ID) {
		return bad("id", "use 3-63 lower-case letters, digits and _, starting with a letter (e.g. employee_id)")
	}
	if builtIn[d.ID] {
		return bad("id", fmt.Sprintf("%q is a built-in type; name your detector for what it finds (e.g. employee_id)", d.ID))
	}
	if !wire.KnownCategory(d.Category) {
		return bad("category", "one of contact, financial, government_id, personal, network, credential, health")
	}
	switch {
	case d.Pattern == "" && len(d.Dictionary) == 0:
		return bad("pattern", "give a pattern (RE2) or a dictionary")
	case d.Pattern != "" && len(d.Dictionary) > 0:
		return bad("pattern", "give a pattern or a dictionary, not both")
	}
	if d.Pattern != "" {
		if len(d.Pattern) > MaxPatternBytes {
			return bad("pattern", fmt.Sprintf("at most %d bytes", MaxPatternBytes))
		}
		re, err := syntax.Parse(d.Pattern, syntax.Perl)
		if err != nil {
			return bad("pattern", "not RE2 syntax: "+err.Error())
		}
		if min := minLen(re); min < 2 {
			return bad("pattern", "matches fewer than 2 characters (the empty string, or one character): anchor it to the identifier's shape")
		}
		prog, err := syntax.Compile(re.Simplify())
		if err != nil {
			return bad("pattern", "not RE2 syntax: "+err.Error())
		}
		if n := len(prog.Inst); n > MaxPatternInsts {
			return bad("pattern", fmt.Sprintf("compiles to %d instructions, at most %d: bound repetitions ({n,m}) to the identifier's length", n, MaxPatternInsts))
		}
	}
	if len(d.Dictionary) > MaxDictionaryTerms {
		return bad("dictionary", fmt.Sprintf("at most %d terms", MaxDictionaryTerms))
	}
	terms := make([]string, 0, len(d.Dictionary))
	seen := map[string]bool{}
	for i, t := range d.Dictionary {
		n := normTerm(t)
		f := fmt.Sprintf("dictionary[%d]", i)
		switch {
		case len(t) > MaxTermBytes:
			return bad(f, fmt.Sprintf("at most %d bytes", MaxTermBytes))
		case len(n) < 2:
			return bad(f, "a term needs at least 2 letters or digits")
		case strings.Count(n, " ")+1 > MaxTermWords:
			return bad(f, fmt.Sprintf("at most %d words", MaxTermWords))
		}
		if !seen[n] {
			seen[n] = true
			terms = append(terms, n)
		}
	}
	sort.Strings(terms)
	if len(d.Dictionary) > 0 {
		d.Dictionary = terms
	}
	if d.Checksum != "" && checksums[d.Checksum] == nil {
		return bad("checksum", "one of luhn, mod97_10, mod11_10, verhoeff, elevenproef (or leave it out)")
	}
	if len(d.ContextWords) > MaxContextWords {
		return bad("context_words", fmt.Sprintf("at most %d words", MaxContextWords))
	}
	words := make([]string, 0, len(d.ContextWords))
	for i, w := range d.ContextWords {
		w = strings.ToLower(strings.TrimSpace(w))
		if len(w) < 2 || len(w) > MaxTermBytes {
			return bad(fmt.Sprintf("context_words[%d]", i), fmt.Sprintf("2 to %d bytes", MaxTermBytes))
		}
		words = append(words, w)
	}
	if len(words) > 0 {
		d.ContextWords = words
	} else {
		d.ContextWords = nil
	}
	switch {
	case d.ContextWindow < 0 || d.ContextWindow > MaxContextWindow:
		return bad("context_window", fmt.Sprintf("between 1 and %d bytes (0: %d)", MaxContextWindow, DefaultWindow))
	case d.ContextWindow == 0:
		d.ContextWindow = DefaultWindow
	}
	switch d.Confidence {
	case "":
		d.Confidence = Medium
	case Low, Medium, High:
	default:
		return bad("confidence", "low, medium or high")
	}
	return d, nil
}

// literalLen is the length in bytes of a literal's runes in UTF-8.
func literalLen(rs []rune) int {
	n := 0
	for _, r := range rs {
		n += len(string(r))
	}
	return n
}

// maxMatchLen is the longest string, in bytes of ASCII digits, that the
// regular expression expr can match; -1 when unbounded or unknown.
func maxMatchLen(expr string) int {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return -1
	}
	return maxLen(re.Simplify())
}

func maxLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0
	case syntax.OpLiteral:
		return literalLen(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 4 // one rune; only digits count here, but a bound is a bound
	case syntax.OpCapture:
		return maxLen(re.Sub[0])
	case syntax.OpQuest:
		return maxLen(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		return -1
	case syntax.OpRepeat:
		m := maxLen(re.Sub[0])
		if re.Max < 0 || m < 0 {
			return -1
		}
		return m * re.Max
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			m := maxLen(s)
			if m < 0 {
				return -1
			}
			n += m
		}
		return n
	case syntax.OpAlternate:
		n := 0
		for _, s := range re.Sub {
			m := maxLen(s)
			if m < 0 {
				return -1
			}
			n = max(n, m)
		}
		return n
	}
	return -1
}

// minLen is the fewest bytes a pattern can match (a lower bound; a
// repetition's maximum is ignored).
func minLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return literalLen(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture:
		return minLen(re.Sub[0])
	case syntax.OpStar, syntax.OpQuest:
		return 0
	case syntax.OpPlus:
		return minLen(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min * minLen(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, s := range re.Sub {
			n += minLen(s)
		}
		return n
	case syntax.OpAlternate:
		m := -1
		for _, s := range re.Sub {
			if l := minLen(s); m < 0 || l < m {
				m = l
			}
		}
		return max(m, 0)
	}
	return 0 // anchors, word boundaries, empty match
}

// normTerm lower-cases a dictionary term and joins its words (runs of
// letters and digits) with single spaces, as the text is read.
func normTerm(t string) string {
	var b strings.Builder
	word := false
	for _, r := range strings.ToLower(t) {
		if r < 0x80 && !isAlnum(byte(r)) {
			word = false
			continue
		}
		if !word && b.Len() > 0 {
			b.WriteByte(' ')
		}
		word = true
		b.WriteRune(r)
	}
	return b.String()
}

// ParseDefinitions reads definitions (untrusted bytes): a JSON list, or
// an object {"detectors": [...]} as GET /api/v1/detectors/file answers;
// it checks each and the set (unique ids, at most MaxDefinitions).
func ParseDefinitions(data []byte) ([]Definition, error) {
	var ds []Definition
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var err error
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		var file struct {
			Detectors []Definition `json:"detectors"`
		}
		err = dec.Decode(&file)
		ds = file.Detectors
	} else {
		err = dec.Decode(&ds)
	}
	if err != nil {
		return nil, &DefinitionError{Field: "detectors", Msg: "must be a JSON list of detector definitions (or {\"detectors\": [...]}): " + err.Error()}
	}
	if dec.More() {
		return nil, &DefinitionError{Field: "detectors", Msg: "trailing data after the list"}
	}
	return CheckDefinitions(ds)
}

// CheckDefinitions checks a set of definitions, naming the entry.
func CheckDefinitions(ds []Definition) ([]Definition, error) {
	if len(ds) > MaxDefinitions {
		return nil, &DefinitionError{Field: "detectors", Msg: fmt.Sprintf("at most %d custom detectors", MaxDefinitions)}
	}
	out := make([]Definition, 0, len(ds))
	ids := map[string]bool{}
	for i, d := range ds {
		c, err := d.Check()
		if err != nil {
			var de *DefinitionError
			errors.As(err, &de)
			return nil, &DefinitionError{Field: fmt.Sprintf("detectors[%d].%s", i, de.Field), Msg: de.Msg}
		}
		if ids[c.ID] {
			return nil, &DefinitionError{Field: fmt.Sprintf("detectors[%d].id", i), Msg: fmt.Sprintf("%q is defined twice", c.ID)}
		}
		ids[c.ID] = true
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// DefinitionsVersion is a hash of a checked set (in id order): it goes
// into the agent's incremental-state fingerprint, so changing a
// definition makes the next scan read every file again. "" for none.
func DefinitionsVersion(ds []Definition) string {
	if len(ds) == 0 {
		return ""
	}
	b, _ := json.Marshal(ds)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// compiled is one checked definition ready to run.
type compiled struct {
	Definition
	re    *regexp.Regexp
	terms map[string]bool
	words [][]byte
	check func([]byte) bool
}

// Custom is the default detector with custom detectors after it: one
// Detector, so every scanner and format reader runs both.
type Custom struct {
	base Detector
	defs []compiled
	vers string
}

// WithCustom returns base with the checked definitions ds added; with
// none it returns base itself.
func WithCustom(base Detector, ds []Definition) (Detector, error) {
	ds, err := CheckDefinitions(ds)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return base, nil
	}
	c := &Custom{base: base, vers: DefinitionsVersion(ds)}
	for _, d := range ds {
		cd := compiled{Definition: d, check: checksums[d.Checksum]}
		if d.Pattern != "" {
			if cd.re, err = regexp.Compile(d.Pattern); err != nil {
				return nil, &DefinitionError{Field: "pattern", Msg: err.Error()} // Check parsed it: not reached
			}
		} else {
			cd.terms = make(map[string]bool, len(d.Dictionary))
			for _, t := range d.Dictionary {
				cd.terms[t] = true
			}
		}
		for _, w := range d.ContextWords {
			cd.words = append(cd.words, []byte(w))
		}
		c.defs = append(c.defs, cd)
	}
	return c, nil
}

// Version is DefinitionsVersion of the custom set.
func (c *Custom) Version() string { return c.vers }

// VersionOf says what a detector finds beyond DetectorVersion's built-in
// set, for the incremental state's fingerprint: its custom definitions'
// version and the numbering plan it reads national phone numbers in (a
// file read in another plan holds other tokens). "" for the built-in set
// with no region.
func VersionOf(d Detector) string {
	var v string
	if c, ok := d.(*Custom); ok {
		v, d = c.vers, c.base
	}
	if dd, ok := d.(defaultDetector); ok && dd.region != "" {
		if v != "" {
			v += "/"
		}
		v += "phone:" + dd.region
	}
	return v
}

// Detect runs the base detector, then each custom one.
func (c *Custom) Detect(text []byte, emit func(Match)) { c.DetectLines(text, emit) }

// DetectLines is Detect that also returns the newlines text holds
// (LineCounter).
func (c *Custom) DetectLines(text []byte, emit func(Match)) int {
	n := DetectLines(c.base, text, emit)
	c.custom(nil, text, emit)
	return n
}

// DetectField runs the base detector with the field as context, then each
// custom one, where a context word may also be the field's name.
func (c *Custom) DetectField(field, text []byte, emit func(Match)) {
	if fd, ok := c.base.(FieldDetector); ok {
		fd.DetectField(field, text, emit)
	} else {
		c.base.Detect(text, emit)
	}
	c.custom(field, text, emit)
}

func (c *Custom) custom(field, text []byte, emit func(Match)) {
	var ln lines
	for i := range c.defs {
		d := &c.defs[i]
		fieldCtx := len(d.words) > 0 && len(field) > 0 && containsAnyFold(field, d.words)
		// Prefilter: a definition with context words needs one of them in
		// the text (or the field) before its pattern runs at all.
		if len(d.words) > 0 && !fieldCtx && !containsAnyFold(text, d.words) {
			continue
		}
		n := 0
		report := func(start, end int) bool {
			v := text[start:end]
			if len(v) > MaxMatchBytes {
				return true
			}
			if len(d.words) > 0 && !fieldCtx && !customContext(text, start, d.ContextWindow, d.words) {
				return true
			}
			norm := normValue(v)
			if d.check != nil && !d.check(norm) {
				return true
			}
			emit(Match{Type: d.ID, Category: d.Category, Confidence: d.Confidence, Value: norm, Line: ln.at(text, start)})
			n++
			return n < MaxCustomMatches
		}
		if d.re != nil {
			for _, loc := range d.re.FindAllIndex(text, MaxCustomMatches*4) {
				if loc[1] > loc[0] && !report(loc[0], loc[1]) {
					break
				}
			}
			continue
		}
		d.dictionary(text, report)
	}
}

// dictionary finds the terms at word starts, trying up to MaxTermWords
// words from each.
func (d *compiled) dictionary(text []byte, report func(start, end int) bool) {
	var buf []byte
	for i := 0; i < len(text); i++ {
		if !isAlnum(text[i]) && text[i] < 0x80 || (i > 0 && (isAlnum(text[i-1]) || text[i-1] >= 0x80)) {
			continue
		}
		buf = buf[:0]
		j := i
		for w := 0; w < MaxTermWords && j < len(text); w++ {
			k := j
			for k < len(text) && (isAlnum(text[k]) || text[k] >= 0x80) {
				k++
			}
			if k == j || len(buf)+k-j > MaxTermBytes {
				break
			}
			if w > 0 {
				buf = append(buf, ' ')
			}
			for _, c := range text[j:k] {
				buf = append(buf, lower(c))
			}
			if d.terms[string(buf)] {
				if !report(i, k) {
					return
				}
				break
			}
			j = k
			for j < len(text) && (text[j] == ' ' || text[j] == '\t' || text[j] == '-' || text[j] == '_') {
				j++
			}
		}
	}
}

// normValue is what a custom match is tokenised and checked as: its
// letters and digits, upper-cased (so "e-12 345" and "E12345" are one
// value); a dictionary term keeps its words.
func normValue(v []byte) []byte {
	out := make([]byte, 0, len(v))
	for _, c := range v {
		switch {
		case isDigit(c) || isUpper(c) || c >= 0x80:
			out = append(out, c)
		case isAlpha(c):
			out = append(out, c-32)
		}
	}
	if len(out) == 0 {
		return append(out, v...)
	}
	return out
}

// customContext reports whether a context word appears in the window
// bytes before pos (across lines: a form's label may sit above its value).
func customContext(text []byte, pos, window int, words [][]byte) bool {
	return containsAnyFold(text[max(pos-window, 0):pos], words)
}

func containsAnyFold(text []byte, words [][]byte) bool {
	for _, w := range words {
		if indexFold(text, w) >= 0 {
			return true
		}
	}
	return false
}

// indexFold finds a lower-case ASCII word in text, ignoring case.
func indexFold(text, w []byte) int {
	if len(w) == 0 {
		return 0
	}
	first, up := w[0], w[0]
	if isAlpha(first) {
		up = first - 32
	}
	for i := 0; i+len(w) <= len(text); {
		j := bytes.IndexByte(text[i:], first)
		if up != first {
			if k := bytes.IndexByte(text[i:], up); k >= 0 && (j < 0 || k < j) {
				j = k
			}
		}
		if j < 0 || i+j+len(w) > len(text) {
			return -1
		}
		p := i + j
		ok := true
		for k := 1; k < len(w); k++ {
			if lower(text[p+k]) != w[k] {
				ok = false
				break
			}
		}
		if ok {
			return p
		}
		i = p + 1
	}
	return -1
}

// NormalizeCustom is the value a custom detector tokenises for an
// identifier as a person types it (its letters and digits, upper-cased),
// so the collector can compute the token agents send for it.
func NormalizeCustom(value string) (string, bool) {
	v := normValue([]byte(strings.TrimSpace(value)))
	return string(v), len(v) >= 2 && len(v) <= MaxMatchBytes
}

// IsBuiltIn reports whether typ is a type the built-in detectors report.
func IsBuiltIn(typ string) bool { return builtIn[typ] }
