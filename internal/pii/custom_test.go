package pii_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/pii"
)

func TestDefinitionCheck(t *testing.T) {
	ok := pii.Definition{ID: "employee_id", Category: "personal", Pattern: `\bE-?\d{6}\b`}
	for _, tc := range []struct {
		name  string
		edit  func(d *pii.Definition)
		field string
	}{
		{"valid", func(*pii.Definition) {}, ""},
		{"bad id", func(d *pii.Definition) { d.ID = "Employee ID" }, "id"},
		{"short id", func(d *pii.Definition) { d.ID = "e1" }, "id"},
		{"built-in id", func(d *pii.Definition) { d.ID = "email" }, "id"},
		{"bad category", func(d *pii.Definition) { d.Category = "hr" }, "category"},
		{"neither", func(d *pii.Definition) { d.Pattern = "" }, "pattern"},
		{"both", func(d *pii.Definition) { d.Dictionary = []string{"alpha"} }, "pattern"},
		{"not RE2 (backreference)", func(d *pii.Definition) { d.Pattern = `(a)\1` }, "pattern"},
		{"not RE2 (lookahead)", func(d *pii.Definition) { d.Pattern = `a(?=b)` }, "pattern"},
		{"empty match", func(d *pii.Definition) { d.Pattern = `\d*` }, "pattern"},
		{"one character", func(d *pii.Definition) { d.Pattern = `[0-9]|x*` }, "pattern"},
		{"only anchors", func(d *pii.Definition) { d.Pattern = `^$` }, "pattern"},
		{"too long", func(d *pii.Definition) { d.Pattern = strings.Repeat("a", pii.MaxPatternBytes+1) }, "pattern"},
		{"bad checksum", func(d *pii.Definition) { d.Checksum = "crc32" }, "checksum"},
		{"bad confidence", func(d *pii.Definition) { d.Confidence = "certain" }, "confidence"},
		{"window too wide", func(d *pii.Definition) { d.ContextWindow = pii.MaxContextWindow + 1 }, "context_window"},
		{"negative window", func(d *pii.Definition) { d.ContextWindow = -1 }, "context_window"},
		{"short context word", func(d *pii.Definition) { d.ContextWords = []string{"x"} }, "context_words[0]"},
		{"too many context words", func(d *pii.Definition) { d.ContextWords = make([]string, pii.MaxContextWords+1) }, "context_words"},
		{"dictionary term too short", func(d *pii.Definition) { d.Pattern, d.Dictionary = "", []string{"ok term", "-"} }, "dictionary[1]"},
		{"dictionary term too many words", func(d *pii.Definition) { d.Pattern, d.Dictionary = "", []string{"a b c d e"} }, "dictionary[0]"},
		{"dictionary too large", func(d *pii.Definition) {
			d.Pattern, d.Dictionary = "", make([]string, pii.MaxDictionaryTerms+1)
		}, "dictionary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := ok
			tc.edit(&d)
			got, err := d.Check()
			if tc.field == "" {
				require.NoError(t, err)
				require.Equal(t, pii.Medium, got.Confidence, "default confidence")
				require.Equal(t, pii.DefaultWindow, got.ContextWindow, "default window")
				return
			}
			var de *pii.DefinitionError
			require.ErrorAs(t, err, &de)
			require.Equal(t, tc.field, de.Field, err.Error())
			require.True(t, errors.Is(err, pii.ErrDefinition))
		})
	}
}

func TestDefinitionSet(t *testing.T) {
	_, err := pii.ParseDefinitions([]byte(`[{"id":"abc","category":"personal","pattern":"ab"},{"id":"abc","category":"personal","pattern":"cd"}]`))
	require.ErrorContains(t, err, "detectors[1].id")
	_, err = pii.ParseDefinitions([]byte(`[{"id":"abc","category":"personal","pattern":"ab","extra":1}]`))
	require.ErrorContains(t, err, "unknown field")
	_, err = pii.ParseDefinitions([]byte(`"x"`))
	require.ErrorContains(t, err, "JSON list")
	_, err = pii.ParseDefinitions([]byte(`{"detectors":[],"more":1}`))
	require.ErrorContains(t, err, "unknown field")
	f, err := pii.ParseDefinitions([]byte(` {"detectors":[{"id":"abc","category":"personal","pattern":"ab"}]}`))
	require.NoError(t, err)
	require.Len(t, f, 1, "the collector's file form")
	a, err := pii.ParseDefinitions([]byte(`[{"id":"bbb","category":"personal","pattern":"ab"},{"id":"aaa","category":"personal","dictionary":["Zeta Project","zeta  project"]}]`))
	require.NoError(t, err)
	require.Equal(t, "aaa", a[0].ID, "sorted by id")
	require.Equal(t, []string{"zeta project"}, a[0].Dictionary, "terms normalised and deduplicated")
	b, err := pii.ParseDefinitions([]byte(`[{"id":"aaa","category":"personal","dictionary":["zeta project"]},{"id":"bbb","category":"personal","pattern":"ab"}]`))
	require.NoError(t, err)
	require.Equal(t, pii.DefinitionsVersion(a), pii.DefinitionsVersion(b), "the version depends on the definitions, not their order")
	b[1].Pattern = "abc"
	require.NotEqual(t, pii.DefinitionsVersion(a), pii.DefinitionsVersion(b))
	require.Empty(t, pii.DefinitionsVersion(nil))
}

