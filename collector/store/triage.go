package store

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Tuning detection (migration 0017): custom detector definitions, allow
// rules and finding triage. The one place where they change what readers
// see is visibleFindingsSQL below: the read index's "current findings"
// step reads it instead of current_pii_findings, so the asset list and
// detail, the finding list, the data map, summary, risk, breach impact
// and subject search all honour them through the index, each without a
// filter of its own.

// DetectorRevision is one stored revision of a custom detector
// (collector/detectors says what the fields mean): a row of detectors.
type DetectorRevision struct {
	ID         string    `ch:"detector_id"`
	Revision   uint32    `ch:"revision"`
	Definition string    `ch:"definition"` // JSON of a pii.Definition
	Deleted    bool      `ch:"deleted"`
	ChangedBy  string    `ch:"changed_by"`
	ChangedAt  time.Time `ch:"changed_at"`
}

// utc is d as read, with its time in UTC.
func (d DetectorRevision) utc() DetectorRevision {
	d.ChangedAt = d.ChangedAt.UTC()
	return d
}

// PutDetectorRevision appends a revision; earlier ones are kept.
func (s *Store) PutDetectorRevision(ctx context.Context, d DetectorRevision) error {
	return s.insert(ctx, "detectors", "detector_id, revision, definition, deleted, changed_by, changed_at, version", 1, func(int) []any {
		return []any{d.ID, d.Revision, d.Definition, flag(d.Deleted), d.ChangedBy, dateTime(&d.ChangedAt), s.nextVersion()}
	})
}

// DetectorRevisions returns every revision of one detector, or of all (id
// empty), ordered by id and revision. Definitions are few (at most
// pii.MaxDefinitions live).
func (s *Store) DetectorRevisions(ctx context.Context, id string) ([]DetectorRevision, error) {
	var w where
	w.filter("detector_id = ?", id)
	return selectAll(ctx, s, "reading custom detectors", DetectorRevision.utc,
		`SELECT detector_id, revision, definition, deleted, changed_by, changed_at FROM {db}.detectors`+w.sql()+
			` ORDER BY detector_id, revision`, w.args...)
}

// Allow rule kinds.
const (
	AllowValue   = "value"   // a value, by its stored tokens
	AllowFinding = "finding" // an asset, and a type ("" for all)
)

// AllowRule is one allow-list rule (a row of allow_rules).
type AllowRule struct {
	ID        string    `ch:"rule_id"`
	Kind      string    `ch:"kind"`
	ValueType string    `ch:"value_type"` // kind value: the type the value was given as
	Tokens    []string  `ch:"tokens"`     // kind value: its stored tokens (every live agent key)
	TokenGen  uint32    `ch:"token_gen"`  // the key generation of Tokens
	AssetID   string    `ch:"asset_id"`   // kind finding
	Type      string    `ch:"type"`       // kind finding: "" for every type
	Reason    string    `ch:"reason"`
	ExpiresAt time.Time `ch:"expires_at"` // zero: never (stored as 0)
	CreatedBy string    `ch:"created_by"`
	CreatedAt time.Time `ch:"created_at"`
	Deleted   bool      `ch:"deleted"`
}

// read is r as read: times in UTC, a stored 0 expiry zero.
func (r AllowRule) read() AllowRule {
	r.CreatedAt = r.CreatedAt.UTC()
	if r.ExpiresAt.Unix() > 0 {
		r.ExpiresAt = r.ExpiresAt.UTC()
	} else {
		r.ExpiresAt = time.Time{}
	}
	return r
}

// PutAllowRule stores a rule (or, with Deleted, removes it) and marks a
// write, so the next read waits for an index build that honours it.
func (s *Store) PutAllowRule(ctx context.Context, r AllowRule) error {
	err := s.insert(ctx, "allow_rules", "rule_id, kind, value_type, tokens, token_gen, asset_id, type, reason, expires_at, created_by, created_at, deleted, version", 1, func(int) []any {
		return []any{r.ID, r.Kind, r.ValueType, strs(r.Tokens), r.TokenGen, r.AssetID, r.Type, r.Reason, dateTime(&r.ExpiresAt),
			r.CreatedBy, dateTime(&r.CreatedAt), flag(r.Deleted), s.nextVersion()}
	})
	if err != nil {
		return err
	}
	return s.markWrite(ctx)
}

