package sshkeys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/safeio"
	"golang.org/x/crypto/ssh"
)

func TestAuthorizedKeys(t *testing.T) {
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	var pubs []ssh.PublicKey
	for _, k := range []any{edPub, &rsaKey.PublicKey, &ecKey.PublicKey} {
		p, err := ssh.NewPublicKey(k)
		require.NoError(t, err)
		pubs = append(pubs, p)
	}
	line := func(p ssh.PublicKey) string { return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(p))) }
	file := strings.Join([]string{
		"# comment",
		"",
		line(pubs[0]) + " alice@laptop",
		`command="echo \"hi, there\"",from="10.0.0.0/8,!10.0.0.1",no-port-forwarding ` + line(pubs[1]) + " deploy",
		"ssh-rsa AAAA!!notbase64 broken",
		"restrict " + line(pubs[2]),
	}, "\n")
	keys, probs := AuthorizedKeys("/home/alice/.ssh/authorized_keys", strings.NewReader(file))
	require.Equal(t, []Problem{{"/home/alice/.ssh/authorized_keys", 5, "not a valid public key line"}}, probs)
	require.Len(t, keys, 3)
	got := make([]string, len(keys))
	for i, k := range keys {
		got[i] = fmt.Sprintf("%d %s %d %s %q cmd=%q from=%q restricted=%v", k.Line, k.Type, k.Bits, k.Fingerprint, k.Comment, k.Command, k.From, k.Restricted)
	}
	require.Equal(t, []string{
		fmt.Sprintf(`3 ssh-ed25519 256 %s "alice@laptop" cmd="" from="" restricted=false`, ssh.FingerprintSHA256(pubs[0])),
		fmt.Sprintf(`4 ssh-rsa 2048 %s "deploy" cmd="echo \"hi, there\"" from="10.0.0.0/8,!10.0.0.1" restricted=true`, ssh.FingerprintSHA256(pubs[1])),
		fmt.Sprintf(`6 ecdsa-sha2-nistp384 384 %s "" cmd="" from="" restricted=true`, ssh.FingerprintSHA256(pubs[2])),
	}, got)
}

func TestSSHD(t *testing.T) {
	s := ReadSSHD(openRoot(t, "testdata/root"), "/etc/ssh/sshd_config")
	// The included file comes first, so its values win; Match does not
	// change the global answer.
	require.Equal(t, "prohibit-password", s.PermitRootLogin)
	require.False(t, s.PasswordAuthentication)
	require.Equal(t, []string{".ssh/authorized_keys", "/etc/ssh/keys/%u"}, s.AuthorizedKeysFile)
	allowed, withPassword := s.RootLogin()
	require.True(t, allowed)
	require.False(t, withPassword)
	require.Equal(t, []string{"/home/bob/.ssh/authorized_keys", "/etc/ssh/keys/bob"}, KeyFiles(s.AuthorizedKeysFile, "bob", "/home/bob"))

	d := ReadSSHD(openRoot(t, t.TempDir()), "/etc/ssh/sshd_config")
	require.Equal(t, "prohibit-password", d.PermitRootLogin, "OpenSSH's default without a file")
	require.True(t, d.PasswordAuthentication)
}

func FuzzAuthorizedKeys(f *testing.F) {
	f.Add(`command="x",from="a" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx0 c`)
	f.Fuzz(func(t *testing.T, in string) { _, _ = AuthorizedKeys("f", strings.NewReader(in)) })
}

func openRoot(t *testing.T, dir string) *safeio.Root {
	t.Helper()
	r, err := safeio.OpenRoot(dir)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	return r
}
