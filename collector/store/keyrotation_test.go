package store_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// rotationFixture stores 5 assets × 2 types, one asset reported by two
// agents, each finding holding two distinct 32-hex tokens, and returns
// the tokens by finding.
func rotationFixture(t *testing.T, s *store.Store) map[string][]string {
	t.Helper()
	obs := time.Now().UTC().Truncate(time.Second)
	want := map[string][]string{}
	var recs []wire.Record
	add := func(agent string, a int, typ string) {
		toks := []string{fmt.Sprintf("a%031x", len(want)*2), fmt.Sprintf("a%031x", len(want)*2+1)} // no palindromes
		id := fmt.Sprintf("asset-%d", a)
		want[id+"/"+typ+"/"+agent] = toks
		recs = append(recs, wire.Record{Kind: wire.KindPII, Source: wire.SourceFS, ScanID: "scan-" + agent, AgentID: agent,
			Host: "web-1", ObservedAt: obs, AssetID: id, Location: "/srv/" + id, Type: typ, Category: "contact",
			Count: 2, Distinct: 2, Confidence: wire.ConfidenceHigh, Tokens: toks})
	}
	for a := 0; a < 5; a++ {
		add("agent-1", a, "email")
		add("agent-1", a, "phone")
	}
	add("agent-2", 3, "email")
	require.NoError(t, s.InsertRecords(context.Background(), recs))
	return want
}

// findingTokens reads the current tokens by finding.
func findingTokens(t *testing.T, s *store.Store) map[string][]string {
	t.Helper()
	var rows []struct {
		A      string   `ch:"asset_id"`
		T      string   `ch:"type"`
		O      string   `ch:"owner_agent"`
		Tokens []string `ch:"tokens"`
		Gen    uint32   `ch:"token_gen"`
	}
	require.NoError(t, s.Conn().Select(context.Background(), &rows, "SELECT asset_id, type, owner_agent, tokens, token_gen FROM `"+s.Database()+"`.pii_findings FINAL"))
	out := map[string][]string{}
	for _, r := range rows {
		out[r.A+"/"+r.T+"/"+r.O] = r.Tokens
	}
	return out
}

func reverseAll(toks []string) error {
	for i, tk := range toks {
		b := []byte(tk)
		for l, r := 0, len(b)-1; l < r; l, r = l+1, r-1 {
			b[l], b[r] = b[r], b[l]
		}
		toks[i] = string(b)
	}
	return nil
}

func TestReencryptFindingsTransformsEachRowOnce(t *testing.T) {
	ctx := context.Background()
	for _, chunk := range []int{1, 2, 0} {
		t.Run(fmt.Sprintf("chunk %d", chunk), func(t *testing.T) {
			s := storetest.New(t)
			orig := rotationFixture(t, s)

			// Fails after 4 findings: the steps stored before stay stored.
			calls, errBoom := 0, errors.New("boom")
			n, err := s.ReencryptFindings(ctx, 7, chunk, func(toks []string) error {
				if calls == 4 {
					return errBoom
				}
				calls++
				return reverseAll(toks)
			})
			require.ErrorIs(t, err, errBoom)
			require.LessOrEqual(t, n, 4)

			m, err := s.ReencryptFindings(ctx, 7, chunk, reverseAll)
			require.NoError(t, err)
			require.Equal(t, len(orig), n+m, "every finding is rewritten exactly once over both calls")
			m, err = s.ReencryptFindings(ctx, 7, chunk, reverseAll)
			require.NoError(t, err)
			require.Zero(t, m, "nothing is left at another generation")

			require.NoError(t, s.PurgeStaleTokens(ctx, 7))
			got := findingTokens(t, s)
			require.Len(t, got, len(orig))
			var all []string
			for k, toks := range orig {
				rev := append([]string(nil), toks...)
				require.NoError(t, reverseAll(rev))
				require.Equal(t, rev, got[k], k)
				all = append(all, rev...)
			}
			// The token index holds exactly the new tokens.
			var idx []struct {
				T string `ch:"token"`
			}
			require.NoError(t, s.Conn().Select(ctx, &idx, "SELECT DISTINCT token FROM `"+s.Database()+"`.pii_tokens"))
			var have []string
			for _, r := range idx {
				have = append(have, r.T)
			}
			sort.Strings(have)
			sort.Strings(all)
			require.Equal(t, all, have)
			n2, err := s.CountRows(ctx, "pii_findings")
			require.NoError(t, err)
			require.EqualValues(t, len(orig), n2, "the replaced rows are merged away")
			require.False(t, strings.Contains(storetest.Dump(t, s), orig["asset-0/email/agent-1"][0]), "no table holds an old token")
		})
	}
}

func TestSettingsWithPrefix(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	require.NoError(t, s.PutSetting(ctx, "lease:a", "1"))
	require.NoError(t, s.PutSetting(ctx, "lease:b", "2"))
	require.NoError(t, s.PutSetting(ctx, "lease:b", "3"))
	require.NoError(t, s.PutSetting(ctx, "leash", "x"))
	got, err := s.SettingsWithPrefix(ctx, "lease:")
	require.NoError(t, err)
	require.Equal(t, []store.Setting{{Key: "lease:a", Value: "1"}, {Key: "lease:b", Value: "3"}}, got)
}
