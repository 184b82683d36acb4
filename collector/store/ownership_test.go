package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// Rows are keyed by the agent that delivered them: a second agent sending
// the first one's ids, even later, adds its own rows and replaces none;
// within one agent the row stored later wins whatever observed_at says.
func TestRowsAreKeyedByAgent(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t)
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	rec := func(agent string, privileged bool, observed time.Time) wire.Record {
		return wire.Record{Kind: wire.KindPrincipal, Source: wire.SourceHost, ScanID: "s-" + agent, ObservedAt: observed,
			AgentID: agent, Host: "db-1", PrincipalID: "u1@db-1", Name: "u1", PrincipalType: "user", Privileged: privileged}
	}
	require.NoError(t, s.InsertRecords(ctx, []wire.Record{rec("agent-a", true, at)}))
	require.NoError(t, s.InsertRecords(ctx, []wire.Record{rec("agent-b", false, at.AddDate(74, 0, 0))}))
	var rows []struct {
		Agent      string `ch:"owner_agent"`
		Privileged uint8  `ch:"privileged"`
	}
	require.NoError(t, s.Select(ctx, &rows, `SELECT owner_agent, privileged FROM {db}.principals FINAL ORDER BY owner_agent`))
	require.Equal(t, 2, len(rows))
	require.Equal(t, "agent-a", rows[0].Agent)
	require.Equal(t, uint8(1), rows[0].Privileged, "agent-b's row did not replace agent-a's")

	// Same agent: the later insert wins although its observed_at is older.
	require.NoError(t, s.InsertRecords(ctx, []wire.Record{rec("agent-a", false, at.Add(-time.Hour))}))
	rows = nil
	require.NoError(t, s.Select(ctx, &rows, `SELECT owner_agent, privileged FROM {db}.principals FINAL WHERE owner_agent = 'agent-a'`))
	require.Equal(t, uint8(0), rows[0].Privileged)
}

// An install from before migration 0011 keeps its rows, now owned by the
// agent that sent them, and a rescan replaces them instead of adding.
func TestUpgradeKeysExistingRowsByAgent(t *testing.T) {
	ctx := context.Background()
	s := storetest.Open(t)
	_, err := s.MigrateUpTo(ctx, 10)
	require.NoError(t, err)
	require.NoError(t, s.Exec(ctx, `INSERT INTO {db}.principals (principal_id, name, principal_type, source, host, agent_id, scan_id, privileged, observed_at, version)
		SELECT 'u1@db-1', 'u1', 'user', 'host', 'db-1', 'agent-a', 's1', 1, toDateTime('2026-11-01 10:00:00'), 5`))
	require.NoError(t, s.Exec(ctx, `INSERT INTO {db}.pii_findings (asset_id, type, category, location, host, source, agent_id, scan_id, count, observed_at, version)
		SELECT 'f1', 'email', 'contact', 'file:///x', 'db-1', 'fs', 'agent-a', 's1', 3, toDateTime('2026-11-01 10:00:00'), 5`))
	_, err = s.Migrate(ctx)
	require.NoError(t, err)
	owners := func(table string) []string {
		var rows []struct {
			Owner string `ch:"owner_agent"`
		}
		require.NoError(t, s.Select(ctx, &rows, `SELECT owner_agent FROM {db}.`+table+` FINAL`))
		out := []string{}
		for _, r := range rows {
			out = append(out, r.Owner)
		}
		return out
	}
	require.Eventually(t, func() bool {
		return len(owners("principals")) == 1 && len(owners("pii_findings")) == 1
	}, 30*time.Second, 100*time.Millisecond, "the ownerless originals are deleted by the migration's mutation")
	require.Equal(t, []string{"agent-a"}, owners("principals"))
	require.Equal(t, []string{"agent-a"}, owners("pii_findings"))

	require.NoError(t, s.InsertRecords(ctx, []wire.Record{{Kind: wire.KindPrincipal, Source: wire.SourceHost, ScanID: "s2",
		ObservedAt: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC), AgentID: "agent-a", Host: "db-1",
		PrincipalID: "u1@db-1", Name: "u1", PrincipalType: "user"}}))
	require.Equal(t, []string{"agent-a"}, owners("principals"), "the rescan replaced the upgraded row")
}
