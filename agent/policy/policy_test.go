package policy_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/config"
	"github.com/sightline-dev/sightline/agent/limits"
	"github.com/sightline-dev/sightline/agent/policy"
)

func parse(t *testing.T, s string) policy.Settings {
	t.Helper()
	out, err := policy.Parse([]byte(s))
	require.NoError(t, err)
	return out
}

func TestCheckNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		name, settings, field string
	}{
		{"valid", `{"fs":{"enabled":true,"paths":["/srv"],"interval":"1h","exclude":["*.tmp"]}}`, ""},
		{"empty", `{}`, ""},
		{"unknown section", `{"nfs":{}}`, "scans.nfs"},
		{"unknown key", `{"fs":{"pathz":["/srv"]}}`, "scans.fs.pathz"},
		{"wrong type", `{"fs":{"paths":"/srv"}}`, "scans.fs.paths"},
		{"bad duration", `{"host":{"interval":"soon"}}`, "scans.host.interval"},
		{"null", `{"host":{"enabled":null}}`, "scans.host.enabled"},
		{"section not object", `{"fs":true}`, "scans.fs"},
		{"enabled without paths", `{"fs":{"enabled":true}}`, "scans.fs.paths"},
		{"jitter", `{"host":{"enabled":true,"jitter":0.9}}`, "scans.host.jitter"},
		{"interval too short", `{"host":{"enabled":true,"interval":"10ms"}}`, "scans.host.interval"},
		{"host owned", `{"ldap":{"password_file":"/tmp/pw"}}`, "scans.ldap.password_file"},
		{"sample percent", `{"s3":{"sample_percent":150}}`, "scans.s3.sample_percent"},
		{"db server host owned", `{"db":{"dsn":"postgres://scan@elsewhere/app"}}`, "scans.db.dsn"},
		{"db password host owned", `{"db":{"password_file":"/tmp/pw"}}`, "scans.db.password_file"},
		{"smb signing host owned", `{"smb":{"allow_unsigned":true}}`, "scans.smb.allow_unsigned"},
		{"db sample", `{"db":{"sample_rows":500,"interval":"12h"}}`, ""},
		// Where a credential read on the host goes, and how, stays on the
		// host: a policy naming its own directory, endpoint or account
		// would receive the bind password or a bearer token.
		{"ldap server host owned", `{"ldap":{"url":"ldap://collector-picked:389"}}`, "scans.ldap.url"},
		{"ldap bind dn host owned", `{"ldap":{"bind_dn":"cn=x"}}`, "scans.ldap.bind_dn"},
		{"ldap tls host owned", `{"ldap":{"tls_skip_verify":true}}`, "scans.ldap.tls_skip_verify"},
		{"gcs endpoint host owned", `{"gcs":{"endpoint":"https://collector-picked/"}}`, "scans.gcs.endpoint"},
		{"azure account host owned", `{"azblob":{"account":"collectorpicked"}}`, "scans.azblob.account"},
		{"s3 endpoint host owned", `{"s3":{"endpoint":"https://collector-picked/"}}`, "scans.s3.endpoint"},
		{"any file host owned", `{"azblob":{"connection_string_file":"/etc/shadow"}}`, "scans.azblob.connection_string_file"},
		{"ldap base dn is not", `{"ldap":{"base_dn":"dc=example,dc=com","stale_days":60}}`, ""},
		// The bounds on what a server may cost the agent are policy
		// settings, within the agent's own limits: the server stays
		// host-owned, so a policy cannot point a raised bound at a server
		// of its own; pinned keeps a site's value.
		{"ldap bounds", `{"ldap":{"max_entries":5000000,"max_message_bytes":67108864,"max_kept_bytes":4294967296}}`, ""},
		{"iam and s3 bounds", `{"iam":{"max_details":500000,"call_timeout":"5m","max_response_bytes":134217728},"s3":{"call_timeout":"30s"}}`, ""},
		{"bound zero", `{"ldap":{"max_entries":0}}`, "scans.ldap.max_entries"},
		{"bound over the limit", `{"ldap":{"max_kept_bytes":68719476737}}`, "scans.ldap.max_kept_bytes"},
		{"bound negative", `{"iam":{"max_details":-1}}`, "scans.iam.max_details"},
		{"call timeout over the limit", `{"s3":{"call_timeout":"3h"}}`, "scans.s3.call_timeout"},
		{"call timeout a number", `{"iam":{"call_timeout":120}}`, "scans.iam.call_timeout"},
		{"bound typo", `{"ldap":{"max_entrys":10}}`, "scans.ldap.max_entrys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := policy.Check(parse(t, tc.settings))
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			var fe *policy.FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tc.field, fe.Field, err.Error())
			require.True(t, errors.Is(err, policy.ErrInvalid))
		})
	}
	_, err := policy.Parse([]byte(`[1]`))
	require.Error(t, err)
}

