package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/risk"
	"github.com/sightline-dev/sightline/collector/store"
)

// DefaultStaleAfter is when an account without a login becomes stale.
const DefaultStaleAfter = 90 * 24 * time.Hour

func (s *Server) staleness() risk.Staleness {
	return risk.Staleness{Now: s.o.Now().UTC(), After: s.o.StaleAfter}
}

func factorsJSON(fs []risk.Factor) []gin.H {
	out := make([]gin.H, 0, len(fs))
	for _, f := range fs {
		out = append(out, gin.H{"factor": f.Name, "points": f.Points})
	}
	return out
}

func registerError(err error) error {
	if errors.Is(err, risk.ErrInvalid) {
		return errorf(kindBadRequest, err.Error())
	}
	return err
}

// riskPrincipals lists the riskiest principals, each score with its
// factors.
func (s *Server) riskPrincipals(c *gin.Context) {
	page, err := s.filter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	scores, err := risk.TopPrincipals(c.Request.Context(), s.o.Store, s.staleness(), page.Limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]gin.H, 0, len(scores))
	for _, sc := range scores {
		out = append(out, gin.H{"principal_id": sc.PrincipalID, "name": sc.Name, "principal_type": sc.Type, "source": sc.Source,
			"host": sc.Host, "score": sc.Score, "factors": factorsJSON(sc.Factors)})
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

// riskRegister is the unified register: asset and principal risks, highest
// first, with owner and status.
func (s *Server) riskRegister(c *gin.Context) {
	page, err := s.filter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, err := risk.Register(c.Request.Context(), s.o.Store, risk.RegisterQuery{Limit: page.Limit,
		Status: c.Query("status"), Kind: c.Query("kind"), Stale: s.staleness()})
	if err != nil {
		s.fail(c, registerError(err))
		return
	}
	out := make([]gin.H, 0, len(items))
	for _, it := range items {
		h := gin.H{"kind": it.Kind, "id": it.ID, "title": it.Title, "host": it.Host, "source": it.Source,
			"score": it.Score, "factors": factorsJSON(it.Factors), "owner": it.Owner, "status": it.Status}
		if it.Kind == risk.KindAsset {
			h["location"] = it.Title
		} else {
			h["name"] = it.Title
		}
		if it.ChangedAt != nil {
			h["changed_by"], h["changed_at"], h["comment"] = it.ChangedBy, it.ChangedAt, it.Comment
		}
		out = append(out, h)
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

// updateRegister sets an item's owner and/or status.
func (s *Server) updateRegister(c *gin.Context) {
	var req struct {
		Owner   *string `json:"owner"`
		Status  *string `json:"status"`
		Comment string  `json:"comment"`
	}
	if err := decodeJSON(http.MaxBytesReader(c.Writer, c.Request.Body, 16<<10), &req); err != nil {
		s.fail(c, err)
		return
	}
	status := ""
	if req.Status != nil {
		status = *req.Status
	}
	// Neither the owner nor the comment is logged: free text.
	c.Set("audit_params", "kind="+c.Param("kind")+" id="+c.Param("id")+" status="+status+
		" owner_set="+strconv.FormatBool(req.Owner != nil))
	e, err := risk.Update(c.Request.Context(), s.o.Store, risk.Change{Kind: c.Param("kind"), ID: c.Param("id"),
		Owner: req.Owner, Status: req.Status, Comment: req.Comment, By: tokenOf(c).Name, At: s.o.Now()})
	if err != nil {
		s.fail(c, registerError(err))
		return
	}
	c.JSON(http.StatusOK, entryJSON(e))
}

// registerHistory lists an item's owner and status changes, oldest first.
func (s *Server) registerHistory(c *gin.Context) {
	hist, err := risk.History(c.Request.Context(), s.o.Store, c.Param("kind"), c.Param("id"))
	if err != nil {
		s.fail(c, registerError(err))
		return
	}
	out := make([]gin.H, 0, len(hist))
	for _, e := range hist {
		out = append(out, entryJSON(e))
	}
	c.JSON(http.StatusOK, gin.H{"kind": c.Param("kind"), "id": c.Param("id"), "history": out})
}

func entryJSON(e store.RegisterEntry) gin.H {
	return gin.H{"kind": e.Kind, "id": e.ItemID, "owner": e.Owner, "status": e.Status, "comment": e.Comment,
		"changed_by": e.ChangedBy, "changed_at": e.ChangedAt}
}
