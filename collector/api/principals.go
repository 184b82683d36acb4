package api

import (
	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/access"
	"github.com/sightline-dev/sightline/collector/store"
)

// Access: who the principals are, what they hold, who can read what.

// principals answers "privileged accounts on host X" and the like.
func (s *Server) principals(c *gin.Context) (any, error) {
	pg, err := page(c)
	if err != nil {
		return nil, err
	}
	f := store.PrincipalFilter{Host: c.Query("host"), Source: c.Query("source"), Type: c.Query("type"),
		Limit: pg.Limit, Offset: pg.Offset}
	for _, b := range []struct {
		param string
		dst   **bool
	}{{"privileged", &f.Privileged}, {"stale", &f.Stale}, {"disabled", &f.Disabled}, {"mfa", &f.MFA}} {
		if *b.dst, err = boolQuery(c, b.param); err != nil {
			return nil, err
		}
	}
	if f.Hygiene = c.Query("hygiene"); len(f.Hygiene) > 128 {
		return nil, errorf(kindBadRequest, "hygiene must be one flag, such as kerberoastable")
	}
	f.StaleBefore = s.staleness().Before()
	items, total, err := s.o.Store.IndexPrincipals(c.Request.Context(), f)
	if err != nil {
		return nil, err
	}
	return Page[Principal]{Items: each(items, principalOf), Total: total, Limit: f.Limit, Offset: f.Offset}, nil
}

// principalDetail is one principal: why it is privileged, what it holds
// (memberships with their chains, sudo, keys, policies), and the assets
// with personal data it can read.
func (s *Server) principalDetail(c *gin.Context) (any, error) {
	r, err := access.PrincipalReach(c.Request.Context(), s.o.Store, c.Param("id"))
	if err != nil {
		return nil, err
	}
	return PrincipalDetail{PrincipalCore: principalCoreOf(r.Principal), Entitlements: nonNil(r.Entitlements),
		Reachable: each(r.Assets, assetRefOf)}, nil
}

// readers answers "who can read file Y".
func (s *Server) readers(c *gin.Context) (any, error) {
	loc := c.Query("location")
	if loc == "" {
		return nil, errorf(kindBadRequest, "location is required, e.g. file:///srv/hr/people.csv")
	}
	asset, readers, err := access.Readers(c.Request.Context(), s.o.Store, loc, c.Query("host"), c.Query("source"))
	if err != nil {
		return nil, err
	}
	return AssetReaders{AssetID: asset.ID, Location: asset.Location, Host: asset.Host, Owner: asset.Owner,
		Readers: nonNil(readers)}, nil
}
