package runner

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/config"
	"github.com/sightline-dev/sightline/agent/enroll"
	"github.com/sightline-dev/sightline/agent/ship"
	"github.com/sightline-dev/sightline/agent/spool"
	"github.com/sightline-dev/sightline/agent/transport"
	"github.com/sightline-dev/sightline/agent/transport/transporttest"
	"github.com/sightline-dev/sightline/internal/testpki"
)

// shipOne spools one record and makes one delivery attempt with the
// client Client builds, as Run wires it.
func shipOne(t *testing.T, c config.Config, creds enroll.Credentials) (ship.Result, string, error) {
	t.Helper()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	client, err := Client(c, creds, log)
	require.NoError(t, err)
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sp, err := spool.Open(ctx, spool.Options{Dir: t.TempDir(), SegmentRecords: 1, FlushInterval: time.Hour})
	require.NoError(t, err)
	defer sp.Close()
	require.NoError(t, sp.Append(ctx, []byte(`{"n":1}`)))
	seg, err := sp.Next(ctx)
	require.NoError(t, err)
	sh := ship.New(ship.Options{URL: strings.TrimRight(CollectorURL(c, creds), "/") + "/api/v1/ingest", Token: creds.Token, Client: client, Logger: log})
	res, err := sh.Send(ctx, seg)
	return res, logs.String(), err
}

// Enrolled against CA 1 with a ca_file trusting CA 1 and CA 2: when the
// collector turns up with a certificate from CA 2, trusted but not
// pinned, nothing ships.
func TestShipRefusesACollectorOffThePin(t *testing.T) {
	dir := t.TempDir()
	ca1, err := testpki.NewCA("collector CA")
	require.NoError(t, err)
	ca2, err := testpki.NewCA("another CA the host trusts")
	require.NoError(t, err)
	leaf1, err := ca1.Server()
	require.NoError(t, err)
	leaf2, err := ca2.Server()
	require.NoError(t, err)
	bundle := filepath.Join(dir, "bundle.pem")
	require.NoError(t, os.WriteFile(bundle, append(append([]byte{}, ca1.CertPEM...), ca2.CertPEM...), 0o600))

	col := &transporttest.Collector{Secret: "s"}
	srv := transporttest.Start(t, col, leaf1, nil)
	c := config.Default()
	c.CAFile = bundle
	enrollClient, err := transport.New(transport.Options{URL: srv.URL, CAFile: bundle})
	require.NoError(t, err)
	creds, err := enroll.Enroll(context.Background(), enrollClient, srv.URL, "s", enroll.Options{})
	require.NoError(t, err)
	require.Equal(t, transport.Fingerprint(ca1.Cert), creds.CASPKISHA256)

	res, logs, err := shipOne(t, c, creds)
	require.NoError(t, err)
	require.Equal(t, ship.Delivered, res.Outcome)
	require.Equal(t, 1, col.Ingests())
	require.NotContains(t, logs, "re-enroll", "a pinned agent is not nagged")

	srv.SetLeaf(t, leaf2)
	res, _, err = shipOne(t, c, creds)
	require.ErrorIs(t, err, transport.ErrPinMismatch)
	require.ErrorContains(t, err, "re-enroll")
	require.Equal(t, ship.Retry, res.Outcome, "kept for when the right collector is back")
	require.Equal(t, 1, col.Ingests(), "nothing reached the impostor")

	// Without ca_file, the CA recorded at enrollment is what is trusted.
	srv.SetLeaf(t, leaf1)
	creds.CAPEM = string(ca1.CertPEM)
	res, _, err = shipOne(t, config.Default(), creds)
	require.NoError(t, err)
	require.Equal(t, ship.Delivered, res.Outcome)
}

func TestClient(t *testing.T) {
	ca, err := testpki.NewCA("c")
	require.NoError(t, err)
	pin := transport.Fingerprint(ca.Cert)
	creds := enroll.Credentials{Collector: "https://collector.example:8443", CAPEM: string(ca.CertPEM), CASPKISHA256: pin}
	tests := []struct {
		name      string
		collector string // config's; empty: the enrolled one
		insecure  bool
		creds     enroll.Credentials
		wantErr   string
		wantLog   string
	}{
		{name: "pinned https", creds: creds},
		{name: "pre-pin credentials warn", creds: enroll.Credentials{Collector: "https://collector.example:8443"}, wantLog: "re-enroll the agent over https"},
		{name: "pinned but the config says http", collector: "http://127.0.0.1:8080", creds: creds, wantErr: "enrolled over https"},
		{name: "http off loopback", creds: enroll.Credentials{Collector: "http://10.0.0.5:8080"}, wantErr: "insecure_http"},
		{name: "http off loopback, allowed", insecure: true, creds: enroll.Credentials{Collector: "http://10.0.0.5:8080"}, wantLog: "clear text"},
		{name: "loopback http", creds: enroll.Credentials{Collector: "http://127.0.0.1:8080"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			c.Collector, c.InsecureHTTP = tc.collector, tc.insecure
			var logs bytes.Buffer
			_, err := Client(c, tc.creds, slog.New(slog.NewTextHandler(&logs, nil)))
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			if tc.wantLog == "" {
				require.Empty(t, logs.String())
			} else {
				require.Contains(t, logs.String(), tc.wantLog)
			}
		})
	}
}