// AllowRules returns the rules not deleted (expired ones too: the caller
// says which are live), oldest first.
func (s *Store) AllowRules(ctx context.Context) ([]AllowRule, error) {
	return selectAll(ctx, s, "reading allow rules", AllowRule.read,
		`SELECT rule_id, kind, value_type, tokens, token_gen, asset_id, type, reason, expires_at, created_by, created_at, deleted
		FROM {db}.allow_rules FINAL WHERE deleted = 0 ORDER BY created_at, rule_id`)
}

// reencryptAllowRules moves the tokens of every value rule not at key
// generation to through transform (part of ReencryptFindings: a rotation
// of the token encryption key). A rule is rewritten with token_gen = to,
// so a resumed rotation never transforms it twice.
func (s *Store) reencryptAllowRules(ctx context.Context, to uint32, transform func(tokens []string) error) error {
	rules, err := s.AllowRules(ctx)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if r.Kind != AllowValue || r.TokenGen == to {
			continue
		}
		if err := transform(r.Tokens); err != nil {
			return fmt.Errorf("re-encrypting the tokens of allow rule %s: %w", r.ID, err)
		}
		r.TokenGen = to
		if err := s.PutAllowRule(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// TriageChange is one change of a finding's triage state: a row of
// finding_triage, and the API's answer.
type TriageChange struct {
	AssetID  string `ch:"asset_id" json:"asset_id"`
	Type     string `ch:"type" json:"type"`
	Location string `ch:"location" json:"location"`
	State    string `ch:"state" json:"state"`
	Reason   string `ch:"reason" json:"reason"`
	// CountAt is the finding's occurrences when it was judged.
	CountAt   uint64    `ch:"count_at" json:"count_at"`
	ChangedBy string    `ch:"changed_by" json:"changed_by"`
	ChangedAt time.Time `ch:"changed_at" json:"changed_at"`
}

// utc is t as read, with its time in UTC.
func (t TriageChange) utc() TriageChange {
	t.ChangedAt = t.ChangedAt.UTC()
	return t
}

// PutTriage appends a change and marks a write (see PutAllowRule).
func (s *Store) PutTriage(ctx context.Context, t TriageChange) error {
	err := s.insert(ctx, "finding_triage", "asset_id, type, location, state, reason, count_at, changed_by, changed_at, seq", 1, func(int) []any {
		return []any{t.AssetID, t.Type, t.Location, t.State, t.Reason, t.CountAt, t.ChangedBy, dateTime(&t.ChangedAt), s.nextVersion()}
	})
	if err != nil {
		return err
	}
	return s.markWrite(ctx)
}

// TriageHistory is every change of one finding, oldest first.
func (s *Store) TriageHistory(ctx context.Context, assetID, typ string) ([]TriageChange, error) {
	return selectAll(ctx, s, "reading triage history", TriageChange.utc,
		`SELECT asset_id, type, location, state, reason, count_at, changed_by, changed_at FROM {db}.finding_triage
		WHERE asset_id = ? AND type = ? ORDER BY seq`, assetID, typ)
}

// TriagedFinding is a finding's current triage with what the current
// scans say of it now.
type TriagedFinding struct {
	TriageChange
	// Count is the occurrences the current scans report (0: none now).
	Count uint64
	// Suppressed says whether the state hides the finding from readers
	// now; a false_positive or accepted finding whose count grew, or a
	// resolved one a later scan found again, is not (it is reopened).
	Suppressed bool
}

// maxTriaged bounds the triage list.
const maxTriaged = 10000

// TriagedFindings lists the findings with a triage state, newest change
// first; state narrows it to one stored state ("" for all).
func (s *Store) TriagedFindings(ctx context.Context, state string) ([]TriagedFinding, error) {
	var w where
	w.filter("t_state = ?", state)
	return selectAll(ctx, s, "reading triaged findings", func(r struct {
		TriageChange
		Count      uint64 `ch:"cur_count"`
		Suppressed uint8  `ch:"suppressed"`
	}) TriagedFinding {
		return TriagedFinding{TriageChange: r.TriageChange.utc(), Count: r.Count, Suppressed: r.Suppressed != 0}
	}, `SELECT asset_id, type, location, t_state AS state, t_reason AS reason, t_count AS count_at, t_by AS changed_by,
			t_at AS changed_at, count AS cur_count, toUInt8(`+suppressedByTriage+`) AS suppressed
		FROM (`+triageLatest+`)
		ANY LEFT JOIN (
			SELECT asset_id, type, count, observed_at FROM {db}.current_pii_findings
			WHERE asset_id IN (SELECT asset_id FROM {db}.finding_triage)
		) USING (asset_id, type)`+w.sql()+`
		ORDER BY t_at DESC, asset_id, type LIMIT `+strconv.Itoa(maxTriaged), w.args...)
}

// CurrentFinding is a finding as the current scans report it now, before
// any allow rule or triage: its location and occurrences (found false
// when no current scan reports it).
func (s *Store) CurrentFinding(ctx context.Context, assetID, typ string) (location string, count uint64, found bool, err error) {
	rows, err := selectRows[struct {
		Location string `ch:"location"`
		Count    uint64 `ch:"count"`
	}](ctx, s, "reading a finding", `SELECT location, count FROM {db}.current_pii_findings WHERE asset_id = ? AND type = ? LIMIT 1`, assetID, typ)
	if err != nil || len(rows) == 0 {
		return "", 0, false, err
	}
	return rows[0].Location, rows[0].Count, true, nil
}

// triageLatest is each triaged finding's current state.
const triageLatest = `SELECT asset_id, type, argMax(location, seq) AS location, argMax(state, seq) AS t_state,
	argMax(reason, seq) AS t_reason, argMax(count_at, seq) AS t_count, argMax(changed_by, seq) AS t_by,
	argMax(changed_at, seq) AS t_at
	FROM {db}.finding_triage GROUP BY asset_id, type`

// suppressedByTriage is the one rule of what a triage state hides, over a
// finding's count and observed_at and its triage's t_state, t_count and
// t_at: false_positive and accepted hide it while its occurrences are no
// more than when it was judged (a later scan that finds more reopens it),
// resolved while no scan has reported it since.
const suppressedByTriage = `((t_state IN ('false_positive', 'accepted') AND count <= t_count)
	OR (t_state = 'resolved' AND observed_at <= t_at))`

// liveRule is an allow rule in force now.
const liveRule = `deleted = 0 AND (expires_at = toDateTime(0) OR expires_at > now())`

// visibleFindingsSQL is current_pii_findings as readers see it: findings
// of allowed (asset, type) pairs and those a triage state suppresses are
// gone, and allowed values are taken out of the rest. A finding keeps its
// first MaxTokens tokens only, so: a finding whose every distinct value
// is known and allowed is gone; otherwise its allowed tokens are removed,
// its distinct count is lowered by their number and its occurrences by
// at least as much (an agent does not report occurrences per value).
const visibleFindingsSQL = `(
	SELECT host, asset_id, type, category, location, source, agent_id, scan_id, samples, observed_at,
		kept AS tokens,
		if(allowed_n = 0, c0, toUInt64(greatest(greatest(toInt64(c0) - allowed_n, toInt64(d0) - allowed_n), 1))) AS count,
		if(allowed_n = 0, d0, toUInt64(greatest(toInt64(d0) - allowed_n, 1))) AS distinct_count
	FROM (
		WITH (SELECT groupArray(token) FROM (
			SELECT arrayJoin(tokens) AS token FROM {db}.allow_rules FINAL WHERE kind = 'value' AND ` + liveRule + `
		)) AS allowed_tokens
		SELECT host, asset_id, type, category, location, source, agent_id, scan_id, samples, observed_at,
			count AS c0, distinct_count AS d0, tokens AS tk0,
			arrayFilter(t -> NOT has(allowed_tokens, t), tk0) AS kept,
			toInt64(length(tk0)) - toInt64(length(kept)) AS allowed_n
		FROM {db}.current_pii_findings
		ANY LEFT JOIN (SELECT asset_id, type, t_state, t_count, t_at FROM (` + triageLatest + `)) USING (asset_id, type)
		WHERE NOT ` + suppressedByTriage + `
		  AND (asset_id, type) NOT IN (SELECT asset_id, type FROM {db}.allow_rules FINAL
			WHERE kind = 'finding' AND type != '' AND ` + liveRule + `)
		  AND asset_id NOT IN (SELECT asset_id FROM {db}.allow_rules FINAL WHERE kind = 'finding' AND type = '' AND ` + liveRule + `)
	)
	WHERE NOT (allowed_n > 0 AND length(kept) = 0 AND d0 <= length(tk0))
)`
