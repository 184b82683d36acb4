package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func ts() time.Time { return time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC) }

func validRecords() []Record {
	t0, t1 := ts(), ts().Add(time.Minute)
	yes := true
	return []Record{
		{Kind: KindAsset, Source: SourceFS, ScanID: "s1", ObservedAt: t0, AssetID: "a1", AssetType: "file", Location: "file:///x.csv", Attributes: map[string]string{"mode": "0644"}},
		{Kind: KindPII, Source: SourceFS, ScanID: "s1", ObservedAt: t0, AssetID: "a1", Location: "file:///x.csv", Type: "email", Category: "contact", Count: 3, Distinct: 2, Confidence: ConfidenceHigh, Samples: []string{"j***@e***.com"}, Tokens: []string{strings.Repeat("ab", 16)}, Where: []string{"line 1"}},
		{Kind: KindPrincipal, Source: SourceHost, ScanID: "s1", ObservedAt: t0, PrincipalID: "p1", Name: "root", PrincipalType: "user", Enabled: &yes, Privileged: true, PrivilegedVia: []string{"uid 0"}},
		{Kind: KindEntitlement, Source: SourceHost, ScanID: "s1", ObservedAt: t0, PrincipalID: "p1", ResourceID: "a1", ResourceType: "file", Permission: "read"},
		{Kind: KindScan, Source: SourceFS, ScanID: "s1", ObservedAt: t0, Scanner: "fs", StartedAt: &t0, FinishedAt: &t1, Status: StatusOK, Stats: map[string]int64{"files": 2}},
	}
}

func TestRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	want := validRecords()
	for i := range want {
		require.NoError(t, enc.Encode(&want[i]))
	}
	require.Equal(t, len(want), bytes.Count(buf.Bytes(), []byte("\n")))

	dec := NewDecoder(&buf)
	for i := range want {
		var got Record
		require.NoError(t, dec.Decode(&got))
		require.Equal(t, want[i], got)
	}
	var rec Record
	require.ErrorIs(t, dec.Decode(&rec), io.EOF)
}

func TestDecodeErrorsNameLineAndField(t *testing.T) {
	good := `{"kind":"asset","source":"fs","scan_id":"s","observed_at":"2026-11-01T10:00:00Z","asset_id":"a","asset_type":"file","location":"file:///x"}`
	tests := []struct {
		name      string
		bad       string
		wantField string
		wantMsg   string
	}{
		{"malformed json", `{"kind":"asset",`, "", "malformed JSON"},
		{"unknown kind", strings.Replace(good, `"asset"`, `"cat"`, 1), "kind", "unknown kind"},
		{"missing kind", strings.Replace(good, `"kind":"asset",`, ``, 1), "kind", "required"},
		{"wrong type", strings.Replace(good, `"asset_id":"a"`, `"asset_id":7`, 1), "asset_id", "want a JSON string"},
		{"missing required", strings.Replace(good, `"location":"file:///x"`, `"owner":"x"`, 1), "location", "required"},
		{"bad source", strings.Replace(good, `"source":"fs"`, `"source":"ftp"`, 1), "source", "unknown source"},
		{"bad time", strings.Replace(good, `"2026-11-01T10:00:00Z"`, `"jane@example.com"`, 1), "observed_at", "RFC 3339"},
		{"time of wrong type", strings.Replace(good, `"2026-11-01T10:00:00Z"`, `12`, 1), "observed_at", "RFC 3339"},
		{"missing observed_at", strings.Replace(good, `"observed_at":"2026-11-01T10:00:00Z",`, ``, 1), "observed_at", "required"},
		{"bad pii count", `{"kind":"pii","source":"fs","scan_id":"s","observed_at":"2026-11-01T10:00:00Z","asset_id":"a","location":"l","type":"email","category":"contact","count":0}`, "count", "at least 1"},
		{"raw value as token", `{"kind":"pii","source":"fs","scan_id":"s","observed_at":"2026-11-01T10:00:00Z","asset_id":"a","location":"l","type":"email","category":"contact","count":1,"tokens":["someone@example.com"]}`, "tokens", "32 lower-case hex"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := good + "\n\n" + good + "\n" + tc.bad + "\n" + good + "\n"
			dec := NewDecoder(strings.NewReader(in))
			var rec Record
			require.NoError(t, dec.Decode(&rec))
			require.NoError(t, dec.Decode(&rec)) // blank line 2 is skipped
			err := dec.Decode(&rec)
			var le *LineError
			require.True(t, errors.As(err, &le), "got %v", err)
			require.Equal(t, 4, le.Line)
			require.Equal(t, tc.wantField, le.Field)
			require.Contains(t, le.Error(), tc.wantMsg)
		})
	}
}

