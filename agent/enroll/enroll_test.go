package enroll

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/transport"
	"github.com/sightline-dev/sightline/agent/transport/transporttest"
	"github.com/sightline-dev/sightline/internal/testpki"
)

func TestEnrollOverTLSPinsTheCA(t *testing.T) {
	dir := t.TempDir()
	ca, files, err := testpki.WriteFiles(dir)
	require.NoError(t, err)
	leaf, err := ca.Server()
	require.NoError(t, err)
	col := &transporttest.Collector{Secret: "s3cret"}
	srv := transporttest.Start(t, col, leaf, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	client, err := transport.New(transport.Options{URL: srv.URL, CAFile: files.CA})
	require.NoError(t, err)
	c, err := Enroll(ctx, client, srv.URL+"/", "s3cret", Options{})
	require.NoError(t, err)
	require.Equal(t, Credentials{Collector: srv.URL, AgentID: "agent-1", Token: transporttest.Token, TokenKey: transporttest.TokenKey,
		CASPKISHA256: transport.Fingerprint(ca.Cert)}, c)

	_, err = Enroll(ctx, client, srv.URL, "wrong", Options{})
	require.ErrorContains(t, err, "enroll secret not valid")

	other, err := testpki.NewCA("not the collector's")
	require.NoError(t, err)
	wrong, err := transport.New(transport.Options{URL: srv.URL, CAPEM: other.CertPEM})
	require.NoError(t, err)
	_, err = Enroll(ctx, wrong, srv.URL, "s3cret", Options{})
	require.ErrorContains(t, err, "certificate signed by unknown authority")
	require.Len(t, col.Enrolls(), 1, "the secret never reached an unverified server")
}

func TestEnrollOverLoopbackHTTPPinsNothing(t *testing.T) {
	col := &transporttest.Collector{Secret: "s"}
	srv := startHTTP(t, col)
	client, err := transport.New(transport.Options{URL: srv})
	require.NoError(t, err)
	c, err := Enroll(context.Background(), client, srv, "s", Options{})
	require.NoError(t, err)
	require.Empty(t, c.CASPKISHA256)
	require.Empty(t, c.CAPEM)
}

func TestSaveLoad(t *testing.T) {
	p := filepath.Join(t.TempDir(), "data", "credentials.json")
	c := Credentials{Collector: "https://c:8443", AgentID: "a", Token: "t", TokenKey: transporttest.TokenKey,
		CAPEM: "-----BEGIN CERTIFICATE-----\n…", CASPKISHA256: "ab"}
	require.NoError(t, Save(p, c))
	fi, err := os.Stat(p)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	got, err := Load(p)
	require.NoError(t, err)
	require.Equal(t, c, got)
	raw, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"ca_spki_sha256": "ab"`)
	require.Contains(t, string(raw), `"ca_pem": `)

	// Credentials from before pinning still load, with no pin.
	old := filepath.Join(t.TempDir(), "credentials.json")
	require.NoError(t, os.WriteFile(old, []byte(`{"collector":"http://127.0.0.1:8080","agent_id":"a","token":"t","token_key":"`+transporttest.TokenKey+`"}`), 0o600))
	got, err = Load(old)
	require.NoError(t, err)
	require.Empty(t, got.CASPKISHA256)
	require.Equal(t, "a", got.AgentID)

	_, err = Load(filepath.Join(t.TempDir(), "none.json"))
	require.ErrorContains(t, err, "--enroll-secret-file")
}

func startHTTP(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
