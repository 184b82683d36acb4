package identity_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/identity"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

var t0 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

func tp(t time.Time) *time.Time { return &t }

func principal(source, host, id string, privileged bool, at time.Time) wire.Record {
	r := wire.Record{Kind: wire.KindPrincipal, Source: source, ScanID: "scan-" + id, ObservedAt: at, Host: host,
		PrincipalID: id, Name: id, PrincipalType: "user", Privileged: privileged}
	if source == wire.SourceLDAP {
		r.PrincipalID, r.Attributes = wire.DirectoryPrincipalID(host, id), map[string]string{"sid": id}
	}
	return r
}

func scan(source, host, scanID string, at time.Time, status string) wire.Record {
	return wire.Record{Kind: wire.KindScan, Source: source, ScanID: scanID, ObservedAt: at, Host: host, Scanner: source,
		StartedAt: tp(at.Add(-time.Minute)), FinishedAt: tp(at), Status: status}
}

func TestAdmit(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := t0
	g := identity.New(identity.Options{Store: st, Now: func() time.Time { return now }})

	t.Run("host-local records take the enrolled host and the token's agent", func(t *testing.T) {
		recs := []wire.Record{principal(wire.SourceHost, "db-1", "u1", true, t0)}
		recs[0].AgentID = "someone-else"
		require.NoError(t, g.Admit(ctx, "agent-b", "web-2", recs))
		require.Equal(t, "web-2", recs[0].Host)
		require.Equal(t, "agent-b", recs[0].AgentID)
	})

	t.Run("times ahead of the collector's clock are refused with line and field", func(t *testing.T) {
		for _, tc := range []struct {
			name, field string
			rec         wire.Record
		}{
			{"observed_at", "observed_at", principal(wire.SourceHost, "h", "u", false, t0.AddDate(74, 0, 0))},
			{"finished_at", "finished_at", func() wire.Record {
				r := scan(wire.SourceHost, "h", "s-fut", t0, wire.StatusOK)
				r.FinishedAt = tp(t0.Add(time.Hour))
				return r
			}()},
		} {
			recs := []wire.Record{principal(wire.SourceHost, "h", "ok", false, t0), tc.rec}
			err := g.Admit(ctx, "agent-a", "h", recs)
			var le *wire.LineError
			require.ErrorAs(t, err, &le, tc.name)
			require.Equal(t, 2, le.Line)
			require.Equal(t, tc.field, le.Field)
		}
		// A little skew is tolerated.
		require.NoError(t, g.Admit(ctx, "agent-a", "h", []wire.Record{principal(wire.SourceHost, "h", "u", false, t0.Add(4*time.Minute))}))
	})

	t.Run("the first agent to report a shared source is its authority", func(t *testing.T) {
		require.NoError(t, g.Admit(ctx, "agent-a", "a-host", []wire.Record{principal(wire.SourceLDAP, "dc1.corp:636", "sid-1", true, t0)}))
		err := g.Admit(ctx, "agent-b", "b-host", []wire.Record{
			principal(wire.SourceHost, "x", "local", false, t0),
			principal(wire.SourceLDAP, "dc1.corp:636", "sid-1", false, t0)})
		var ref *identity.RefusedError
		require.ErrorAs(t, err, &ref)
		require.Equal(t, 2, ref.Line)
		require.Contains(t, ref.Msg, "agent-a is the authority for ldap source \"dc1.corp:636\"")
		// Another server is another source: agent-b may claim it.
		require.NoError(t, g.Admit(ctx, "agent-b", "b-host", []wire.Record{principal(wire.SourceLDAP, "dc2.corp:636", "sid-9", true, t0)}))
		a, err := st.GetAuthority(ctx, wire.SourceLDAP, "dc1.corp:636")
		require.NoError(t, err)
		require.Equal(t, "agent-a", a.AgentID)
		require.Equal(t, identity.FirstReport, a.SetBy)
	})

	t.Run("a batch may name only a few shared sources", func(t *testing.T) {
		var recs []wire.Record
		for i := 0; i <= identity.MaxSharedScopes; i++ {
			recs = append(recs, principal(wire.SourceLDAP, fmt.Sprintf("guess-%d.corp:636", i), "sid", false, t0))
		}
		var le *wire.LineError
		require.ErrorAs(t, g.Admit(ctx, "agent-c", "c-host", recs), &le)
		require.Equal(t, identity.MaxSharedScopes+1, le.Line)
		as, err := st.ListAuthorities(ctx)
		require.NoError(t, err)
		for _, a := range as {
			require.NotEqual(t, "agent-c", a.AgentID, "a refused batch claims nothing")
		}
	})

	t.Run("a scan id belongs to the agent that reported it", func(t *testing.T) {
		rec := scan(wire.SourceHost, "a-host", "scan-owned", t0, wire.StatusOK)
		rec.AgentID = "agent-a"
		require.NoError(t, st.InsertRecords(ctx, []wire.Record{rec}))
		err := g.Admit(ctx, "agent-b", "b-host", []wire.Record{scan(wire.SourceHost, "b-host", "scan-owned", t0, wire.StatusFailed)})
		var ref *identity.RefusedError
		require.ErrorAs(t, err, &ref)
		require.Contains(t, ref.Msg, "scan_id")
		require.NoError(t, g.Admit(ctx, "agent-a", "a-host", []wire.Record{scan(wire.SourceHost, "a-host", "scan-owned", t0, wire.StatusOK)}))
	})
}