func TestDecodeErrorNeverQuotesTheLine(t *testing.T) {
	for _, in := range []string{
		`{"kind":"asset","owner":123-45-6789 jane@example.com}`,
		`{"kind":"asset","observed_at":"123-45-6789 jane@example.com"}`,
		`{"kind":"asset","size":"123-45-6789 jane@example.com"}`,
	} {
		dec := NewDecoder(strings.NewReader(in))
		var rec Record
		err := dec.Decode(&rec)
		require.Error(t, err)
		require.NotContains(t, err.Error(), "jane@")
		require.NotContains(t, err.Error(), "6789")
	}
}

func TestLongLineRejected(t *testing.T) {
	long := `{"kind":"asset","owner":"` + strings.Repeat("x", MaxLineBytes) + `"}`
	dec := NewDecoder(strings.NewReader(long + "\n"))
	var rec Record
	err := dec.Decode(&rec)
	var le *LineError
	require.True(t, errors.As(err, &le))
	require.Equal(t, 1, le.Line)
	require.Contains(t, err.Error(), "longer than")
}

func TestLastLineWithoutNewline(t *testing.T) {
	var buf bytes.Buffer
	recs := validRecords()
	require.NoError(t, NewEncoder(&buf).Encode(&recs[0]))
	dec := NewDecoder(bytes.NewReader(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))))
	var rec Record
	require.NoError(t, dec.Decode(&rec))
	require.Equal(t, recs[0].AssetID, rec.AssetID)
	require.ErrorIs(t, dec.Decode(&rec), io.EOF)
}

func TestStableID(t *testing.T) {
	require.Equal(t, StableID("fs", "h", "file:///a"), StableID("fs", "h", "file:///a"))
	require.NotEqual(t, StableID("a", "bc"), StableID("ab", "c"))
	require.Len(t, StableID("x"), 32)
	require.Equal(t, "file:///tmp/a%20b.csv", FileLocation("/tmp/a b.csv"))
}

func FuzzDecode(f *testing.F) {
	var buf bytes.Buffer
	recs := validRecords()
	for i := range recs {
		require.NoError(f, NewEncoder(&buf).Encode(&recs[i]))
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"kind":"pii"}` + "\n" + `{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := NewDecoder(bytes.NewReader(data))
		for i := 0; i < 1000; i++ {
			var rec Record
			err := dec.Decode(&rec)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var le *LineError
				if !errors.As(err, &le) {
					t.Fatalf("error without a line: %v", err)
				}
				return
			}
			// Whatever decodes must validate and survive a round trip.
			require.NoError(t, rec.Validate())
			line, err := Marshal(&rec)
			require.NoError(t, err)
			var again Record
			require.NoError(t, NewDecoder(bytes.NewReader(line)).Decode(&again))
		}
	})
}

func benchBatch(b *testing.B) []byte {
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	recs := validRecords()
	pii := recs[1]
	for i := 0; i < 5000; i++ {
		pii.AssetID = StableID("fs", "h", strings.Repeat("x", i%50))
		require.NoError(b, enc.Encode(&pii))
	}
	return buf.Bytes()
}