func TestMergeAndDiff(t *testing.T) {
	a := parse(t, `{"fs":{"enabled":true,"paths":["/a"],"exclude":["x"]}}`)
	b := parse(t, `{"fs":{"paths":["/b"]},"host":{"enabled":true}}`)
	m := policy.Merge(a, b)
	require.Equal(t, map[string]string{
		"scans.fs.enabled": "true", "scans.fs.paths": `["/b"]`, "scans.fs.exclude": `["x"]`, "scans.host.enabled": "true",
	}, policy.Leaves(m))
	require.Equal(t, []policy.Change{
		{Field: "scans.fs.paths", Before: `["/a"]`, After: `["/b"]`},
		{Field: "scans.host.enabled", After: "true"},
	}, policy.Diff(a, m))
	require.Empty(t, policy.Diff(m, m))
	require.Equal(t, []policy.Change{{Field: "scans.fs.exclude", Before: `["x"]`}}, policy.Diff(a, parse(t, `{"fs":{"enabled":true,"paths":["/a"]}}`)))
}

func TestApplyKeepsPinned(t *testing.T) {
	local := config.Default().Scans
	local.FS.Enabled, local.FS.Paths, local.FS.MaxMBPerSec = true, []string{"/local"}, 5
	eff := parse(t, `{"fs":{"paths":["/policy"],"max_mb_per_sec":50,"interval":"2h"},"host":{"enabled":true}}`)
	got, err := policy.Apply(local, []string{"scans.fs.paths", "scans.iam"}, eff)
	require.NoError(t, err)
	require.Equal(t, []string{"scans.fs.paths"}, got.Conflicts)
	require.Equal(t, []string{"/local"}, got.Scans.FS.Paths)
	require.Equal(t, 50.0, got.Scans.FS.MaxMBPerSec)
	require.Equal(t, 2*time.Hour, got.Scans.FS.Interval)
	require.True(t, got.Scans.Host.Enabled)
	require.Equal(t, "/", got.Scans.Host.Root, "what the policy leaves out keeps its local value")
	require.Equal(t, `["/policy"]`, policy.Leaves(eff)["scans.fs.paths"], "the effective settings are not changed")

	// A whole section pinned.
	got, err = policy.Apply(local, []string{"scans.fs"}, eff)
	require.NoError(t, err)
	require.Equal(t, []string{"scans.fs"}, got.Conflicts)
	require.Equal(t, 5.0, got.Scans.FS.MaxMBPerSec)

	// An effective policy that does not validate over local is refused.
	_, err = policy.Apply(config.Default().Scans, nil, parse(t, `{"fs":{"enabled":true}}`))
	var fe *policy.FieldError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, "scans.fs.paths", fe.Field)
}

// A policy's bound reaches the scans unless agent.yaml pins it.
func TestApplyBounds(t *testing.T) {
	local := config.Default().Scans
	local.LDAP.MaxKeptBytes = 2 << 30
	eff := parse(t, `{"ldap":{"max_entries":3000000,"max_kept_bytes":8589934592},"iam":{"call_timeout":"30s"}}`)
	got, err := policy.Apply(local, []string{"scans.ldap.max_kept_bytes"}, eff)
	require.NoError(t, err)
	require.Equal(t, []string{"scans.ldap.max_kept_bytes"}, got.Conflicts)
	require.Equal(t, 3000000, got.Scans.LDAP.MaxEntries)
	require.Equal(t, int64(2<<30), got.Scans.LDAP.MaxKeptBytes, "pinned: the local value")
	require.Equal(t, config.DefaultCallBounds(limits.AWSMaxResponseBytes).MaxResponseBytes, got.Scans.IAM.MaxResponseBytes)
	require.Equal(t, 30*time.Second, got.Scans.IAM.CallTimeout)
	require.Equal(t, config.DefaultCallBounds(limits.AWSMaxResponseBytes), got.Scans.S3.CallBounds)
	require.NoError(t, policy.CheckPinned([]string{"scans.ldap.max_entries", "scans.iam.call_timeout", "scans.s3.max_response_bytes"}))
}

func TestCheckPinned(t *testing.T) {
	require.NoError(t, policy.CheckPinned([]string{"scans.fs", "scans.fs.paths", "scans.s3.buckets"}))
	for _, bad := range []string{"collector", "scans", "scans.fs.nope", "scans.fs.paths.x", "fs.paths"} {
		require.Error(t, policy.CheckPinned([]string{bad}), bad)
	}
}

// FuzzCheck: settings come from an admin's request body; no input may
// panic, and whatever Check accepts applies cleanly over the defaults.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{}`, `{"fs":{"enabled":true,"paths":["/srv"]}}`, `{"host":{"interval":"1h","jitter":0.2}}`,
		`{"s3":{"buckets":["a"],"max_objects":3}}`, `{"fs":{"paths":[1,2]}}`, `null`, `{"fs":{"max_file_size":1e99}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := policy.Parse(data)
		if err != nil {
			return
		}
		if policy.Check(s) != nil {
			return
		}
		_, err = policy.Apply(config.Default().Scans, nil, s)
		require.NoError(t, err)
	})
}

// FuzzDecodeEffective: the collector's answer is parsed before it is
// trusted; nothing may panic, and what decodes either applies or is
// refused with an error.
func FuzzDecodeEffective(f *testing.F) {
	for _, s := range []string{`{"etag":"\"a\"","settings":{"host":{"enabled":true}},"commands":[{"id":"c","action":"scan","scanner":"fs"}]}`,
		`{"etag":""}`, `{}`, `[]`, `{"etag":"x","settings":{"fs":{"paths":[null]}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := policy.DecodeEffective(data)
		if err != nil {
			return
		}
		_, _ = policy.Apply(config.Default().Scans, []string{"scans.fs.paths"}, e.Settings)
	})
}
