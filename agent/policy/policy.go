// Package policy is what a scan policy is, on both sides of the wire: the
// collector validates a policy's settings with it (Check) and the agent
// applies the effective policy over its own agent.yaml with it (Apply).
// One definition of a valid scan setting: the agent's config package
// (config.ValidateScans) and its yaml keys.
//
// A policy's settings are a JSON object shaped like agent.yaml's `scans:`
// section, e.g. {"fs": {"enabled": true, "paths": ["/srv"]}}. Only what a
// policy names changes; lists replace, objects merge. Merge order, lowest
// first: built-in defaults, agent.yaml, the policies that select the agent
// (by priority, then name: a higher priority wins), and last the settings
// agent.yaml pins (`pinned:`), which no policy overrides.
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/sightline-dev/sightline/agent/config"
)

// Settings is a policy's scan settings: a JSON object over `scans:`.
type Settings = map[string]any

// FieldError names the setting that is wrong, as a dotted path from the
// top of agent.yaml ("scans.fs.paths").
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// ErrInvalid marks every validation failure (errors.Is).
var ErrInvalid = errors.New("invalid policy")

// Unwrap lets errors.Is(err, ErrInvalid) hold for a FieldError.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// hostOwned are settings a policy may never set: they name files on the
// host (credentials, CAs, where the system is mounted), or where and how
// a credential read on the host is presented, and stay in agent.yaml. A
// collector that is compromised must not be able to point the agent's
// credentials at a server of its choosing.
var hostOwned = map[string]bool{
	"scans.ldap.password_file": true,
	"scans.ldap.ca_file":       true,
	"scans.fs.root":            true,
	"scans.host.root":          true,
	"scans.detectors_file":     true,
	// The database password is read on the host; a policy that could
	// change the server it is sent to could collect it.
	"scans.db.dsn":           true,
	"scans.db.password_file": true,
	"scans.db.ca_file":       true,
	// Likewise the SMB account's: a policy that named another server
	// would get an NTLMv2 response to crack or relay.
	"scans.smb.server":        true,
	"scans.smb.user":          true,
	"scans.smb.domain":        true,
	"scans.smb.password_file": true,
	// Whether the session may go unsigned: a policy that turned signing
	// off would let a man in the middle change what the scan reports.
	"scans.smb.allow_unsigned": true,
	// The directory the bind password goes to, as whom, and over what:
	// a policy that named its own ldap:// server, or turned TLS or its
	// verification off, would receive the password (a simple bind sends
	// it as it is).
	"scans.ldap.url":             true,
	"scans.ldap.bind_dn":         true,
	"scans.ldap.start_tls":       true,
	"scans.ldap.tls_skip_verify": true,
	"scans.ldap.allow_plaintext": true,
	// The cloud endpoints credentials are presented to: GCS sends an
	// OAuth bearer token and Azure a SAS token as they are; S3 and IAM
	// sign each request (a signature can be replayed for minutes); and a
	// changed endpoint could feed the scan whatever it likes.
	"scans.gcs.endpoint":                  true,
	"scans.gcs.credentials_file":          true,
	"scans.azblob.endpoint":               true,
	"scans.azblob.account":                true,
	"scans.azblob.key_file":               true,
	"scans.azblob.connection_string_file": true,
	"scans.s3.endpoint":                   true,
	"scans.iam.endpoint":                  true,
	// Not host-owned: the bounds on what a server may cost the agent
	// (scans.ldap.max_entries, max_message_bytes, max_kept_bytes,
	// scans.iam.max_details, scans.s3/iam/gcs/azblob call_timeout and
	// max_response_bytes). They name no file, server or credential; the
	// server they guard against is host-owned above, so a policy cannot
	// aim a raised bound at a server of its own, and config's upper
	// limits cap what a policy may raise them to (as max_duration,
	// max_objects and the like). agent.yaml's pinned keeps a site's value.
}

