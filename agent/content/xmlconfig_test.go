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
		// Text by any other name: key=value and key: value only (the
		// phone numbers have their context words).
		{"no declaration, .txt", "notes.txt", noDecl, []string{"phone_number", "phone_number"}},
		{"a .config that is no XML", "app.config", "# ini\npassword = Sp1ngP4ss!word\n", []string{"password"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms, _, err := NewScanner(options()).Read(context.Background(), tc.stream, bytes.NewReader([]byte(tc.data)), nil, int64(len(tc.data)))
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
			require.Equal(t, tc.want, got)
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
