package records

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/datamap"
)

func TestInputCheck(t *testing.T) {
	ok := Input{Purpose: "payroll", LegalBasis: "contract", Transfers: []Transfer{{"US", "standard_contractual_clauses"}}}
	with := func(f func(*Input)) Input { c := ok; f(&c); return c }
	tests := []struct {
		name string
		in   Input
		want string // "" when valid
	}{
		{"valid", ok, ""},
		{"every legal basis of Art. 6", with(func(in *Input) { in.LegalBasis = "public_task" }), ""},
		{"no purpose", with(func(in *Input) { in.Purpose = "  " }), "purpose is required"},
		{"unknown basis", with(func(in *Input) { in.LegalBasis = "consent " }), "legal_basis must be one of"},
		{"country name", with(func(in *Input) { in.Transfers = []Transfer{{"USA", "certification"}} }), "transfers[0].country"},
		{"no safeguard", with(func(in *Input) { in.Transfers = []Transfer{{"US", ""}} }), "transfers[0].safeguard"},
		{"empty recipient", with(func(in *Input) { in.Recipients = []string{""} }), "recipients[0]"},
		{"long owner", with(func(in *Input) { in.Owner = strings.Repeat("x", maxShort+1) }), "owner must be"},
		{"invalid UTF-8", with(func(in *Input) { in.Retention = "\xff" }), "retention must be"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.in.check()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalid)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestSystemID(t *testing.T) {
	require.Equal(t, "fs:web-1", SystemID(datamap.System{System: "web-1", Source: "fs"}))
	require.Equal(t, "s3:hr-exports", SystemID(datamap.System{System: "s3://hr-exports", Source: "s3"}))
	for _, bad := range []string{"web-1", "fs:", ":web-1", "fs:a/b", "fs:a b", "FS:web-1", strings.Repeat("a", 301) + ":x"} {
		require.ErrorIs(t, CheckSystem(bad), ErrInvalid, bad)
	}
	require.NoError(t, CheckSystem("postgres:db-1.example.org:5432"))
}

func TestReportEscapes(t *testing.T) {
	var b bytes.Buffer
	e := Entry{System: "saas:x", Record: &Record{Purpose: `<img src=x onerror=alert(1)>`, Recipients: []string{"<b>"}}}
	require.NoError(t, Report(&b, []Entry{e, {System: "fs:web-1", Discovered: &datamap.System{Categories: []string{"contact"}}}},
		time.Unix(0, 0), time.Unix(0, 0)))
	out := b.String()
	require.NotContains(t, out, "<img")
	require.NotContains(t, out, "<b>")
	require.Contains(t, out, "&lt;img src=x onerror=alert(1)&gt;")
	require.Contains(t, out, "fs:web-1 — no record of processing yet")
	require.Contains(t, out, "1 of 2 systems have no record yet")
}

// Every system the data map may name has an id the records routes take:
// object-store containers of every store, hosts of every source.
func TestSystemIDsAreAccepted(t *testing.T) {
	for _, tc := range []struct {
		sys  datamap.System
		want string
	}{
		{datamap.System{Source: "fs", System: "web-1"}, "fs:web-1"},
		{datamap.System{Source: "s3", System: "s3://corp-data"}, "s3:corp-data"},
		{datamap.System{Source: "gcs", System: "gs://corp-data"}, "gcs:corp-data"},
		{datamap.System{Source: "azblob", System: "azblob://acct/reports"}, "azblob:acct:reports"},
		{datamap.System{Source: "smb", System: "files.corp.example"}, "smb:files.corp.example"},
		{datamap.System{Source: "ldap", System: "dc 1\\corp"}, "ldap:dc_1_corp"},
		{datamap.System{Source: "fs", System: ""}, "fs:_"},
	} {
		id := SystemID(tc.sys)
		require.Equal(t, tc.want, id)
		require.NoError(t, CheckSystem(id), id)
	}
}