// isHostOwned reports whether a setting is host-owned: listed, or naming
// a file on the host (every "…_file": credentials, CAs, keys).
func isHostOwned(path string) bool {
	return hostOwned[path] || strings.HasSuffix(path, "_file")
}

// Parse reads settings from JSON bytes (an object), refusing anything else.
func Parse(data []byte) (Settings, error) {
	var s Settings
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&s); err != nil {
		return nil, &FieldError{Field: "settings", Msg: "must be a JSON object shaped like agent.yaml's scans section: " + err.Error()}
	}
	if dec.More() {
		return nil, &FieldError{Field: "settings", Msg: "trailing data after the JSON object"}
	}
	if s == nil {
		s = Settings{}
	}
	return s, nil
}

// Check validates settings alone, over the agent's defaults: every key is
// one agent.yaml knows, every value has its type, no host-owned setting
// is set, and the result passes the agent's own validation. The error is
// a *FieldError naming the field.
func Check(s Settings) error {
	_, err := overlay(config.Default().Scans, s)
	return err
}

// overlay applies s over base, field by field, then validates.
func overlay(base config.Scans, s Settings) (config.Scans, error) {
	if err := walk(s, reflect.TypeOf(config.Scans{}), "scans"); err != nil {
		return base, err
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return base, &FieldError{Field: "settings", Msg: err.Error()}
	}
	out := base
	// JSON is YAML: decoding onto the base changes only the keys s names
	// (nested sections merge, lists replace), with agent.yaml's own types.
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&out); err != nil {
		return base, &FieldError{Field: "scans", Msg: err.Error()}
	}
	if err := config.ValidateScans(out); err != nil {
		var fe *config.FieldError
		if errors.As(err, &fe) {
			return base, &FieldError{Field: fe.Field, Msg: fe.Msg}
		}
		return base, &FieldError{Field: "scans", Msg: err.Error()}
	}
	return out, nil
}

// walk checks keys and value types against the config struct t, naming
// the first wrong field.
func walk(m map[string]any, t reflect.Type, prefix string) error {
	fields := yamlFields(t)
	keys := slices.Sorted(maps.Keys(m))
	for _, k := range keys {
		path := prefix + "." + k
		ft, ok := fields[k]
		if !ok {
			return &FieldError{Field: path, Msg: "unknown setting (see agent.yaml's scans section for the keys)"}
		}
		if isHostOwned(path) {
			return &FieldError{Field: path, Msg: "host-owned (a file on the host, a credential's server or how it is reached): set it in that host's agent.yaml"}
		}
		v := m[k]
		if ft.Kind() == reflect.Struct && ft.String() != "time.Duration" {
			sub, ok := v.(map[string]any)
			if !ok {
				return &FieldError{Field: path, Msg: "must be an object"}
			}
			if err := walk(sub, ft, path); err != nil {
				return err
			}
			continue
		}
		raw, _ := json.Marshal(v)
		dst := reflect.New(ft)
		if err := yaml.Unmarshal(raw, dst.Interface()); err != nil || v == nil {
			return &FieldError{Field: path, Msg: "must be " + typeWord(ft)}
		}
	}
	return nil
}

func typeWord(t reflect.Type) string {
	switch {
	case t.String() == "time.Duration":
		return "a duration such as \"6h\" or \"90s\""
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Slice:
		return "a list of " + typeWord(t.Elem()) + "s"
	case t.Kind() == reflect.Float64:
		return "a number"
	default:
		return "an integer"
	}
}

// yamlFields maps yaml keys to field types, with inline structs flattened.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if opts == "inline" {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		out[name] = f.Type
	}
	return out
}

// Merge lays the settings of several policies over each other in order
// (later wins): objects merge key by key, anything else replaces.
func Merge(layers ...Settings) Settings {
	out := Settings{}
	for _, l := range layers {
		mergeInto(out, l)
	}
	return out
}

func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			dm, ok := dst[k].(map[string]any)
			if !ok {
				dm = map[string]any{}
				dst[k] = dm
			}
			mergeInto(dm, sm)
			continue
		}
		dst[k] = v
	}
}

