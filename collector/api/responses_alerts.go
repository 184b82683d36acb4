package api

import (
	"time"

	"github.com/sightline-dev/sightline/collector/alerts"
)

// Response bodies of alerts: rules, events, the delivery log.

// AlertRule is a configured rule and whether it can fire.
type AlertRule = alerts.RuleStatus

// AlertEvent is a fired event as destinations receive it (ids,
// locations, counts, types: no raw value).
type AlertEvent = alerts.Event

// AlertDelivery is one row of the delivery log: attempt 0 is the event
// queued; each later row an attempt, its outcome and, when it will be
// retried, when.
type AlertDelivery struct {
	EventID     string     `json:"event_id"`
	Destination string     `json:"destination"`
	Attempt     uint32     `json:"attempt"`
	Status      string     `json:"status"`
	Error       string     `json:"error,omitempty"`
	At          time.Time  `json:"at"`
	NextTry     *time.Time `json:"next_try,omitempty"`
}
