package policy_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/policy"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

func in(id string, sel map[string]string, prio int32, settings string) policy.Input {
	return policy.Input{ID: id, Selector: sel, Priority: prio, Settings: json.RawMessage(settings)}
}

func TestPolicies(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	svc := policy.New(policy.Options{Store: st, Now: func() time.Time { return now }})
	for _, a := range []store.Agent{{ID: "a-web", Hostname: "web-1"}, {ID: "a-db", Hostname: "db-1"}, {ID: "a-none", Hostname: "x-1"}} {
		a.EnrolledAt, a.LastSeen = now, now
		require.NoError(t, st.PutAgent(ctx, a))
	}
	require.NoError(t, svc.SetLabels(ctx, "a-web", map[string]string{"role": "web", "env": "prod"}, "admin"))
	require.NoError(t, svc.SetLabels(ctx, "a-db", map[string]string{"role": "db", "env": "prod"}, "admin"))
	require.ErrorIs(t, svc.SetLabels(ctx, "a-web", map[string]string{"bad key": "x"}, "admin"), policy.ErrInvalid)
	require.ErrorIs(t, svc.SetLabels(ctx, "nope", nil, "admin"), store.ErrNotFound)

	// Invalid policies are refused with the field named.
	for _, tc := range []struct {
		in    policy.Input
		field string
	}{
		{in("Bad ID", nil, 0, `{}`), "id"},
		{in("p", map[string]string{"role": "a b"}, 0, `{}`), "selector.role"},
		{in("p", nil, 0, ``), "settings"},
		{in("p", nil, 0, `{"fs":{"enabled":true}}`), "scans.fs.paths"},
		{in("p", nil, 0, `{"fs":{"interval":"often"}}`), "scans.fs.interval"},
	} {
		_, err := svc.Create(ctx, tc.in, "admin")
		require.ErrorIs(t, err, policy.ErrInvalid)
		require.Contains(t, err.Error(), tc.field)
	}

	base, err := svc.Create(ctx, in("base", map[string]string{"env": "prod"}, 0, `{"host":{"enabled":true,"interval":"2h"}}`), "admin")
	require.NoError(t, err)
	require.Equal(t, uint32(1), base.Revision)
	_, err = svc.Create(ctx, in("base", nil, 0, `{}`), "admin")
	require.ErrorIs(t, err, policy.ErrExists)
	_, err = svc.Create(ctx, in("web", map[string]string{"role": "web"}, 10, `{"fs":{"enabled":true,"paths":["/srv/www"]},"host":{"interval":"1h"}}`), "admin")
	require.NoError(t, err)

	web, err := svc.For(ctx, "a-web")
	require.NoError(t, err)
	require.Equal(t, "base@1,web@1", web.Revisions)
	require.Equal(t, map[string]any{"enabled": true, "interval": "1h"}, web.Settings["host"], "the higher priority wins")
	db, err := svc.For(ctx, "a-db")
	require.NoError(t, err)
	require.Equal(t, "base@1", db.Revisions)
	none, err := svc.For(ctx, "a-none")
	require.NoError(t, err)
	require.Empty(t, none.Settings)

	// Dry run: exactly the agents the changed policy selects, before or after.
	reach, err := svc.DryRun(ctx, policy.Change{Policy: &policy.Input{ID: "web", Selector: map[string]string{"role": "web"}, Priority: 10,
		Settings: json.RawMessage(`{"fs":{"enabled":true,"paths":["/srv/www","/srv/app"]}}`)}})
	require.NoError(t, err)
	require.Len(t, reach, 1)
	require.Equal(t, "a-web", reach[0].AgentID)
	require.Equal(t, "scans.fs.paths", reach[0].Changes[0].Field)
	require.Equal(t, `["/srv/www","/srv/app"]`, reach[0].Changes[0].After)
	reach, err = svc.DryRun(ctx, policy.Change{Delete: "base"})
	require.NoError(t, err)
	var ids []string
	for _, r := range reach {
		ids = append(ids, r.AgentID)
	}
	require.ElementsMatch(t, []string{"a-web", "a-db"}, ids)
	_, err = svc.DryRun(ctx, policy.Change{Policy: &policy.Input{ID: "web", Settings: json.RawMessage(`{"fs":{"paths":3}}`)}})
	require.ErrorContains(t, err, "scans.fs.paths")

	// Update and delete make revisions; history keeps them all.
	_, err = svc.Update(ctx, "base", in("", map[string]string{"env": "prod"}, 0, `{"host":{"enabled":true,"interval":"3h"}}`), "alice")
	require.NoError(t, err)
	_, err = svc.Delete(ctx, "web", "bob")
	require.NoError(t, err)
	_, err = svc.Get(ctx, "web")
	require.ErrorIs(t, err, store.ErrNotFound)
	h, err := svc.History(ctx, "base")
	require.NoError(t, err)
	require.Len(t, h, 2)
	require.Equal(t, "alice", h[1].ChangedBy)
	web2, err := svc.For(ctx, "a-web")
	require.NoError(t, err)
	require.Equal(t, "base@2", web2.Revisions)
	require.NotEqual(t, web.ETag, web2.ETag)

	// A command changes the ETag and is delivered until reported.
	again, err := svc.For(ctx, "a-web")
	require.NoError(t, err)
	require.Equal(t, web2.ETag, again.ETag, "an unchanged policy keeps its ETag")
	cs, err := svc.ScanNow(ctx, policy.ScanTarget{Selector: map[string]string{"role": "web"}, Scanner: "host"}, "admin")
	require.NoError(t, err)
	require.Len(t, cs, 1)
	withCmd, err := svc.For(ctx, "a-web")
	require.NoError(t, err)
	require.NotEqual(t, web2.ETag, withCmd.ETag)
	require.Equal(t, []policy.AgentCommand{{ID: cs[0].ID, Action: "scan", Scanner: "host"}}, withCmd.Commands)
	_, err = svc.ScanNow(ctx, policy.ScanTarget{AgentID: "a-web", Scanner: "nfs"}, "admin")
	require.ErrorContains(t, err, "scanner")
	// By source: the agents whose latest scan read it, with that scanner.
	fin := now.Add(-time.Minute)
	require.NoError(t, st.InsertRecords(ctx, []wire.Record{{Kind: wire.KindScan, Source: "ldap", ScanID: "l1", ObservedAt: fin,
		AgentID: "a-db", Scanner: "ldap", StartedAt: &fin, FinishedAt: &fin, Status: wire.StatusOK}}))
	bySource, err := svc.ScanNow(ctx, policy.ScanTarget{Source: "ldap"}, "admin")
	require.NoError(t, err)
	require.Len(t, bySource, 1)
	require.Equal(t, "a-db", bySource[0].AgentID)
	require.Equal(t, "ldap", bySource[0].Scanner)
	_, err = svc.ScanNow(ctx, policy.ScanTarget{Source: "nowhere"}, "admin")
	require.ErrorIs(t, err, policy.ErrInvalid)
	_, err = svc.ScanNow(ctx, policy.ScanTarget{}, "admin")
	require.ErrorIs(t, err, policy.ErrInvalid)

	require.NoError(t, svc.Record(ctx, "a-web", policy.Report{Applied: withCmd.ETag, Revisions: withCmd.Revisions,
		Conflicts: []string{"scans.host.interval"}, Commands: []policy.CommandReport{{ID: cs[0].ID, Status: "done", ScanID: "scan-1"}}}))
	require.ErrorIs(t, svc.Record(ctx, "a-db", policy.Report{Commands: []policy.CommandReport{{ID: cs[0].ID, Status: "done"}}}), policy.ErrInvalid,
		"an agent reports only its own commands")
	after, err := svc.For(ctx, "a-web")
	require.NoError(t, err)
	require.Empty(t, after.Commands)
	sts, err := st.PolicyStatuses(ctx, "a-web")
	require.NoError(t, err)
	require.Equal(t, withCmd.ETag, sts["a-web"].ETag)
	require.Equal(t, []string{"scans.host.interval"}, sts["a-web"].Conflicts)
	require.NotNil(t, sts["a-web"].AppliedAt)
	require.NoError(t, svc.Record(ctx, "a-web", policy.Report{Rejected: `"x"`, RejectedReason: "scans.fs.paths: no"}))
	sts, err = st.PolicyStatuses(ctx, "a-web")
	require.NoError(t, err)
	require.Equal(t, "scans.fs.paths: no", sts["a-web"].RejectedReason)
	require.Equal(t, withCmd.ETag, sts["a-web"].ETag, "a refusal keeps the applied policy")
	cmds, err := st.Commands(ctx, "a-web", 10)
	require.NoError(t, err)
	require.Equal(t, "done", cmds[0].Status)
	require.Equal(t, "scan-1", cmds[0].ScanID)

	// A "running" that arrives after the outcome does not undo it.
	require.NoError(t, svc.Record(ctx, "a-web", policy.Report{Commands: []policy.CommandReport{{ID: cs[0].ID, Status: "running"}}}))
	cmds, err = st.Commands(ctx, "a-web", 10)
	require.NoError(t, err)
	require.Equal(t, "done", cmds[0].Status, "a late running report is ignored")
	require.Equal(t, "scan-1", cmds[0].ScanID)
}
