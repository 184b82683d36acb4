package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Retention says how long history is kept (collector/store/retention.go):
// months older than this are dropped whole, never current state. Written
// as a number and a unit: d (days), w (weeks), y (365 days), e.g. 400d or
// 2y. Empty or 0: kept forever.
type Retention struct {
	// History bounds risk_history (the dashboards' risk over time).
	History string `yaml:"history"`
	// Audit bounds the audit log.
	Audit string `yaml:"audit"`
	// HistoryAge and AuditAge are History and Audit parsed by Load
	// (0: forever).
	HistoryAge time.Duration `yaml:"-"`
	AuditAge   time.Duration `yaml:"-"`
}

// minRetention: less than two months would drop the month still being
// written at each month's start.
const minRetention = 62 * 24 * time.Hour

// maxRetentionDays bounds the number so the duration cannot overflow.
const maxRetentionDays = 100 * 365

// ParseRetention reads a retention such as 400d, 12w or 2y.
func ParseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	if len(s) < 2 || len(s) > 8 {
		return 0, fmt.Errorf("%q: write a number and a unit d, w or y, such as 400d or 2y", s)
	}
	n, err := strconv.ParseUint(s[:len(s)-1], 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q: write a number and a unit d, w or y, such as 400d or 2y", s)
	}
	days := n
	switch s[len(s)-1] {
	case 'd':
	case 'w':
		days = n * 7
	case 'y':
		days = n * 365
	default:
		return 0, fmt.Errorf("%q: the unit must be d (days), w (weeks) or y (years)", s)
	}
	if days > maxRetentionDays {
		return 0, fmt.Errorf("%q: at most 100 years; leave it empty to keep forever", s)
	}
	d := time.Duration(days) * 24 * time.Hour
	if d < minRetention {
		return 0, fmt.Errorf("%q: at least 62d (whole months are dropped, and the current one is still being written)", s)
	}
	return d, nil
}

func (r *Retention) parse() error {
	var err error
	if r.HistoryAge, err = ParseRetention(r.History); err != nil {
		return fmt.Errorf("retention.history: %w", err)
	}
	if r.AuditAge, err = ParseRetention(r.Audit); err != nil {
		return fmt.Errorf("retention.audit: %w", err)
	}
	return nil
}
