package iamscan

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/iamscan/iamtest"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
	"github.com/sightline-dev/sightline/internal/wire/wiretest"
)

// TestIAMAccessKeyTokens: each user's active access keys go out as the
// tokens the content scanner gives the same key found in a file, never as
// key ids; an inactive key is left out; the latest use is an attribute.
func TestIAMAccessKeyTokens(t *testing.T) {
	url, _ := iamtest.Server(t, false)
	tok := pii.NewTokenizer([]byte("0123456789abcdef0123456789abcdef"))
	var recs []wire.Record
	_, err := Scan(context.Background(), Options{Client: iamtest.Client(url), Account: "111111111111", Tokenizer: tok,
		Now: func() time.Time { return time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC) }}, func(r *wire.Record) error {
		wiretest.RequireValid(t, r)
		recs = append(recs, *r)
		return nil
	})
	require.NoError(t, err)

	// What the file scanner's aws_access_key finding would carry.
	fileToken := func(id string) string {
		var got []string
		agg := pii.NewAggregator(tok)
		pii.NewDefault().Detect([]byte("aws_access_key_id = "+id+"\n"), func(m pii.Match) { agg.Add(m) })
		for _, r := range agg.Results() {
			require.Equal(t, pii.TypeAWSAccessKey, r.Type)
			got = append(got, r.Tokens...)
		}
		require.Len(t, got, 1)
		return got[0]
	}
	got := map[string][]string{}
	lastUsed := map[string]string{}
	for _, r := range recs {
		if r.Kind != wire.KindPrincipal || r.PrincipalType != "user" {
			continue
		}
		if len(r.Tokens) > 0 {
			got[r.Name] = r.Tokens
			lastUsed[r.Name] = r.Attributes["access_key_last_used"]
		}
		for _, keys := range iamtest.AccessKeys {
			for _, k := range keys {
				for _, tk := range r.Tokens {
					require.NotEqual(t, k.ID, tk)
				}
				for _, v := range r.Attributes {
					require.NotContains(t, v, k.ID)
				}
				require.False(t, strings.Contains(strings.Join(r.PrivilegedVia, " "), k.ID))
			}
		}
	}
	require.Equal(t, map[string][]string{
		"bob":   {fileToken(iamtest.AccessKeys["bob"][0].ID)},
		"erin":  {fileToken(iamtest.AccessKeys["erin"][0].ID)},
		"frank": {fileToken(iamtest.AccessKeys["frank"][0].ID)},
	}, got)
	require.Equal(t, map[string]string{"bob": iamtest.BobKeyLastUsed, "erin": "never", "frank": "never"}, lastUsed)
}