// BenchmarkDecode is the collector's per-record cost; compare with
// BenchmarkDecodeStdlib, the same lines through encoding/json alone.
func BenchmarkDecode(b *testing.B) {
	data := benchBatch(b)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		dec := NewDecoder(bytes.NewReader(data))
		var rec Record
		for dec.Decode(&rec) == nil {
		}
	}
}

func BenchmarkDecodeStdlib(b *testing.B) {
	data := benchBatch(b)
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		for _, line := range bytes.Split(data, []byte{'\n'}) {
			var rec Record
			if len(line) > 0 {
				require.NoError(b, json.Unmarshal(line, &rec))
				require.NoError(b, rec.Validate())
			}
		}
	}
}

// FuzzDecoderAgreesWithStdlib holds the fast decoder to encoding/json's
// reading of a line: whatever Decode accepts, encoding/json accepts too,
// into the same record, so the speed never changes what a batch means.
func FuzzDecoderAgreesWithStdlib(f *testing.F) {
	recs := validRecords()
	for i := range recs {
		line, err := Marshal(&recs[i])
		require.NoError(f, err)
		f.Add(line)
	}
	f.Add([]byte(`{"kind":"pii","KIND":"asset","source":"fs","scan_id":"s","observed_at":"2026-11-01T10:00:00Z"}`))
	f.Add([]byte("{\"kind\":\"asset\",\"source\":\"fs\",\"scan_id\":\"s\",\"observed_at\":\"2026-11-01T10:00:00Z\",\"location\":\"\xff\xfe\",\"asset_id\":\"a\"}"))
	f.Add([]byte(`{"kind":"asset","source":"fs","scan_id":"s\u0000","observed_at":"2026-11-01T10:00:00Z","size":1e2}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.IndexByte(line, '\n') >= 0 {
			return // one line; the line splitting is FuzzDecode's
		}
		var fast Record
		if err := NewDecoder(bytes.NewReader(line)).Decode(&fast); err != nil {
			return
		}
		var std Record
		require.NoError(t, json.Unmarshal(bytes.TrimSpace(line), &std), "the fast decoder accepted a line encoding/json refuses")
		require.Equal(t, std, fast)
	})
}

func TestDecoderAgreesWithStdlibOnEdges(t *testing.T) {
	base := `"source":"fs","scan_id":"s","observed_at":"2026-11-01T10:00:00Z","asset_id":"a","asset_type":"file"`
	for _, line := range []string{
		`{"kind":"asset",` + base + `,"location":"file:///x"}`,
		// encoding/json matches keys case-insensitively and keeps the last of duplicates.
		`{"KIND":"asset",` + base + `,"Location":"file:///x","location":"file:///y"}`,
		// invalid UTF-8 becomes U+FFFD, as in encoding/json.
		"{\"kind\":\"asset\"," + base + ",\"location\":\"file:///\xff\"}",
		`{"kind":"asset",` + base + `,"location":"file:///\u00e9\ud83d\ude00"}`,
		`{"kind":"asset",` + base + `,"location":"file:///x","attributes":{"a":"1","a":"2"}}`,
	} {
		t.Run(line, func(t *testing.T) {
			var fast, std Record
			require.NoError(t, NewDecoder(strings.NewReader(line)).Decode(&fast))
			require.NoError(t, json.Unmarshal([]byte(line), &std))
			require.Equal(t, std, fast)
		})
	}
}

// DeriveIDs is idempotent: what it derives it derives again (the
// collector re-derives ids an agent, or a test, already derived).
func TestDeriveIDsIdempotent(t *testing.T) {
	recs := []Record{
		{Kind: KindAsset, Source: SourceFS, Host: "h", AssetID: "x", Location: "file:///a"},
		{Kind: KindPII, Source: SourceDB, Host: "pg:5432", AssetID: "x", Location: "postgres://pg:5432/d/s/t#c%23ol"},
		{Kind: KindPrincipal, Source: SourceHost, Host: "h", PrincipalID: "x", Name: "svc", PrincipalType: "service"},
		{Kind: KindPrincipal, Source: SourceLDAP, Host: "dc", PrincipalID: "x", Name: "n"},
		{Kind: KindPrincipal, Source: SourceLDAP, Host: "dc", PrincipalID: "x", Name: "n", Attributes: map[string]string{"dn": "cn=n"}},
		{Kind: KindPrincipal, Source: SourceIAM, Host: "1", PrincipalID: "x", Name: "n"},
		{Kind: KindPrincipal, Source: SourceIAM, Host: "1", PrincipalID: "x", Attributes: map[string]string{"arn": "arn:aws:iam::2:user/n"}},
		{Kind: KindPrincipal, Source: SourceDB, Host: "pg:5432", PrincipalID: "x", Name: "admin"},
		{Kind: KindPrincipal, Source: SourceGCS, Host: "p1", PrincipalID: "x", Attributes: map[string]string{"member": "user:Ann@Example.com"}},
		{Kind: KindPrincipal, Source: SourceGCS, Host: "p1", PrincipalID: "x", Name: "n"},
		{Kind: KindPrincipal, Source: SourceAzureBlob, Host: "acct", PrincipalID: "x", Name: "n"},
	}
	for i := range recs {
		require.True(t, DeriveIDs(&recs[i]), "record %d: a made-up id is replaced", i)
		require.False(t, DeriveIDs(&recs[i]), "record %d: and the derived one kept", i)
	}
	require.Equal(t, LocalPrincipalID("h", "user", "svc"), recs[2].PrincipalID, "a service account is keyed as a user")
	require.Equal(t, AssetID(SourceDB, "pg:5432", "postgres://pg:5432/d/s/t"), recs[1].AssetID, "a column's findings are its table's")
	require.Equal(t, GCSPrincipalID("user:ann@example.com"), recs[8].PrincipalID, "a Google account is the same in every project")
	require.NotEqual(t, recs[9].PrincipalID, recs[10].PrincipalID, "a record without a member stays in its source's scope")
}

// An IAM identity is derived from its ARN only within the account the
// ARN names: a made-up account's authority cannot take another account's
// identity's id, nor a bucket policy's "*" (everyone on the internet, as
// the S3 scan names it), and call it privileged or add members to it.
func TestIAMPrincipalIDStaysInItsAccount(t *testing.T) {
	for _, arn := range []string{"*", "arn:aws:iam::123:user/ann", "s3.amazonaws.com"} {
		r := Record{Kind: KindPrincipal, Source: SourceIAM, Host: "999", PrincipalID: "x", Name: "n", Attributes: map[string]string{"arn": arn}}
		DeriveIDs(&r)
		require.NotEqual(t, StableID(SourceIAM, arn), r.PrincipalID, arn)
	}
	require.Equal(t, StableID(SourceIAM, "arn:aws:iam::123:user/ann"), IAMPrincipalID("123", "arn:aws:iam::123:user/ann"), "an account's own identity keeps the id bucket policies name it by")
}

// Two locations shortened alike stay two assets: the mark holds the
// whole location's hash.
func TestFitLocationKeepsLocationsApart(t *testing.T) {
	a := "file:///x!/" + strings.Repeat("a", 3000) + "1" + strings.Repeat("b", 3000)
	b := "file:///x!/" + strings.Repeat("a", 3000) + "2" + strings.Repeat("b", 3000)
	fa, shortA := FitLocation(a)
	fb, shortB := FitLocation(b)
	require.True(t, shortA && shortB)
	require.NotEqual(t, fa, fb)
	require.NotEqual(t, AssetID(SourceFS, "h", fa), AssetID(SourceFS, "h", fb))
	again, _ := FitLocation(a)
	require.Equal(t, fa, again)
}