// TestSetAuthorityRetiresFormerRows: moving a source's authority makes the
// former authority's rows for it stop being current at once, and lets the
// new authority report.
func TestSetAuthorityRetiresFormerRows(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := t0.Add(time.Hour)
	g := identity.New(identity.Options{Store: st, Now: func() time.Time { return now }})

	recs := []wire.Record{principal(wire.SourceLDAP, "dc1", "sid-1", true, t0), scan(wire.SourceLDAP, "dc1", "scan-sid-1", t0, wire.StatusOK)}
	require.NoError(t, g.Admit(ctx, "agent-a", "a-host", recs))
	require.NoError(t, st.InsertRecords(ctx, recs))
	require.Equal(t, []string{wire.DirectoryPrincipalID("dc1", "sid-1")}, currentPrincipals(t, st))

	_, err := g.SetAuthority(ctx, "smtp", "x", "agent-b", "admin")
	require.ErrorIs(t, err, identity.ErrBadRequest, "unknown sources have no authority")

	prev, err := g.SetAuthority(ctx, wire.SourceLDAP, "dc1", "agent-b", "token abc")
	require.NoError(t, err)
	require.Equal(t, "agent-a", prev.AgentID)
	require.Empty(t, currentPrincipals(t, st), "the former authority's rows are no longer current")

	var ref *identity.RefusedError
	require.ErrorAs(t, g.Admit(ctx, "agent-a", "a-host", []wire.Record{principal(wire.SourceLDAP, "dc1", "sid-1", true, now)}), &ref)
	newer := []wire.Record{principal(wire.SourceLDAP, "dc1", "sid-1", true, now), scan(wire.SourceLDAP, "dc1", "scan-b", now, wire.StatusOK)}
	require.NoError(t, g.Admit(ctx, "agent-b", "b-host", newer))
	require.NoError(t, st.InsertRecords(ctx, newer))
	require.Equal(t, []string{wire.DirectoryPrincipalID("dc1", "sid-1")}, currentPrincipals(t, st))
	as, err := g.Authorities(ctx)
	require.NoError(t, err)
	require.Len(t, as, 1)
	require.Equal(t, store.Authority{Source: "ldap", Scope: "dc1", AgentID: "agent-b", SetBy: "token abc", SetAt: now}, as[0])
}