// Leaves flattens settings to "scans.x.y" → JSON text of the value.
func Leaves(s Settings) map[string]string {
	out := map[string]string{}
	var rec func(m map[string]any, prefix string)
	rec = func(m map[string]any, prefix string) {
		for k, v := range m {
			p := prefix + "." + k
			if sub, ok := v.(map[string]any); ok {
				rec(sub, p)
				continue
			}
			b, _ := json.Marshal(v)
			out[p] = string(b)
		}
	}
	rec(s, "scans")
	return out
}

// Change is one setting a policy change alters.
type Change struct {
	Field  string `json:"field"`
	Before string `json:"before"` // JSON text; "" when unset
	After  string `json:"after"`  // JSON text; "" when unset
}

// Diff lists the settings that differ between two effective policies,
// ordered by field.
func Diff(before, after Settings) []Change {
	b, a := Leaves(before), Leaves(after)
	var out []Change
	for k, v := range a {
		if b[k] != v {
			out = append(out, Change{Field: k, Before: b[k], After: v})
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			out = append(out, Change{Field: k, Before: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// Applied is the outcome of applying an effective policy on an agent.
type Applied struct {
	Scans config.Scans
	// Conflicts name the pinned settings the policy tried to set; the
	// local value was kept.
	Conflicts []string
}

// Apply lays effective settings over the agent's local scans, except the
// pinned settings (dotted paths such as "scans.fs.paths", or a section
// such as "scans.fs"), which keep their local value and are reported as
// conflicts. An invalid result is refused with the field named; the
// caller keeps what it ran before.
func Apply(local config.Scans, pinned []string, effective Settings) (Applied, error) {
	s := clone(effective)
	var conflicts []string
	for _, p := range pinned {
		if drop(s, strings.TrimPrefix(p, "scans.")) {
			conflicts = append(conflicts, p)
		}
	}
	sort.Strings(conflicts)
	out, err := overlay(local, s)
	if err != nil {
		return Applied{}, err
	}
	return Applied{Scans: out, Conflicts: conflicts}, nil
}

// drop removes path (dot-separated) from s; true if it was set.
func drop(s map[string]any, path string) bool {
	head, rest, more := strings.Cut(path, ".")
	v, ok := s[head]
	if !ok {
		return false
	}
	if !more {
		delete(s, head)
		return true
	}
	sub, ok := v.(map[string]any)
	if !ok {
		return false
	}
	found := drop(sub, rest)
	if found && len(sub) == 0 {
		delete(s, head)
	}
	return found
}

func clone(s Settings) Settings {
	b, _ := json.Marshal(s)
	out, err := Parse(b)
	if err != nil {
		return Settings{}
	}
	return out
}

// CheckPinned validates agent.yaml's pinned list: each entry must name a
// scan setting or section.
func CheckPinned(pinned []string) error {
	for i, p := range pinned {
		if !validPath(p) {
			return fmt.Errorf("pinned[%d]: %q is not a scan setting; use a path such as scans.fs.paths or scans.fs", i, p)
		}
	}
	return nil
}

func validPath(p string) bool {
	parts := strings.Split(p, ".")
	if len(parts) < 2 || parts[0] != "scans" {
		return false
	}
	t := reflect.TypeOf(config.Scans{})
	for _, k := range parts[1:] {
		if t.Kind() != reflect.Struct || t.String() == "time.Duration" {
			return false
		}
		ft, ok := yamlFields(t)[k]
		if !ok {
			return false
		}
		t = ft
	}
	return true
}

// Scanners are the scan sections a policy and a "scan now" command may
// name (agent.yaml's scans keys: fs, host, ldap, s3, iam, db, smb).
func Scanners() []string {
	var out []string
	t := reflect.TypeOf(config.Scans{})
	for i := 0; i < t.NumField(); i++ {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); name != "" {
			out = append(out, name)
		}
	}
	return out
}
