package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/syncbuf"
	"github.com/sightline-dev/sightline/internal/testpki"
)

// logBuffer collects serve's log lines for the test to wait on.
type logBuffer struct{ syncbuf.Buffer }

// waitFor waits until the log holds n matches of re and returns the last
// one's submatches. The wait is generous: it bounds a hang, it does not
// measure speed.
func (l *logBuffer) waitFor(t *testing.T, re *regexp.Regexp, n int) []string {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindAllStringSubmatch(l.String(), -1); len(m) >= n {
			return m[n-1]
		}
	}
	t.Fatalf("no %d× %q in the collector's log:\n%s", n, re, l.String())
	return nil
}

var listening = regexp.MustCompile(`msg="collector listening" addr=(\S+)`)

// startServe runs `serve` with the given config body (listen, tls, …) over
// a fresh database of the test ClickHouse, and stops it when the test ends.
func startServe(t *testing.T, body string) (addr string, log *logBuffer) {
	t.Helper()
	db := storetest.Open(t).Database() // dropped when the test ends
	ch := fmt.Sprintf("clickhouse:\n  addr: %s\n  database: %s\n", storetest.Addr(t), db)
	if os.Getenv(storetest.EnvTLSAddr) != "" {
		// With the secure port at hand, the collector reaches ClickHouse
		// over TLS as the password user too.
		srv := storetest.TLS(t)
		ch = fmt.Sprintf("clickhouse:\n  addr: %s\n  database: %s\n  username: %s\n  password_file: %s\n  tls: true\n  ca_file: %s\n",
			srv.Addr, db, srv.Username, os.Getenv(storetest.EnvPasswordFile), srv.CAFile)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "collector.yaml")
	keys := fmt.Sprintf("key_file: %s\n", filepath.Join(dir, "keys.json"))
	require.NoError(t, os.WriteFile(cfg, []byte(body+keys+ch), 0o600))

	log = &logBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", cfg}, io.Discard, log) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	addr = log.waitFor(t, listening, 1)[1]
	require.Contains(t, log.String(), fmt.Sprintf("clickhouse_tls=%t", os.Getenv(storetest.EnvTLSAddr) != ""))
	return addr, log
}

func httpsClient(roots *x509.CertPool, certs ...tls.Certificate) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs}}}
}

// healthz returns the status and the serial of the certificate served.
func healthz(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url + "/healthz")
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	serial := ""
	if resp.TLS != nil {
		serial = resp.TLS.PeerCertificates[0].SerialNumber.String()
	}
	return resp.StatusCode, serial, nil
}

func TestServeTLSReloadsOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	ca, f, err := testpki.WriteFiles(dir)
	require.NoError(t, err)
	addr, log := startServe(t, fmt.Sprintf("listen: 127.0.0.1:0\ntls:\n  cert_file: %s\n  key_file: %s\n", f.ServerCert, f.ServerKey))
	require.Contains(t, log.String(), "tls=on")
	require.NotContains(t, log.String(), "level=WARN")
	url := "https://" + addr

	kept := httpsClient(ca.Pool())
	code, first, err := healthz(kept, url)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)

	// The port speaks only HTTPS.
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.NotContains(t, string(body), `"status"`)
	}

	// A new certificate in the same files, then SIGHUP.
	next, err := ca.Server()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(f.ServerCert, next.CertPEM, 0o644))
	require.NoError(t, os.WriteFile(f.ServerKey, next.KeyPEM, 0o600))
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	log.waitFor(t, regexp.MustCompile(`msg="TLS certificate reloaded"`), 1)

	code, again, err := healthz(kept, url)
	require.NoError(t, err, "a connection from before the reload keeps working")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, first, again)
	_, second, err := healthz(httpsClient(ca.Pool()), url)
	require.NoError(t, err)
	require.NotEqual(t, first, second, "new connections get the reloaded certificate")

	// A broken key: logged, and the certificate in use stays.
	require.NoError(t, os.WriteFile(f.ServerKey, []byte("garbage"), 0o600))
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	log.waitFor(t, regexp.MustCompile(`level=ERROR msg="TLS certificate reload failed; still serving the previous certificate"`), 1)
	_, third, err := healthz(httpsClient(ca.Pool()), url)
	require.NoError(t, err)
	require.Equal(t, second, third)
}

func TestServeMutualTLS(t *testing.T) {
	ca, f, err := testpki.WriteFiles(t.TempDir())
	require.NoError(t, err)
	addr, log := startServe(t, fmt.Sprintf("listen: 127.0.0.1:0\ntls:\n  cert_file: %s\n  key_file: %s\n  client_ca_file: %s\n", f.ServerCert, f.ServerKey, f.CA))
	require.Contains(t, log.String(), "tls=mutual")
	url := "https://" + addr

	_, _, err = healthz(httpsClient(ca.Pool()), url)
	require.Error(t, err, "no client certificate: refused")
	cert, err := tls.LoadX509KeyPair(f.ClientCert, f.ClientKey)
	require.NoError(t, err)
	code, _, err := healthz(httpsClient(ca.Pool(), cert), url)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
}

func TestServePlainHTTPWarnsOffLoopback(t *testing.T) {
	tests := []struct {
		name, listen string
		warn         bool
	}{
		{"loopback", "127.0.0.1:0", false},
		{"all interfaces", "0.0.0.0:0", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, log := startServe(t, "listen: "+tc.listen+"\n")
			require.Contains(t, log.String(), "tls=off")
			_, port, err := net.SplitHostPort(addr)
			require.NoError(t, err)
			code, _, err := healthz(http.DefaultClient, "http://127.0.0.1:"+port)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, code)
			if tc.warn {
				require.Contains(t, log.String(), `level=WARN msg="serving plain HTTP on a non-loopback address`)
			} else {
				require.NotContains(t, log.String(), "level=WARN")
			}
		})
	}
}

func TestServeRefusesBadCertificate(t *testing.T) {
	_, f, err := testpki.WriteFiles(t.TempDir())
	require.NoError(t, err)
	db := storetest.Open(t).Database()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "collector.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf("listen: 127.0.0.1:0\nkey_file: %s\ntls:\n  cert_file: %s\n  key_file: %s\nclickhouse:\n  addr: %s\n  database: %s\n",
		filepath.Join(dir, "keys.json"), f.ServerCert, f.ClientKey, storetest.Addr(t), db)), 0o600))
	err = run(context.Background(), []string{"serve", "--config", cfg}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "private key does not match")
}

// TestServeBoundsHeaders: a request's line and headers are bounded at
// 64 KiB (431), not Go's default 1 MiB, which let every connection of an
// anonymous client hold a megabyte; ordinary requests pass.
func TestServeBoundsHeaders(t *testing.T) {
	addr, _ := startServe(t, "listen: 127.0.0.1:0\n")
	get := func(pad int) int {
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/healthz", nil)
		require.NoError(t, err)
		req.Header.Set("X-Pad", strings.Repeat("a", pad))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, get(8<<10))
	require.Equal(t, http.StatusRequestHeaderFieldsTooLarge, get(128<<10))
}