// TestOneAgentSpeaksForAHostName: host-local ids are derived from the
// enrolled host name, so two agents enrolled with one name (in any case,
// with or without a trailing dot) would speak for the same files and
// accounts. The first to report them does; the other's host and fs
// records are refused until an admin moves the name to it, which retires
// the former agent's rows of both sources.
func TestOneAgentSpeaksForAHostName(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := t0.Add(time.Hour)
	g := identity.New(identity.Options{Store: st, Now: func() time.Time { return now }})
	hostRecs := func(host, id string, at time.Time) []wire.Record {
		return []wire.Record{principal(wire.SourceHost, host, id, true, at), scan(wire.SourceHost, host, "scan-h-"+id, at, wire.StatusOK)}
	}
	fsRecs := func(host, scanID string, at time.Time) []wire.Record {
		a := wire.Record{Kind: wire.KindAsset, Source: wire.SourceFS, ScanID: scanID, ObservedAt: at,
			AssetType: "file", Location: "file:///srv/a.csv"}
		return []wire.Record{a, scan(wire.SourceFS, host, scanID, at, wire.StatusOK)}
	}
	admit := func(agent, host string, recs []wire.Record) error {
		err := g.Admit(ctx, agent, host, recs)
		if err == nil {
			require.NoError(t, st.InsertRecords(ctx, recs))
		}
		return err
	}
	require.NoError(t, admit("agent-a", "Web-1", hostRecs("Web-1", "u1", t0)))
	require.NoError(t, admit("agent-a", "Web-1", fsRecs("Web-1", "scan-fs-a", t0)))
	for _, name := range []string{"web-1", "WEB-1.", "Web-1"} {
		for _, recs := range [][]wire.Record{hostRecs(name, "u2", t0), fsRecs(name, "scan-fs-b", t0)} {
			var ref *identity.RefusedError
			require.ErrorAs(t, admit("agent-b", name, recs), &ref, "agent-b enrolled as %q", name)
			require.Equal(t, 1, ref.Line)
			require.Contains(t, ref.Msg, "PUT /api/v1/authorities/host/web-1")
		}
	}
	require.NoError(t, admit("agent-b", "web-2", hostRecs("web-2", "u3", t0)), "another name is another host")
	require.Len(t, currentPrincipals(t, st), 2)

	files := func() uint64 {
		var n uint64
		require.NoError(t, st.Conn().QueryRow(ctx, "SELECT count() FROM `"+st.Database()+"`.current_assets WHERE agent_id = 'agent-a'").Scan(&n))
		return n
	}
	require.EqualValues(t, 1, files())

	_, err := g.SetAuthority(ctx, wire.SourceHost, "", "agent-b", "admin")
	require.NoError(t, err) // an empty host name is a name (agents may enroll without one)
	prev, err := g.SetAuthority(ctx, wire.SourceFS, "WEB-1.", "agent-b", "token abc")
	require.NoError(t, err)
	require.Equal(t, "agent-a", prev.AgentID, "fs and host name one scope")
	require.Equal(t, []string{wire.LocalPrincipalID("web-2", "user", "u3")}, currentPrincipals(t, st),
		"agent-a's host rows are no longer current")
	require.Zero(t, files(), "nor are its fs rows")
	var ref *identity.RefusedError
	require.ErrorAs(t, admit("agent-a", "Web-1", hostRecs("Web-1", "u1", now)), &ref, "the former agent no longer speaks for web-1")
	require.NoError(t, admit("agent-b", "web-1.", hostRecs("web-1.", "u2", now)))
	as, err := g.Authorities(ctx)
	require.NoError(t, err)
	var hosts []string
	for _, a := range as {
		if a.Source == wire.SourceHost {
			hosts = append(hosts, a.Scope+"="+a.AgentID)
		}
	}
	require.Equal(t, []string{"=agent-b", "web-1=agent-b", "web-2=agent-b"}, hosts)
}

