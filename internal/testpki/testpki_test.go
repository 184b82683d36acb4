package testpki

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteFilesVerify(t *testing.T) {
	ca, f, err := WriteFiles(t.TempDir())
	require.NoError(t, err)
	srv, err := tls.LoadX509KeyPair(f.ServerCert, f.ServerKey)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(srv.Certificate[0])
	require.NoError(t, err)
	_, err = leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "127.0.0.1"})
	require.NoError(t, err)
	other, err := NewCA("other")
	require.NoError(t, err)
	_, err = leaf.Verify(x509.VerifyOptions{Roots: other.Pool(), DNSName: "127.0.0.1"})
	require.Error(t, err, "a certificate must not verify against a different CA")
	st, err := os.Stat(f.ServerKey)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}
