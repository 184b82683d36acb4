package store

import (
	"context"
	"time"
)

// PrincipalExposure is what the principal risk model needs to know of one
// current principal.
type PrincipalExposure struct {
	ID, Name, Type, Source, Host string
	Enabled                      *bool
	Privileged                   bool
	PrivilegedVia                []string
	MFA                          *bool
	LastLogin, Created           *time.Time
	Stale                        bool
	Hygiene                      []string
	// ReadableAssets counts the assets holding current personal data it can
	// read or write (principalReachSQL in reach.go, at index build).
	ReadableAssets uint64
}

// PrincipalExposures lists every current principal with anything the risk
// model scores: privileged, a hygiene flag, stale (see
// PrincipalFilter.StaleBefore) or personal data within reach. Principals
// with none of these are left out: they score 0. It reads the newest
// build of the read index.
func (s *Store) PrincipalExposures(ctx context.Context, staleBefore time.Time) ([]PrincipalExposure, error) {
	var rows []struct {
		principalRow
		Created  time.Time `ch:"created"`
		Readable uint64    `ch:"readable"`
	}
	// From the read index's build (idx_principals, index_lists.go), which
	// stores each principal with its reach: folding current_principals
	// here read every principal twice per request.
	q := `WITH ? AS stale_cutoff
		SELECT ` + idxPrincipalRowColumns + `, created, readable
		FROM {db}.idx_principals
		WHERE gen = ` + curGen + ` AND (privileged = 1 OR notEmpty(hygiene) OR stale = 1 OR readable > 0)
		ORDER BY principal_id`
	if err := s.conn.Select(ctx, &rows, s.sql(q), staleCutoff(staleBefore)); err != nil {
		return nil, s.wrap("reading principal exposures", err)
	}
	out := make([]PrincipalExposure, len(rows))
	for i, r := range rows {
		out[i] = PrincipalExposure{ID: r.ID, Name: r.Name, Type: r.Type, Source: r.Source, Host: r.Host,
			Enabled: optBool(r.Enabled), Privileged: r.Privileged == 1, PrivilegedVia: r.Via, MFA: optBool(r.MFA),
			LastLogin: optTime(r.LastLogin), Created: optTime(r.Created), Stale: r.Stale == 1, Hygiene: r.Hygiene,
			ReadableAssets: r.Readable}
	}
	return out, nil
}
