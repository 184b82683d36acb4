package content

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCommandPasswords(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"mysql -u root -pS3cretRootPw crm", []string{"S3cretRootPw"}},
		{"mysql -u root -p crm", nil}, // prompts
		{"mysqldump --port=3306 -p'Pa ss;w0rd' db", []string{"Pa ss;w0rd"}},
		{`sshpass -p 'Welcome123!' ssh deploy@10.0.4.12`, []string{"Welcome123!"}},
		{"sshpass -pWelcome123! ssh h", []string{"Welcome123!"}},
		{"curl -u admin:Adm1nPassw0rd https://jenkins.internal/api/json", []string{"Adm1nPassw0rd"}},
		{"curl -uadmin:Adm1nPassw0rd https://x", []string{"Adm1nPassw0rd"}},
		{"curl -u admin https://x", nil},
		{`wget --user=bob --password Hunter2Secret https://x`, []string{"Hunter2Secret"}},
		{`smbclient //fs/share -U 'CORP\jdoe%Winter2026!'`, []string{"Winter2026!"}},
		{`sudo env LANG=C mysql -pRootPw2026`, []string{"RootPw2026"}},
		{`ls -p; mysql -pAfterSemi1`, []string{"AfterSemi1"}},
		{`grep -p pattern file`, nil},
		{`$pw = ConvertTo-SecureString "Sommer2026!" -AsPlainText -Force`, []string{"Sommer2026!"}},
		{`: 1733150000:0;mysql -pZshHist99`, []string{"ZshHist99"}}, // zsh's extended history: ';' ends ": …"
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			require.Equal(t, tc.want, nilIfEmpty(commandPasswords(tc.line)))
		})
	}
	require.Equal(t, []string{"ZshHist99"}, commandPasswords(zshCommand(": 1733150000:0;mysql -pZshHist99")))
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// A history file by its name: its lines as text, and the passwords on its
// command lines; a placeholder is no password, and the same file by
// another name is text only.
func TestHistoryFile(t *testing.T) {
	hist := "ls -la\nmysql -u root -pS3cretRootPw crm\ncurl -u admin:changeme https://x\n" +
		"export DB_PASSWORD=Pr0dDbPass!2026\nsshpass -p 'Welcome123!' ssh deploy@10.0.4.12\n"
	for _, tc := range []struct {
		stream string
		want   map[string]int64
	}{
		{"/home/jd/.bash_history", map[string]int64{"password": 3, "ip_address": 1}},
		{`C:\Users\jd\AppData\Roaming\Microsoft\Windows\PowerShell\PSReadLine\ConsoleHost_history.txt`, map[string]int64{"password": 3, "ip_address": 1}},
		{"/home/jd/notes.txt", map[string]int64{"password": 1, "ip_address": 1}},
	} {
		t.Run(tc.stream, func(t *testing.T) {
			ms, _, err := NewScanner(options()).Read(context.Background(), tc.stream, bytes.NewReader([]byte(hist)), nil, int64(len(hist)))
			require.NoError(t, err)
			got := map[string]int64{}
			for _, m := range ms {
				require.Empty(t, m.Partial)
				for _, r := range m.Results {
					got[r.Type] += r.Count
				}
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func FuzzCommandPasswords(f *testing.F) {
	f.Add(`sshpass -p 'a b' ssh h; curl -u "x:y\"z" u | mysql -pq`)
	f.Add(`a\`)
	f.Add(`'unterminated`)
	f.Fuzz(func(t *testing.T, line string) {
		for _, p := range commandPasswords(zshCommand(line)) {
			require.NotEmpty(t, p)
			require.LessOrEqual(t, len(p), len(line))
		}
	})
}