func currentPrincipals(t *testing.T, st *store.Store) []string {
	t.Helper()
	var rows []struct {
		ID string `ch:"principal_id"`
	}
	require.NoError(t, st.Conn().Select(context.Background(), &rows,
		"SELECT principal_id FROM `"+st.Database()+"`.current_principals ORDER BY principal_id"))
	out := []string{}
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

// TestAdmitDerivesIDs: the ids a record gives itself are the collector's,
// derived from what the record says within the scope its agent may speak
// for; ids it names of others (an entitlement's) are left to the access
// map. An honest scanner's records are unchanged (each scanner's tests
// check theirs with wiretest.RequireValid).
func TestAdmitDerivesIDs(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	t0 := time.Now().UTC().Add(-time.Minute)
	g := identity.New(identity.Options{Store: st})
	victimFile := wire.AssetID(wire.SourceFS, "db-1", "file:///srv/hr/payroll.csv")
	victimGroup := wire.LocalPrincipalID("db-1", "group", "sudo")
	env := func(kind, source, host string) wire.Record {
		return wire.Record{Kind: kind, Source: source, ScanID: "s-" + source, ObservedAt: t0, Host: host}
	}
	asset := env(wire.KindAsset, wire.SourceFS, "db-1") // the host is the enrolled one's, whatever it says
	asset.AssetID, asset.AssetType, asset.Location = victimFile, "file", "file:///srv/hr/payroll.csv"
	found := env(wire.KindPII, wire.SourceFS, "")
	found.AssetID, found.Location, found.Type, found.Category, found.Count = victimFile, "file:///srv/hr/payroll.csv", "email", "contact", 1
	group := env(wire.KindPrincipal, wire.SourceHost, "")
	group.PrincipalID, group.Name, group.PrincipalType = victimGroup, "sudo", "group"
	column := env(wire.KindPII, wire.SourceDB, "pg:5432")
	column.AssetID, column.Location, column.Type, column.Category, column.Count = "x", "postgres://pg:5432/app/public/users#email", "email", "contact", 1
	role := env(wire.KindPrincipal, wire.SourceDB, "pg:5432")
	role.PrincipalID, role.Name, role.PrincipalType = wire.DBPrincipalID("other:5432", "admin"), "admin", "role"
	foreign := env(wire.KindPrincipal, wire.SourceIAM, "111111111111")
	foreign.PrincipalID, foreign.Name, foreign.PrincipalType = wire.IAMPrincipalID("222222222222", "arn:aws:iam::222222222222:user/ceo"), "ceo", "user"
	foreign.Attributes = map[string]string{"arn": "arn:aws:iam::222222222222:user/ceo"}
	everyone := env(wire.KindPrincipal, wire.SourceSMB, "fs1")
	everyone.PrincipalID, everyone.Name, everyone.PrincipalType, everyone.Privileged = wire.DirectoryPrincipalID("dc.corp", "S-1-1-0"), "Everyone", "group", true
	everyone.Attributes = map[string]string{"sid": "S-1-1-0", "directory": "dc.corp"}
	alice := env(wire.KindPrincipal, wire.SourceSMB, "fs1")
	alice.PrincipalID, alice.Name, alice.PrincipalType = wire.DirectoryPrincipalID("dc.corp", "S-1-5-21-1-2-3-1104"), "alice", "user"
	alice.Attributes = map[string]string{"sid": "S-1-5-21-1-2-3-1104", "directory": "dc.corp"}
	grant := env(wire.KindEntitlement, wire.SourceFS, "")
	grant.PrincipalID, grant.ResourceID, grant.ResourceType, grant.Permission = victimGroup, victimFile, "file", "read"
	recs := []wire.Record{asset, found, group, column, role, foreign, grant, everyone, alice}
	for i := range recs {
		require.NoError(t, recs[i].Validate(), "record %d", i)
	}
	require.NoError(t, g.Admit(ctx, "agent-web", "web-9", recs))

	own := wire.AssetID(wire.SourceFS, "web-9", "file:///srv/hr/payroll.csv")
	require.Equal(t, own, recs[0].AssetID, "an fs asset is the enrolled host's file")
	require.Equal(t, own, recs[1].AssetID, "and so are its findings")
	require.Equal(t, wire.LocalPrincipalID("web-9", "group", "sudo"), recs[2].PrincipalID, "a host group is the host's own")
	require.Equal(t, wire.AssetID(wire.SourceDB, "pg:5432", "postgres://pg:5432/app/public/users"), recs[3].AssetID, "a column's findings are its table's")
	require.Equal(t, wire.DBPrincipalID("pg:5432", "admin"), recs[4].PrincipalID, "a role is the scanned server's")
	require.NotEqual(t, foreign.PrincipalID, recs[5].PrincipalID, "one account's authority cannot speak for another's identities")
	require.Equal(t, wire.IAMPrincipalID("111111111111", "arn:aws:iam::111111111111:user/ceo"),
		wire.StableID(wire.SourceIAM, "arn:aws:iam::111111111111:user/ceo"), "the account's own identities keep the id bucket policies name")
	require.Equal(t, []string{victimGroup, victimFile}, []string{recs[6].PrincipalID, recs[6].ResourceID}, "references are the access map's to judge")
	require.Equal(t, everyone.PrincipalID, recs[7].PrincipalID, "a share names a well-known SID under the directory's id")
	require.False(t, recs[7].Privileged, "but whether it is privileged is the directory's to say")
	require.NotEqual(t, alice.PrincipalID, recs[8].PrincipalID, "a share cannot speak for a directory account")
}
