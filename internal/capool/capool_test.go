package capool

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/testpki"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	pki, err := testpki.NewCA("capool test")
	require.NoError(t, err)
	ca := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(ca, pki.CertPEM, 0o600))
	p, err := Load(ca, "ca_file")
	require.NoError(t, err)
	require.True(t, p.Equal(pki.Pool()), "the pool holds the file's CA and no other")

	_, err = Load(filepath.Join(dir, "missing.pem"), "ca_file")
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, "reading ca_file")

	junk := filepath.Join(dir, "junk.pem")
	require.NoError(t, os.WriteFile(junk, []byte("not a certificate"), 0o600))
	_, err = Load(junk, "client_ca_file")
	require.EqualError(t, err, "client_ca_file "+junk+" holds no PEM certificate")

	_, err = Parse([]byte("not a certificate"))
	require.EqualError(t, err, "no PEM certificate in it")
}
