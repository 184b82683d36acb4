package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendRecord appends rec as encoding/json writes it (field order, omitempty,
// HTML escaping off), without reflection: agents encode every record they
// emit, and on a tree of small files the reflective encoder cost a fifth of
// the scan. TestAppendRecordAgrees and FuzzAppendRecord hold it to
// encoding/json byte for byte; a string that needs escaping goes through
// encoding/json itself, so only the plain case is written here.
func appendRecord(b []byte, r *Record) ([]byte, error) {
	var err error
	b = append(b, `{"kind":`...)
	b = appendString(b, r.Kind)
	b = append(b, `,"source":`...)
	b = appendString(b, r.Source)
	b = append(b, `,"scan_id":`...)
	b = appendString(b, r.ScanID)
	b = append(b, `,"observed_at":`...)
	if b, err = appendTime(b, r.ObservedAt); err != nil {
		return nil, err
	}
	b = optString(b, `,"agent_id":`, r.AgentID)
	b = optString(b, `,"host":`, r.Host)
	b = optString(b, `,"asset_id":`, r.AssetID)
	b = optString(b, `,"asset_type":`, r.AssetType)
	b = optString(b, `,"location":`, r.Location)
	b = optString(b, `,"owner":`, r.Owner)
	b = optInt(b, `,"size":`, r.Size)
	if b, err = optTime(b, `,"modified_at":`, r.ModifiedAt); err != nil {
		return nil, err
	}
	if len(r.Attributes) > 0 {
		b = append(b, `,"attributes":{`...)
		for i, k := range slices.Sorted(maps.Keys(r.Attributes)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, r.Attributes[k])
		}
		b = append(b, '}')
	}
	b = optString(b, `,"type":`, r.Type)
	b = optString(b, `,"category":`, r.Category)
	b = optInt(b, `,"count":`, r.Count)
	b = optInt(b, `,"distinct":`, r.Distinct)
	b = optString(b, `,"confidence":`, r.Confidence)
	b = optStrings(b, `,"samples":`, r.Samples)
	b = optStrings(b, `,"tokens":`, r.Tokens)
	b = optStrings(b, `,"where":`, r.Where)
	b = optString(b, `,"principal_id":`, r.PrincipalID)
	b = optString(b, `,"name":`, r.Name)
	b = optString(b, `,"principal_type":`, r.PrincipalType)
	b = optBoolPtr(b, `,"enabled":`, r.Enabled)
	if r.Privileged {
		b = append(b, `,"privileged":true`...)
	}
	b = optStrings(b, `,"privileged_via":`, r.PrivilegedVia)
	if b, err = optTime(b, `,"last_login":`, r.LastLogin); err != nil {
		return nil, err
	}
	if b, err = optTime(b, `,"password_last_set":`, r.PasswordLastSet); err != nil {
		return nil, err
	}
	b = optBoolPtr(b, `,"mfa":`, r.MFA)
	b = optString(b, `,"resource_id":`, r.ResourceID)
	b = optString(b, `,"resource_type":`, r.ResourceType)
	b = optString(b, `,"permission":`, r.Permission)
	b = optStrings(b, `,"via":`, r.Via)
	b = optString(b, `,"scanner":`, r.Scanner)
	if b, err = optTime(b, `,"started_at":`, r.StartedAt); err != nil {
		return nil, err
	}
	if b, err = optTime(b, `,"finished_at":`, r.FinishedAt); err != nil {
		return nil, err
	}
	b = optString(b, `,"status":`, r.Status)
	if len(r.Stats) > 0 {
		b = append(b, `,"stats":{`...)
		for i, k := range slices.Sorted(maps.Keys(r.Stats)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = strconv.AppendInt(b, r.Stats[k], 10)
		}
		b = append(b, '}')
	}
	b = optStrings(b, `,"errors":`, r.Errors)
	return append(b, '}'), nil
}

func optString(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendString(append(b, key...), v)
}

func optInt(b []byte, key string, v int64) []byte {
	if v == 0 {
		return b
	}
	return strconv.AppendInt(append(b, key...), v, 10)
}

func optBoolPtr(b []byte, key string, v *bool) []byte {
	if v == nil {
		return b
	}
	return strconv.AppendBool(append(b, key...), *v)
}

func optStrings(b []byte, key string, v []string) []byte {
	if len(v) == 0 {
		return b
	}
	b = append(append(b, key...), '[')
	for i, s := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

func optTime(b []byte, key string, t *time.Time) ([]byte, error) {
	if t == nil {
		return b, nil
	}
	return appendTime(append(b, key...), *t)
}

// appendTime is time.Time's MarshalJSON (RFC 3339 with nanoseconds; a year
// outside 0–9999 is an error).
func appendTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return nil, fmt.Errorf("json: error calling MarshalJSON for type time.Time: %w", err)
	}
	return append(b, '"'), nil
}

// appendString quotes s as encoding/json does with HTML escaping off. Plain
// text (printable ASCII but for '"' and '\\', or valid UTF-8 without the
// line and paragraph separators JSON escapes) is copied; anything else
// goes through encoding/json, whose escaping is the definition.
func appendString(b []byte, s string) []byte {
	ascii := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case plainASCII[c]:
		case c < utf8.RuneSelf:
			return appendQuoted(b, s)
		default:
			ascii = false
		}
	}
	if !ascii && !plainUTF8(s) {
		return appendQuoted(b, s)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plainASCII marks the bytes a JSON string holds as they are.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendQuoted is encoding/json's own quoting of s (HTML escaping off).
func appendQuoted(b []byte, s string) []byte {
	var q bytes.Buffer
	enc := json.NewEncoder(&q)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(q.Bytes(), []byte{'\n'})...)
}

// plainUTF8 reports whether s is valid UTF-8 without U+2028 and U+2029
// (which encoding/json writes escaped).
func plainUTF8(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || r == '\u2028' || r == '\u2029' {
			return false // RuneError: invalid, or U+FFFD itself; either way the slow path is right
		}
	}
	return true
}
