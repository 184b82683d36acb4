package api

import (
	"context"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/clip"
)

// maxAuditParams bounds the parameters an audit entry keeps: a caller
// chooses its query string (up to the server's 1 MiB of headers), and
// every listing of the audit log returns what was kept.
const maxAuditParams = 2048

// audit writes an audit entry for the call once it is answered: the token
// (name, role, a prefix of its hash), the route, its query parameters or
// what the handler set as "audit_params" (never a searched identifier),
// the status; the parameters are clipped to maxAuditParams bytes. The entry is written even when the client has gone; a
// failure to write it is logged as an error and counted.
func (s *Server) audit(c *gin.Context) {
	c.Next()
	if _, ok := c.Get("token"); !ok {
		// Unauthenticated: nobody to attribute the call to, and logging it
		// would let anyone fill the audit log.
		return
	}
	e := store.AuditEntry{At: time.Now().UTC(), Method: c.Request.Method, Route: c.FullPath(),
		Params: c.Request.URL.RawQuery, Status: uint16(c.Writer.Status()), Result: "ok"}
	if v, ok := c.Get("audit_params"); ok {
		e.Params, _ = v.(string)
	}
	e.Params = clip.String(e.Params, maxAuditParams)
	if e.Status >= 400 {
		e.Result = "error"
	}
	if v, ok := c.Get("token"); ok {
		if t, ok := v.(store.Token); ok {
			e.TokenName, e.TokenRole = t.Name, t.Role
			e.TokenID = tokenID(t)
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 5*time.Second)
	defer cancel()
	if err := s.o.Store.AppendAudit(ctx, e); err != nil {
		s.o.Logger.Error("audit entry not written", "route", e.Route, "status", e.Status, "err", err)
	}
}

// auditLog lists audit entries, newest first (admins only).
func (s *Server) auditLog(c *gin.Context) (any, error) {
	pg, err := page(c)
	if err != nil {
		return nil, err
	}
	items, total, err := s.o.Store.Audit(c.Request.Context(), pg.Limit, pg.Offset)
	if err != nil {
		return nil, err
	}
	return Page[AuditEntry]{Items: nonNil(items), Total: total, Limit: pg.Limit, Offset: pg.Offset}, nil
}
