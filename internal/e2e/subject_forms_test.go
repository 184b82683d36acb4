package e2e

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/wire"
)

// TestSubjectSearchEveryForm: an agent on a German host (national numbers
// read in the German plan) scans a ';'-separated customer export (national
// phone numbers, printed IBANs) and a US HR note; a data-subject request then states each identifier in
// every form its standard allows (case, spacing, dashes, national vs
// international) and each form finds the same asset. An identifier that
// does not validate is reported beside the others' matches; a request
// with none valid is refused.
func TestSubjectSearchEveryForm(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	root := t.TempDir()
	files := map[string]string{
		"kunden/export.csv": "\ufeffname;email;phone;iban;card;ip\r\n" +
			"Jana Krüger;jana.krueger@example.de;030 12345678;DE89 3704 0044 0532 0130 00;5555 5555 5555 4444;2001:db8::7\r\n" +
			"Jörg Weiß;joerg.weiss@example.de;0151 23456789;DE44500105175407324931;4111111111111111;85.12.7.9\r\n",
		"us/hr.txt": "Employee SSN: 123-45-6780\nNI number AB 12 34 56 C\nphone +1 (415) 555-2671\naws_access_key_id = AKIA2OGYBAH6TZ6ZVW5Q\n",
	}
	writeFiles(t, root, files)
	a := s.newAgent([]string{root}, "    phone_region: DE\n")
	s.runAgent(a)
	require.Eventually(t, func() bool {
		var page findingsPage
		return s.get("/api/v1/findings", &page) == 200 && page.Total == 9
	}, 30*time.Second, 100*time.Millisecond)
	s.waitIndexed(2)

	const csvFile, hrFile = "kunden/export.csv", "us/hr.txt"
	type form struct{ typ, value, region, want string }
	forms := []form{
		{"iban", "DE89370400440532013000", "", csvFile}, {"iban", "de89370400440532013000", "", csvFile},
		{"iban", "de89 3704 0044 0532 0130 00", "", csvFile}, {"iban", "IBAN DE89 3704 0044 0532 0130 00", "", csvFile},
		{"phone_number", "+49 30 12345678", "", csvFile}, {"phone_number", "+493012345678", "", csvFile},
		{"phone_number", "0049 30 1234 5678", "", csvFile}, {"phone_number", "+49 (0)30 12345678", "", csvFile},
		{"phone_number", "030 12345678", "DE", csvFile}, {"phone_number", "(030) 123 456 78", "de", csvFile},
		{"phone_number", "030 12345678", "", csvFile}, // national, no region: every plan where it is valid
		{"phone_number", "+49 151 23456789", "", csvFile}, {"phone_number", "0151 23456789", "DE", csvFile},
		{"phone_number", "+1 415 555 2671", "", hrFile}, {"phone_number", "(415) 555-2671", "US", hrFile},
		{"phone_number", "415.555.2671", "", hrFile},
		{"email", "Jana.Krueger@Example.DE", "", csvFile}, {"email", "mailto:jana.krueger@example.de", "", csvFile},
		{"email", " <JANA.KRUEGER@EXAMPLE.DE> ", "", csvFile},
		{"credit_card", "5555555555554444", "", csvFile}, {"credit_card", "5555-5555-5555-4444", "", csvFile},
		{"credit_card", "5555 5555 5555 4444", "", csvFile},
		{"ip_address", "2001:DB8:0:0:0:0:0:7", "", csvFile}, {"ip_address", "[2001:db8::0007]", "", csvFile},
		{"us_ssn", "123-45-6780", "", hrFile}, {"us_ssn", "123 45 6780", "", hrFile}, {"us_ssn", "123456780", "", hrFile},
		{"uk_nino", "AB123456C", "", hrFile}, {"uk_nino", "ab 12 34 56 c", "", hrFile},
		{"aws_access_key", "AKIA2OGYBAH6TZ6ZVW5Q", "", hrFile}, {"aws_access_key", "akia2ogybah6tz6zvw5q", "", hrFile},
	}
	invalid := []form{
		{"credit_card", "4111 1111 1111 1112", "", ""},  // fails Luhn
		{"iban", "DE89 3704 0044 0532 0130 01", "", ""}, // fails mod 97
		{"phone_number", "030 12345678", "US", ""},      // not a number in the US plan
		{"email", "jana.krueger", "", ""},
	}
	ids := make([]map[string]string, 0, len(forms)+len(invalid))
	for _, f := range append(append([]form{}, forms...), invalid...) {
		id := map[string]string{"type": f.typ, "value": f.value}
		if f.region != "" {
			id["region"] = f.region
		}
		ids = append(ids, id)
	}
	body, err := json.Marshal(map[string]any{"identifiers": ids})
	require.NoError(t, err)
	status, answer := s.post("/api/v1/subjects/search", string(body))
	require.Equal(t, 200, status, answer)
	var res struct {
		Matches []struct {
			Identifiers []int  `json:"identifiers"`
			Location    string `json:"location"`
			Type        string `json:"type"`
		} `json:"matches"`
		Invalid []struct {
			Index  int    `json:"index"`
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"invalid"`
	}
	require.NoError(t, json.Unmarshal([]byte(answer), &res))
	found := map[int][]string{}
	for _, m := range res.Matches {
		for _, i := range m.Identifiers {
			found[i] = append(found[i], strings.TrimPrefix(m.Location, wire.FileLocation(root)+"/")+" "+m.Type)
		}
	}
	for i, f := range forms {
		sort.Strings(found[i])
		require.Equal(t, []string{f.want + " " + f.typ}, found[i], "identifiers[%d]: %s %q region %q", i, f.typ, f.value, f.region)
	}
	var gotInvalid []string
	for _, inv := range res.Invalid {
		gotInvalid = append(gotInvalid, fmt.Sprintf("%d %s", inv.Index, inv.Type))
		require.NotEmpty(t, inv.Reason)
		require.Empty(t, found[inv.Index])
	}
	var wantInvalid []string
	for i, f := range invalid {
		wantInvalid = append(wantInvalid, fmt.Sprintf("%d %s", len(forms)+i, f.typ))
	}
	require.Equal(t, wantInvalid, gotInvalid)
	for _, f := range append(forms, invalid...) {
		require.NotContains(t, answer, f.value, "the answer never echoes an identifier")
	}

	// Nothing valid: nothing to search, refused with every reason counted.
	status, answer = s.post("/api/v1/subjects/search", `{"identifiers":[{"type":"iban","value":"DE00 0000"},{"type":"us_ssn","value":"666-12-3456"}]}`)
	require.Equal(t, 400, status, answer)
	require.Contains(t, answer, "identifiers[0] is not a valid iban")
	require.Contains(t, answer, "1 more identifiers are invalid and nothing was searched")
	require.NotContains(t, answer, "666-12-3456")
}
