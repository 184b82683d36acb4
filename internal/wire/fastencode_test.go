package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// reference is what encoding/json writes for rec: the definition
// appendRecord is held to.
func reference(t testing.TB, rec *Record) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(rec))
	return b.Bytes()
}

func TestAppendRecordAgrees(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 11, 12, 123456789, time.UTC)
	local := time.Date(1999, 1, 2, 3, 4, 5, 0, time.FixedZone("X", -5*3600-30*60))
	yes, no := true, false
	for _, rec := range []Record{
		{},
		{Kind: KindPII, Source: "fs", ScanID: "s1", ObservedAt: at, AgentID: "a", Host: "h", AssetID: "id", AssetType: "file",
			Location: "/srv/a b/\"q\"\\<x>&y", Owner: "root", Size: 42, ModifiedAt: &local,
			Attributes: map[string]string{"z": "1", "a": "é", "m": "\u2028", "b": "\x01\t\n\r\b\f"},
			Type:       "email", Category: "contact", Count: 3, Distinct: -1, Confidence: "high",
			Samples: []string{"a***@example.com", ""}, Tokens: []string{"00ff"}, Where: []string{"p. 1"}},
		{Kind: KindPrincipal, PrincipalID: "p", Name: "Jürgen \xff bad", PrincipalType: "user", Enabled: &no, Privileged: true,
			PrivilegedVia: []string{"sudo"}, LastLogin: &at, PasswordLastSet: &local, MFA: &yes},
		{Kind: KindEntitlement, ResourceID: "r", ResourceType: "file", Permission: "read", Via: []string{"group:x", "\u2029"}},
		{Kind: KindScan, Scanner: "fs", StartedAt: &at, FinishedAt: &at, Status: "partial",
			Stats: map[string]int64{"files": 10, "bytes": -3, "": 0}, Errors: []string{"a \"b\" \\ c", "\ufffd"}},
		{Attributes: map[string]string{}, Stats: map[string]int64{}, Samples: []string{}, Enabled: &yes},
	} {
		got, err := Marshal(&rec)
		require.NoError(t, err)
		require.Equal(t, string(reference(t, &rec)), string(got))
	}
	// A year encoding/json refuses is refused.
	bad := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err := Marshal(&Record{Kind: KindScan, ObservedAt: bad})
	require.ErrorContains(t, err, "encoding scan record")
	_, err = json.Marshal(&Record{ObservedAt: bad})
	require.Error(t, err)
}

func FuzzAppendRecord(f *testing.F) {
	f.Add("pii", "/srv/x", "a@b.c", "k", "v", int64(3), int64(1764547200), true)
	f.Add("\x00\"\\", "\u2028<>&", "\xff\xfe", "", "\x7f", int64(-1), int64(-62135596800), false)
	f.Fuzz(func(t *testing.T, kind, loc, sample, key, val string, n, sec int64, flag bool) {
		at := time.Unix(sec%(1<<34), n%1e9).UTC()
		rec := Record{Kind: kind, Location: loc, ObservedAt: at, Samples: []string{sample, key}, Count: n,
			Attributes: map[string]string{key: val, val: key}, Stats: map[string]int64{key: n}, Privileged: flag}
		if flag {
			rec.ModifiedAt, rec.MFA = &at, &flag
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		wantErr := enc.Encode(&rec)
		got, err := Marshal(&rec)
		if wantErr != nil {
			require.Error(t, err)
			return
		}
		require.NoError(t, err)
		require.Equal(t, want.String(), string(got))
	})
}

// Every field of Record is written: a field added to Record and not to
// appendRecord fails here (each field is set, by reflection, to a value
// that is not its zero).
func TestAppendRecordWritesEveryField(t *testing.T) {
	var rec Record
	v := reflect.ValueOf(&rec).Elem()
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	yes := true
	for i := range v.NumField() {
		f := v.Field(i)
		switch p := f.Addr().Interface().(type) {
		case *string:
			*p = v.Type().Field(i).Name
		case *int64:
			*p = int64(i + 1)
		case *bool:
			*p = true
		case *time.Time:
			*p = at
		case **time.Time:
			*p = &at
		case **bool:
			*p = &yes
		case *[]string:
			*p = []string{v.Type().Field(i).Name}
		case *map[string]string:
			*p = map[string]string{"k": v.Type().Field(i).Name}
		case *map[string]int64:
			*p = map[string]int64{"k": int64(i)}
		default:
			t.Fatalf("field %s of type %s: teach this test and appendRecord about it", v.Type().Field(i).Name, f.Type())
		}
	}
	got, err := Marshal(&rec)
	require.NoError(t, err)
	require.Equal(t, string(reference(t, &rec)), string(got))
}
