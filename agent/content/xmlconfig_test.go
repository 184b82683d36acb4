package content

import (
	"bytes"
	"context"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// XML configuration files whose names do not say xml (web.config,
// app.config, .plist, .csproj) are read as XML, and a setting named by an
// attribute (<add key="DbPassword" value="…"/>, <entry key="password">…)
// gives its value that name as the field.
func TestXMLConfigSettings(t *testing.T) {
	const cfg = `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <appSettings>
    <add key="DbPassword" value="Tr0ub4dor&amp;3xK" />
    <add key="SmtpUser" value="mailer" />
    <add key="SupportPhone" value="030 90182734" />
    <add key="RetryCount" value="030 90182734" />
  </appSettings>
  <props>
    <entry key="mail.password">N0tS0S3cret!x</entry>
    <property name="password" value="Sp1ngP4ss!word"/>
    <phone name="home">030 90182735</phone>
  </props>
  <smtp><password>S3cr3tP4ssw0rd!</password></smtp>
</configuration>
`
	all := []string{"password", "password", "password", "password", "phone_number", "phone_number"}
	noDecl := cfg[len(`<?xml version="1.0" encoding="utf-8"?>`)+1:]
	tests := []struct {
		name, stream, data string
		want               []string
	}{
		{"web.config", "web.config", cfg, all},
		{"with a byte order mark", "App.config", "\xef\xbb\xbf" + cfg, all},
		// Without the declaration: XML by a name XML formats use, and the
		// root element.
		{"no declaration, .config", "web.config", noDecl, all},
		{"no declaration, Info.plist", "Info.plist", noDecl, all},
		// Text by any other name: key=value, key: value and an element's
		// value="…" under its key= or name= (the phone numbers have their
		// context words); not <password>…</password> or <entry key>.
		{"no declaration, .txt", "notes.txt", noDecl, []string{"password", "password", "phone_number", "phone_number"}},
		{"a .config that is no XML", "app.config", "# ini\npassword = Sp1ngP4ss!word\n", []string{"password"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, occurrences(t, tc.stream, tc.data))
		})
	}
}

// A stream larger than MaxFileSize is read up to it, to its last line end
// before it, and reported partial: a value past the limit is not read
// even when one read brought it in, nor one the limit cuts in two.
func TestFileSizeLimitIsExact(t *testing.T) {
	first := "write to ann@example.com\n"      // 25 bytes
	cut := "and to bob.longname@example.org\n" // crosses byte 40
	past := "or to carl@example.net\n"         // past the limit
	data := []byte(first + cut + past)
	o := options()
	o.MaxFileSize = 40
	ms, read, err := NewScanner(o).Read(context.Background(), "notes.txt", bytes.NewReader(data), nil, int64(len(data)))
	require.NoError(t, err)
	require.EqualValues(t, 40, read)
	require.Len(t, ms, 1)
	require.Equal(t, "file-size limit reached: the first 40 bytes read", ms[0].Partial)
	require.Len(t, ms[0].Results, 1)
	require.EqualValues(t, 1, ms[0].Results[0].Count, "only the e-mail wholly before the limit")
}

// Credential files whose layout names their values: .netrc and .pgpass by
// name, Docker's config.json through its "auth" key, secrets of machines
// under keys named for them.
func TestCredentialFiles(t *testing.T) {
	tests := []struct {
		name, stream, data string
		want               []string
	}{
		{"netrc", ".netrc", "machine api.example.org\n  login jane.doe@corp-mail.de\n  password 7c2f1e9a-88b1-4d6e\n" +
			"machine ftp.example.org login deploy password Hunter2Secret!\n" +
			"macdef init\npassword not-this-one\n\ndefault login anonymous password guest@\n",
			[]string{"email", "password", "password", "password"}},
		{"netrc on Windows", "C:/Users/jd/_netrc", "machine h login u password Hunter2Secret!\n", []string{"password"}},
		{"pgpass", ".pgpass", "# host:port:db:user:password\ndb.internal:5432:crm:crm_app:S3cure!Passw0rd\n" +
			"*:*:*:replicator:sp\\:lit\\\\pw9\nbroken line\n", []string{"password", "password"}},
		{"pgpass placeholder", "pgpass.conf", "localhost:5432:*:postgres:changeme\n", nil},
		{"docker config", "config.json", `{"auths":{"registry.example.org":{"auth":"ZGVwbG95OlN1cGVyU2VjcmV0UGFzczE="}}}`, []string{"password"}},
		{"docker config, no password", "config.json", `{"auths":{"registry.example.org":{"auth":"ZGVwbG95Og=="}}}`, nil},
		{"aws credentials", "credentials", "[default]\naws_access_key_id = AKIA2OGYBAH6TQ4XWRDA\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8Kd93LmN\n",
			[]string{"aws_access_key", "password"}},
		{"a secret's name is no secret", "values.yaml", "existingSecret: my-app-tls\nsecretName: my-app-tls\n", nil},
		{"http basic in a log", "access.log", "GET /api Authorization: Basic YWRtaW46QWRtMW5QYXNzdzByZA== 200\n", []string{"password"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, occurrences(t, tc.stream, tc.data))
		})
	}
}

// The credential file readers and the XML reader by declaration take any
// bytes: no panic, a result or a partial member, never a raw value in a
// member's name or reason.
func FuzzCredentialFiles(f *testing.F) {
	f.Add(".netrc", []byte("machine h login u password p4ssw0rd!\nmacdef x\nbody\n\n"))
	f.Add(".pgpass", []byte("h:5432:db:u:pa\\:ss\\\\w0rd\n"))
	f.Add("web.config", []byte("<?xml version=\"1.0\"?><c><add key=\"Password\" value=\"Tr0ub4dor3\"/></c>"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		o := options()
		o.MaxFileSize = 1 << 16
		ms, read, err := NewScanner(o).Read(context.Background(), name, bytes.NewReader(data), nil, int64(len(data)))
		require.NoError(t, err)
		require.LessOrEqual(t, read, int64(len(data)))
		for _, m := range ms {
			for _, r := range m.Results {
				require.Positive(t, r.Count)
			}
		}
	})
}

// occurrences reads data as a stream named stream and returns the type of
// every occurrence found, sorted; no member may be partial.
func occurrences(t *testing.T, stream, data string) []string {
	t.Helper()
	ms, _, err := NewScanner(options()).Read(context.Background(), stream, bytes.NewReader([]byte(data)), nil, int64(len(data)))
	require.NoError(t, err)
	var got []string
	for _, m := range ms {
		require.Empty(t, m.Partial)
		for _, r := range m.Results {
			for range r.Count {
				got = append(got, r.Type)
			}
		}
	}
	sort.Strings(got)
	return got
}
