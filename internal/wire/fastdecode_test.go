package wire

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fullRecord sets every field of Record (found by reflection, so a field
// added later is covered without editing this test).
func fullRecord(t *testing.T) Record {
	var r Record
	v := reflect.ValueOf(&r).Elem()
	at := time.Date(2026, 11, 1, 10, 0, 0, 123, time.FixedZone("x", 3600))
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch f.Interface().(type) {
		case string:
			f.SetString("v" + v.Type().Field(i).Name)
		case int64:
			f.SetInt(int64(i) * 1_000_000_007)
		case bool:
			f.SetBool(true)
		case time.Time:
			f.Set(reflect.ValueOf(at))
		case *time.Time:
			f.Set(reflect.ValueOf(&at))
		case *bool:
			b := i%2 == 0
			f.Set(reflect.ValueOf(&b))
		case []string:
			f.Set(reflect.ValueOf([]string{"a", "b c", "é"}))
		case map[string]string:
			f.Set(reflect.ValueOf(map[string]string{"k": "v", "k2": ""}))
		case map[string]int64:
			f.Set(reflect.ValueOf(map[string]int64{"files": 3, "neg": -2}))
		default:
			t.Fatalf("field %s: fastDecode does not know type %s", v.Type().Field(i).Name, f.Type())
		}
	}
	return r
}

// The fast path must take every field as agents write it: a field it does
// not know sends every record carrying it to the slow decoder.
func TestFastDecodeTakesWhatAgentsWrite(t *testing.T) {
	recs := append(validRecords(), fullRecord(t))
	for i := range recs {
		line, err := Marshal(&recs[i])
		require.NoError(t, err)
		line = line[:len(line)-1] // Marshal ends the line
		var fast, std Record
		require.True(t, fastDecode(line, &fast), "record %d took the slow path: %s", i, line)
		require.NoError(t, json.Unmarshal(line, &std))
		require.Equal(t, std, fast)
	}
}

func TestFastDecodeLeavesTheRestToTheGeneralDecoder(t *testing.T) {
	ok := `"kind":"asset","source":"fs","scan_id":"s","observed_at":"2026-11-01T10:00:00Z"`
	for _, line := range []string{
		`{` + ok + `,"location":"a\"b"}`,           // an escape
		`{` + ok + `,"location":null}`,             // null
		`{` + ok + `,"size":1.5}`,                  // a fraction
		`{` + ok + `,"size":1e3}`,                  // an exponent
		`{` + ok + `,"size":01}`,                   // a leading zero
		`{` + ok + `,"size":99999999999999999999}`, // overflow
		`{` + ok + `,"kind":"pii"}`,                // a repeated key
		`{` + ok + `,"Kind":"pii"}`,                // another case
		`{` + ok + `,"extra":1}`,                   // an unknown key
		`{` + ok + `,"attributes":{"a":"1","a":"2"}}`,
		`{` + ok + `,"stats":{"a":1.0}}`,
		`{` + ok + `,"tokens":["a",1]}`,
		`{` + ok + `,"location":"` + "\x01" + `"}`, // a control character
		"{" + ok + ",\"location\":\"\xff\"}",       // invalid UTF-8
		`{` + ok + `,"observed_at":"yesterday"}`,
		`{` + ok + `} x`, // trailing bytes
		`{` + ok + `,}`,
		`[` + ok + `]`,
	} {
		var r Record
		require.False(t, fastDecode([]byte(line), &r), line)
	}
}
