package api

import (
	"fmt"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/incident"
	"github.com/sightline-dev/sightline/collector/subjects"
)

// Privacy: where a person appears, what an incident exposed.

// subjectNote tells the caller what a search cannot see.
const subjectNote = "each asset keeps the tokens of its first 100 distinct values per type; a person beyond those in a large file is counted there but not listed"

// subjectSearch answers a data-subject request. The identifiers are never
// logged or echoed: matches name them by their index in the request. Each
// API token may search a bounded number of identifiers per hour, so the
// search cannot confirm guesses at scale; every search is audited with
// the number and types of its identifiers.
func (s *Server) subjectSearch(c *gin.Context) (any, error) {
	var req struct {
		Identifiers []subjects.Identifier `json:"identifiers"`
	}
	if err := decodeJSON(c, 64<<10, &req); err != nil {
		return nil, err
	}
	c.Set("audit_params", identifierTypes(req.Identifiers))
	if err := s.takeSubjectBudget(c, len(req.Identifiers)); err != nil {
		return nil, err
	}
	res, err := subjects.SearchAll(c.Request.Context(), s.o.Store, s.o.Fleet.Keys(), req.Identifiers)
	if err != nil {
		return nil, err
	}
	out := each(res.Matches, func(m subjects.Match) SubjectMatch {
		return SubjectMatch{Identifiers: m.Identifiers, AssetID: m.AssetID, Location: m.Location, Host: m.Host,
			Source: m.Source, Type: m.Type, Count: m.Count, LastSeen: m.LastSeen}
	})
	invalid := each(res.Invalid, func(i subjects.Invalid) SubjectInvalid {
		return SubjectInvalid{Index: i.Index, Type: i.Type, Reason: i.Reason}
	})
	return SubjectSearch{Matches: out, Total: len(out), Invalid: invalid, Note: subjectNote}, nil
}

// SubjectInvalid is an identifier a search left out, by its index in the
// request (never its value), and why.
type SubjectInvalid struct {
	Index  int    `json:"index"`
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

// incidentImpact answers "what personal data did this expose?".
func (s *Server) incidentImpact(c *gin.Context) (any, error) {
	var req incident.Request
	if err := decodeJSON(c, 1<<20, &req); err != nil {
		return nil, err
	}
	if err := req.Check(); err != nil {
		return nil, err
	}
	c.Set("audit_params", fmt.Sprintf("hosts=%s assets=%d locations=%s principals=%d",
		strings.Join(req.Hosts, ","), len(req.Assets), strings.Join(req.Locations, ","), len(req.Principals)))
	im, err := incident.Assess(c.Request.Context(), s.o.Store, req)
	if err != nil {
		return nil, err
	}
	return Impact{
		Types: each(im.Types, func(t incident.Type) ImpactType {
			return ImpactType{Category: t.Category, Type: t.Type, Assets: t.Assets, Hosts: t.Hosts, Occurrences: t.Records,
				PeopleAtLeast: t.PeopleAtLeast, PeopleAtMost: t.PeopleAtMost, IssuingCountries: t.IssuingCountries}
		}),
		Occurrences: im.Records,
		Rules:       each(im.Rules, func(r incident.Rule) Rule { return Rule{Name: r.Name, Action: r.Action, Because: r.Because} }),
	}, nil
}
