// Package wiretest holds the checks every scanner's tests make of the
// records it emits.
package wiretest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/wire"
)

// RequireValid requires r to validate and to name the ids the collector
// derives for it (wire.DeriveIDs): the collector replaces any other, and a
// scanner whose ids differ from the rule would find its own references
// (a grant on its file, a member of its group) pointing nowhere.
func RequireValid(t testing.TB, r *wire.Record, msgAndArgs ...any) {
	t.Helper()
	require.NoError(t, r.Validate(), msgAndArgs...)
	c := *r
	require.False(t, wire.DeriveIDs(&c), "a %s %s record names an id the collector would replace (asset %q, principal %q → asset %q, principal %q)",
		r.Source, r.Kind, r.AssetID, r.PrincipalID, c.AssetID, c.PrincipalID)
}

// Derive gives records written by hand (a test's fixture) the ids the
// collector derives, as a scanner would have named them: host-local
// records take host (the agent's enrolled name, as the collector sets
// it), each record's own ids are wire.DeriveIDs', and every entitlement
// naming an id a record had is rewritten to match. It returns the map
// from the fixture's ids to the derived ones (ids unchanged map to
// themselves), for the test's later references.
func Derive(recs []wire.Record, host string) map[string]string {
	ids := map[string]string{}
	for i := range recs {
		r := &recs[i]
		if r.Source == wire.SourceFS || r.Source == wire.SourceHost {
			r.Host = host
		}
		asset, principal := r.AssetID, r.PrincipalID
		wire.DeriveIDs(r)
		if asset != "" && r.Kind != wire.KindEntitlement {
			ids[asset] = r.AssetID
		}
		if principal != "" && r.Kind == wire.KindPrincipal {
			ids[principal] = r.PrincipalID
		}
	}
	for i := range recs {
		if r := &recs[i]; r.Kind == wire.KindEntitlement {
			if v, ok := ids[r.PrincipalID]; ok {
				r.PrincipalID = v
			}
			if v, ok := ids[r.ResourceID]; ok {
				r.ResourceID = v
			}
		}
	}
	return ids
}