// detect runs a set over text and returns type -> normalised values.
func detect(t *testing.T, ds []pii.Definition, field, text string) map[string][]string {
	t.Helper()
	d, err := pii.WithCustom(pii.NewDefault(), ds)
	require.NoError(t, err)
	got := map[string][]string{}
	emit := func(m pii.Match) { got[m.Type] = append(got[m.Type], string(m.Value)) }
	if field != "" {
		d.(pii.FieldDetector).DetectField([]byte(field), []byte(text), emit)
	} else {
		d.Detect([]byte(text), emit)
	}
	return got
}

func TestCustomDetectors(t *testing.T) {
	emp := pii.Definition{ID: "employee_id", Category: "personal", Pattern: `\bE-?\d{6}\b`, ContextWords: []string{"employee", "Personalnummer"}}
	got := detect(t, []pii.Definition{emp}, "", "employee E-123456 and E654321\n"+strings.Repeat("-", pii.DefaultWindow)+"\nno context: E111111\nann@example.com")
	require.Equal(t, []string{"E123456", "E654321"}, got["employee_id"], "context within 64 bytes before; normalised")
	require.Len(t, got["email"], 1, "the built-in detectors still run")
	require.Empty(t, detect(t, []pii.Definition{emp}, "", "E123456 E654321")["employee_id"], "no context word, no match")
	require.Equal(t, []string{"E123456"}, detect(t, []pii.Definition{emp}, "personalnummer", "E123456")["employee_id"], "a field name is context")

	luhnDef := pii.Definition{ID: "member_no", Category: "financial", Pattern: `\b\d{11}\b`, Checksum: pii.ChecksumLuhn}
	require.Equal(t, []string{"79927398713"}, detect(t, []pii.Definition{luhnDef}, "", "79927398713 79927398710")["member_no"])

	dict := pii.Definition{ID: "project_code", Category: "personal", Dictionary: []string{"Blue Heron", "osprey"}}
	got = detect(t, []pii.Definition{dict}, "", "Project blue  heron, OSPREY-2, ospreys, blueheron")
	require.Equal(t, []string{"BLUEHERON", "OSPREY"}, got["project_code"], "whole words, any case and spacing")
}

func TestChecksums(t *testing.T) {
	for _, tc := range []struct {
		checksum, good, bad string
	}{
		{pii.ChecksumLuhn, "79927398713", "79927398714"},
		{pii.ChecksumMod97, "WEST12345698765432GB82", "WEST12345698765432GB83"}, // an IBAN after its rotation
		{pii.ChecksumMod11_10, "86095742719", "86095742718"},                    // German tax id (BZSt sample)
		{pii.ChecksumVerhoeff, "234123412346", "234123412347"},                  // Aadhaar sample
		{pii.ChecksumElevenT, "111222333", "111222334"},                         // Dutch BSN
	} {
		t.Run(tc.checksum, func(t *testing.T) {
			d := pii.Definition{ID: "num_id", Category: "government_id", Pattern: `\b[0-9A-Z]{9,22}\b`, Checksum: tc.checksum}
			got := detect(t, []pii.Definition{d}, "", tc.good+" "+tc.bad)
			require.Equal(t, []string{tc.good}, got["num_id"])
		})
	}
}

func TestCustomMatchesAreBounded(t *testing.T) {
	d := pii.Definition{ID: "code_id", Category: "personal", Pattern: `\bC\d{4}\b`}
	text := strings.Repeat("C1234 ", 5*pii.MaxCustomMatches)
	require.Len(t, detect(t, []pii.Definition{d}, "", text)["code_id"], pii.MaxCustomMatches)
}

func FuzzParseDefinitions(f *testing.F) {
	f.Add([]byte(`[{"id":"employee_id","category":"personal","pattern":"\\bE\\d{6}\\b","context_words":["employee"]}]`), []byte("employee E123456"))
	f.Add([]byte(`[{"id":"proj","category":"personal","dictionary":["blue heron"],"checksum":"luhn"}]`), []byte("blue heron"))
	f.Add([]byte(`[{"id":"x_y","category":"health","pattern":"(a|b)+c{2,}","checksum":"verhoeff","confidence":"high"}]`), []byte("abcc"))
	f.Fuzz(func(t *testing.T, defs, text []byte) {
		ds, err := pii.ParseDefinitions(defs)
		if err != nil {
			var de *pii.DefinitionError
			require.ErrorAs(t, err, &de)
			return
		}
		d, err := pii.WithCustom(pii.NewDefault(), ds)
		require.NoError(t, err, "a parsed set compiles")
		n := map[string]int{}
		d.Detect(text, func(m pii.Match) {
			n[m.Type]++
			require.NotEmpty(t, m.Value)
			require.LessOrEqual(t, len(m.Value), pii.MaxMatchBytes)
		})
		for _, c := range ds {
			require.LessOrEqual(t, n[c.ID], pii.MaxCustomMatches)
		}
	})
}

// TestCostlyPatternRefusedEverywhere: the program-size bound is in Check,
// so definitions an agent reads from its own detectors_file (through
// ParseDefinitions) are held to it as the collector's API is.
func TestCostlyPatternRefusedEverywhere(t *testing.T) {
	costly := pii.Definition{ID: "costly", Category: "personal", Pattern: strings.Repeat(`\w{1000}`, 32) + "!"}
	_, err := costly.Check()
	require.ErrorContains(t, err, "pattern: compiles to")
	data, err := json.Marshal([]pii.Definition{costly})
	require.NoError(t, err)
	_, err = pii.ParseDefinitions(data)
	require.ErrorContains(t, err, "compiles to")
	ok := pii.Definition{ID: "iban_like", Category: "financial", Pattern: `\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}(?: ?[A-Z0-9]{1,3})?\b`}
	_, err = ok.Check()
	require.NoError(t, err)
}
