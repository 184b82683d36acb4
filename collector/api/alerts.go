package api

import (
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/alerts"
	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/store"
)

// Alerts and events (collector/alerts): the configured rules, the events
// they fired and the delivery log. Events name locations of personal
// data, so reads are audited; they are the read roles' (admin, security,
// privacy).
func (s *Server) alertRoutes(v1 *gin.RouterGroup) {
	h := s.handle
	g := v1.Group("/alerts", s.requireRole(auth.RoleAdmin, auth.RoleSecurity, auth.RolePrivacy), s.audit)
	g.GET("/rules", h(s.alertRules))
	g.GET("/events", h(s.alertEvents))
	g.GET("/deliveries", h(s.alertDeliveries))
}

func (s *Server) alertRules(*gin.Context) (any, error) {
	if s.o.Alerts == nil {
		return listOf([]AlertRule{}), nil
	}
	return listOf(s.o.Alerts.Rules()), nil
}

// alertLimit reads ?limit= (default and most: store.MaxAlertRows).
func alertLimit(c *gin.Context) (int, error) {
	n, err := intQuery(c, "limit", store.MaxAlertRows, store.MaxAlertRows)
	if err == nil && n == 0 {
		err = errorf(kindBadRequest, "limit must be at least 1")
	}
	return n, err
}

func (s *Server) alertEvents(c *gin.Context) (any, error) {
	return alertLog(c, s.o.Alerts == nil, func(limit int) ([]AlertEvent, error) {
		return s.eventsFor(c, c.Query("rule"), limit)
	})
}

// eventsFor lists the newest events (rule: that rule's only) of the kinds
// the caller's role may see (alertKindRoles). A role kept from some kinds
// reads the rules of the other kinds one by one, so the limit still
// counts events it may see.
func (s *Server) eventsFor(c *gin.Context, rule string, limit int) ([]alerts.Event, error) {
	role := tokenOf(c).Role
	rules := []string{rule}
	if rule == "" && role != auth.RoleAdmin {
		rules = rules[:0]
		for _, r := range s.o.Alerts.Rules() {
			if alertKindVisible(r.Kind, role) {
				rules = append(rules, r.Name)
			}
		}
	}
	evs := []alerts.Event{}
	for _, r := range rules {
		got, err := s.o.Alerts.Events(c.Request.Context(), r, limit)
		if err != nil {
			return nil, err
		}
		for _, e := range got {
			if alertKindVisible(e.Kind, role) {
				evs = append(evs, e)
			}
		}
	}
	if len(rules) > 1 {
		slices.SortStableFunc(evs, func(a, b alerts.Event) int { return b.FiredAt.Compare(a.FiredAt) })
	}
	return evs[:min(len(evs), limit)], nil
}

// alertKindRoles are the kinds of event whose subject only some read
// roles may see through their own routes: request cases and PIAs are the
// privacy office's (admin, privacy), review reminders and revocations the
// review team's (admin, security). Other kinds: every read role.
var alertKindRoles = map[string][]string{
	alerts.KindDSRDeadline:       {auth.RoleAdmin, auth.RolePrivacy},
	alerts.KindPIAReview:         {auth.RoleAdmin, auth.RolePrivacy},
	alerts.KindReviewReminder:    {auth.RoleAdmin, auth.RoleSecurity},
	alerts.KindOverdueRevocation: {auth.RoleAdmin, auth.RoleSecurity},
}

func alertKindVisible(kind, role string) bool {
	roles, ok := alertKindRoles[kind]
	return !ok || slices.Contains(roles, role)
}

func (s *Server) alertDeliveries(c *gin.Context) (any, error) {
	return alertLog(c, s.o.Alerts == nil, func(limit int) ([]AlertDelivery, error) {
		ds, err := s.o.Alerts.Deliveries(c.Request.Context(), c.Query("event_id"), limit)
		return each(ds, alertDeliveryOf), err
	})
}

// alertLog answers a list from one of the alerts' logs (events,
// deliveries), read with ?limit= (alertLimit); an empty one when the
// collector has no alerts (none).
func alertLog[T any](c *gin.Context, none bool, read func(limit int) ([]T, error)) (any, error) {
	limit, err := alertLimit(c)
	if err != nil {
		return nil, err
	}
	if none {
		return listOf([]T{}), nil
	}
	rows, err := read(limit)
	if err != nil {
		return nil, err
	}
	return listOf(rows), nil
}

func alertDeliveryOf(d store.AlertDelivery) AlertDelivery {
	out := AlertDelivery{EventID: d.EventID, Destination: d.Destination, Attempt: d.Attempt, Status: d.Status,
		Error: d.Error, At: d.At.UTC()}
	if d.Status == store.DeliveryRetrying || d.Status == store.DeliveryPending {
		t := d.NextTry.UTC()
		out.NextTry = &t
	}
	return out
}
