package api

import (
	"fmt"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/store"
)

// What a found credential can reach: the IAM users whose access keys an
// asset's aws_access_key findings hold (store.KeyOwners), and what each
// may do.

// KeyOwners answers "whose keys does this file hold?".
type KeyOwners struct {
	AssetID  string     `json:"asset_id"`
	Location string     `json:"location"`
	Items    []KeyOwner `json:"items"`
	Total    int        `json:"total"`
}

// KeyOwner is a principal one of whose access keys the asset holds.
type KeyOwner struct {
	Principal Principal `json:"principal"`
	// KeyLastUsed is the latest use of any of the principal's active keys
	// (RFC 3339), "never", or "" when the scanner could not say.
	KeyLastUsed string `json:"access_key_last_used"`
	// Summary says it in one line: "belongs to IAM user bob (privileged:
	// …; key last used …)".
	Summary string `json:"summary"`
}

func (s *Server) assetKeyOwners(c *gin.Context) (any, error) {
	ctx := c.Request.Context()
	a, err := s.o.Store.AssetByID(ctx, c.Param("id"))
	if err != nil {
		return nil, err
	}
	owners, err := s.o.Store.KeyOwners(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	out := KeyOwners{AssetID: a.ID, Location: a.Location, Items: make([]KeyOwner, 0, len(owners)), Total: len(owners)}
	for _, p := range owners {
		used := p.Attributes["access_key_last_used"]
		sum := fmt.Sprintf("belongs to %s %s %s", strings.ToUpper(p.Source), p.Type, p.Name)
		var parts []string
		if p.Privileged {
			parts = append(parts, "privileged: "+strings.Join(p.PrivilegedVia, "; "))
		}
		if used != "" {
			parts = append(parts, "key last used "+used)
		}
		if len(parts) > 0 {
			sum += " (" + strings.Join(parts, "; ") + ")"
		}
		out.Items = append(out.Items, KeyOwner{Principal: principalOf(p), KeyLastUsed: used, Summary: sum})
	}
	return out, nil
}

// KeyFiles answers "where were this principal's keys found?".
type KeyFiles struct {
	PrincipalID string    `json:"principal_id"`
	Name        string    `json:"name"`
	Items       []KeyFile `json:"items"`
	Total       int       `json:"total"`
}

// KeyFile is an asset holding one of the principal's access keys.
type KeyFile struct {
	AssetID  string    `json:"asset_id"`
	Location string    `json:"location"`
	Host     string    `json:"host"`
	Source   string    `json:"source"`
	Count    uint64    `json:"count"`
	LastSeen time.Time `json:"last_seen"`
}

func (s *Server) principalKeyFiles(c *gin.Context) (any, error) {
	ctx := c.Request.Context()
	ps, _, err := s.o.Store.Principals(ctx, store.PrincipalFilter{IDs: []string{c.Param("id")}, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, store.ErrNotFound
	}
	hits, err := s.o.Store.KeyFiles(ctx, ps[0].ID)
	if err != nil {
		return nil, err
	}
	items := each(hits, func(h store.SubjectHit) KeyFile {
		return KeyFile{AssetID: h.AssetID, Location: h.Location, Host: h.Host, Source: h.Source, Count: h.Count, LastSeen: h.ObservedAt}
	})
	return KeyFiles{PrincipalID: ps[0].ID, Name: ps[0].Name, Items: items, Total: len(items)}, nil
}
