package alerts_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/alerts"
	"github.com/sightline-dev/sightline/collector/index"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// A flood of findings — a compromised agent's, or a first scan of a large
// estate — is not a flood of notifications: one evaluation of a rule
// delivers at most digest_over events one by one and one digest that
// counts the rest; every event is still stored and listed, and a later
// evaluation fires nothing again for them.
func TestFloodIsDeliveredAsDigest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	st := storetest.New(t)
	now := time.Now().UTC().Truncate(time.Second)
	var recs []wire.Record
	const files = 12
	for i := range files {
		id, loc := fmt.Sprintf("f-%02d", i), fmt.Sprintf("file:///srv/app%02d/.env", i)
		recs = append(recs,
			wire.Record{Kind: wire.KindAsset, Source: wire.SourceFS, Host: "web-1", AssetID: id, AssetType: "file", Location: loc, Size: 100},
			wire.Record{Kind: wire.KindPII, Source: wire.SourceFS, Host: "web-1", AssetID: id, Location: loc, Type: "aws_access_key",
				Category: "credential", Count: 1, Distinct: 1, Confidence: wire.ConfidenceHigh, Samples: []string{"AK***"}, Where: []string{"line 1"}})
	}
	for i := range recs {
		recs[i].ScanID, recs[i].ObservedAt, recs[i].AgentID = "scan-1", now, "agent-1"
	}
	require.NoError(t, st.InsertRecords(ctx, recs))
	require.NoError(t, index.New(index.Options{Store: st, Logger: quiet()}).Build(ctx))

	hook := &webhookReceiver{secret: []byte("hook-secret")}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	serveHTTP(t, hl, hook)
	cfg := alerts.Config{
		Rules: []alerts.Rule{{Name: "creds", Kind: alerts.KindCredentialFound, DigestOver: 5}},
		Destinations: []alerts.Destination{{Name: "hook", Type: alerts.DestWebhook, URL: "http://" + hl.Addr().String() + "/x",
			SecretFile: writeFile(t, t.TempDir(), "hook.secret", "hook-secret")}},
		Retry: alerts.Retry{MaxAttempts: 3, Base: 5 * time.Millisecond, Cap: 20 * time.Millisecond, Timeout: 5 * time.Second},
	}
	svc, err := alerts.New(alerts.Options{Store: st, Config: cfg, Logger: quiet()})
	require.NoError(t, err)

	fired, err := svc.Evaluate(ctx)
	require.NoError(t, err)
	require.Len(t, fired, files+1, "every credential's event, and the digest")
	digest := fired[len(fired)-1]
	require.Equal(t, files-5, digest.Facts.MoreEvents)
	require.Contains(t, digest.Title, "7 more events of rule creds")

	for range 20 {
		n, err := svc.Deliver(ctx)
		require.NoError(t, err)
		if n == 0 {
			break
		}
	}
	got, bad := hook.got()
	require.Empty(t, bad)
	require.Len(t, got, 5+1, "five events one by one and the digest, not twelve")
	ids := map[string]bool{}
	for _, e := range got {
		ids[e.ID] = true
	}
	require.True(t, ids[digest.ID], "the digest is delivered")

	listed, err := svc.Events(ctx, "creds", 100)
	require.NoError(t, err)
	require.Len(t, listed, files+1, "every event is stored and listed")

	// The same findings in the next build fire nothing again.
	require.NoError(t, index.New(index.Options{Store: st, Logger: quiet()}).Build(ctx))
	again, err := svc.Evaluate(ctx)
	require.NoError(t, err)
	require.Empty(t, again)

	_, err = alerts.New(alerts.Options{Store: st, Config: alerts.Config{Rules: []alerts.Rule{{Name: "x", Kind: alerts.KindCredentialFound, DigestOver: -1}}}})
	require.ErrorContains(t, err, "digest_over must not be negative")
}
