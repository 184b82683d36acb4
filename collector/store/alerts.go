package store

import (
	"context"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// Alerts and events (migration 0024; collector/alerts says what the rules
// mean). The rules read one committed build of the read index (gen), so
// what they see is what the API answered from at that build. Every value
// read here is an id, a location, a count, a type or a score: the index
// holds no raw personal value, and neither do these rows.

// ExposedAsset is an asset holding personal data that anyone can read: a
// public bucket (its objects' rollup), or a world-readable or public file
// or object.
type ExposedAsset struct {
	AssetID     string   `ch:"asset_id"`
	AssetType   string   `ch:"asset_type"`
	Location    string   `ch:"location"`
	Host        string   `ch:"host"`
	Source      string   `ch:"source"`
	Exposure    string   `ch:"exposure"` // public_bucket, public or world_readable
	Categories  []string `ch:"categories"`
	Types       []string `ch:"types"`
	Occurrences uint64   `ch:"occurrences"`
	// Assets is how many assets with personal data it stands for (a
	// bucket's objects; 1 otherwise).
	Assets uint64 `ch:"assets"`
}

// ExposedAssets lists generation gen's exposed assets holding personal
// data, public buckets first.
//
// A bucket's objects are those of its own account's scan (host and
// bucket): bucket names are global and a location is what a record
// says, so by name alone a made-up account's public bucket at a private
// bucket's location was alerted on with the real bucket's objects
// (TestPublicBucketAlertIsItsOwnObjects).
func (s *Store) ExposedAssets(ctx context.Context, gen uint64) ([]ExposedAsset, error) {
	g := strconv.FormatUint(gen, 10)
	buckets, err := selectRows[ExposedAsset](ctx, s, "reading public buckets with personal data",
		`SELECT asset_id, 'bucket' AS asset_type, location, host, source, 'public_bucket' AS exposure,
			cats AS categories, tys AS types, occ AS occurrences, n AS assets
		FROM (
			SELECT host, bucket, asset_id, location, source FROM {db}.idx_assets
			WHERE `+assetsOf(g)+` AND asset_type = 'bucket' AND `+attr("public")+` = 'true'
		) ALL INNER JOIN (
			SELECT host, bucket, groupUniqArrayArray(categories) AS cats, groupUniqArrayArray(types) AS tys,
				sum(occurrences) AS occ, count() AS n
			FROM {db}.idx_assets WHERE `+assetsOf(g)+` AND occurrences > 0 AND bucket != '' AND asset_type != 'bucket'
			GROUP BY host, bucket
		) USING (host, bucket)
		ORDER BY location, asset_id`)
	if err != nil {
		return nil, err
	}
	others, err := selectRows[ExposedAsset](ctx, s, "reading exposed assets with personal data",
		`SELECT asset_id, asset_type, location, host, source,
			if(`+attr("public")+` = 'true', 'public', 'world_readable') AS exposure,
			categories, arrayDistinct(types) AS types, occurrences, toUInt64(1) AS assets
		FROM {db}.idx_assets
		WHERE `+assetsOf(g)+` AND occurrences > 0 AND asset_type != 'bucket'
			AND (`+attr("public")+` = 'true' OR `+attr("world_readable")+` = 'true')
		ORDER BY location, asset_id`)
	if err != nil {
		return nil, err
	}
	return append(buckets, others...), nil
}

// PrivilegedAccount is a privileged principal of generation gen.
type PrivilegedAccount struct {
	PrincipalID   string   `ch:"principal_id"`
	Name          string   `ch:"name"`
	PrincipalType string   `ch:"principal_type"`
	Source        string   `ch:"source"`
	Host          string   `ch:"host"`
	Via           []string `ch:"via"`
}

// PrivilegedAccounts lists generation gen's privileged principals, once
// per id (two agents may report one directory account).
func (s *Store) PrivilegedAccounts(ctx context.Context, gen uint64) ([]PrivilegedAccount, error) {
	return selectRows[PrivilegedAccount](ctx, s, "reading privileged accounts",
		`SELECT principal_id, any(name) AS name, any(principal_type) AS principal_type, any(source) AS source,
			any(host) AS host, groupUniqArrayArray(privileged_via) AS via
		FROM {db}.idx_principals WHERE gen = ? AND privileged = 1
		GROUP BY principal_id ORDER BY principal_id`, gen)
}

// CredentialFinding is one credential type found in one asset.
type CredentialFinding struct {
	AssetID  string `ch:"asset_id"`
	Location string `ch:"location"`
	Host     string `ch:"host"`
	Source   string `ch:"source"`
	Type     string `ch:"type"`
	Count    uint64 `ch:"occurrences"`
}

// CredentialFindings lists generation gen's findings of category
// credential, by asset and type.
func (s *Store) CredentialFindings(ctx context.Context, gen uint64) ([]CredentialFinding, error) {
	return selectRows[CredentialFinding](ctx, s, "reading credential findings",
		`SELECT asset_id, any(location) AS location, any(host) AS host, any(source) AS source, type,
			sum(count) AS occurrences
		FROM (
			-- The build's rows picked first: the alias host above would
			-- stand for the column in findingsOf's condition.
			SELECT asset_id, location, host, source, type, count FROM {db}.idx_findings
			WHERE `+findingsOf(strconv.FormatUint(gen, 10))+` AND category = 'credential'
		)
		GROUP BY asset_id, type ORDER BY asset_id, type`)
}

// RiskyAsset is an asset whose risk score reached a threshold.
type RiskyAsset struct {
	AssetID   string   `ch:"asset_id"`
	AssetType string   `ch:"asset_type"`
	Location  string   `ch:"location"`
	Host      string   `ch:"host"`
	Source    string   `ch:"source"`
	Score     uint8    `ch:"score"`
	Factors   []string `ch:"factor_names"`
}

// RiskyAssets lists generation gen's assets scoring at least min.
func (s *Store) RiskyAssets(ctx context.Context, gen uint64, min uint8) ([]RiskyAsset, error) {
	return selectRows[RiskyAsset](ctx, s, "reading assets over the risk threshold",
		`SELECT asset_id, asset_type, location, host, source, score, factor_names
		FROM {db}.idx_risk WHERE `+riskOf(strconv.FormatUint(gen, 10))+` AND score >= ? ORDER BY score DESC, asset_id`, min)
}

// AlertEvent is a fired event as stored: the rules' state too.
type AlertEvent struct {
	ID       string    `ch:"event_id"`
	Rule     string    `ch:"rule"`
	Kind     string    `ch:"kind"`
	Subject  string    `ch:"subject"`
	Severity string    `ch:"severity"`
	Gen      uint64    `ch:"gen"`
	FiredAt  time.Time `ch:"fired_at"`
	Body     string    `ch:"body"` // the event as delivered (JSON)
}

// FiredSubjects is the subjects rule has fired for.
func (s *Store) FiredSubjects(ctx context.Context, rule string) (map[string]bool, error) {
	rows, err := selectRows[struct {
		Subject string `ch:"subject"`
	}](ctx, s, "reading the subjects an alert rule fired for",
		`SELECT DISTINCT subject FROM {db}.alert_events WHERE rule = ?`, rule)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[r.Subject] = true
	}
	return out, nil
}

// AlertDelivery is one row of the delivery log: an attempt (0: queued)
// of one event to one destination.
type AlertDelivery struct {
	EventID     string    `ch:"event_id" json:"event_id"`
	Destination string    `ch:"destination" json:"destination"`
	Attempt     uint32    `ch:"attempt" json:"attempt"`
	Status      string    `ch:"status" json:"status"`
	Error       string    `ch:"error" json:"error,omitempty"`
	At          time.Time `ch:"at" json:"at"`
	NextTry     time.Time `ch:"next_try" json:"next_try"`
}

// Delivery states.
const (
	DeliveryPending   = "pending"   // queued, not tried yet
	DeliveryRetrying  = "retrying"  // an attempt failed; next_try says when again
	DeliveryDelivered = "delivered" // done
	DeliveryFailed    = "failed"    // attempts spent
)

// PutAlertEvents stores fired events with their queued deliveries (one
// pending row per destination), events first: a delivery never names an
// event that is not stored.
func (s *Store) PutAlertEvents(ctx context.Context, evs []AlertEvent, queued []AlertDelivery) error {
	if len(evs) > 0 {
		if err := s.insert(ctx, "alert_events", "event_id, rule, kind, subject, severity, gen, fired_at, body, version", len(evs),
			func(i int) []any {
				e := evs[i]
				return []any{e.ID, e.Rule, e.Kind, e.Subject, e.Severity, e.Gen, dateTime(&e.FiredAt), e.Body, s.nextVersion()}
			}); err != nil {
			return err
		}
	}
	return s.PutAlertDeliveries(ctx, queued)
}

// PutAlertDeliveries appends rows to the delivery log.
func (s *Store) PutAlertDeliveries(ctx context.Context, ds []AlertDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	return s.insert(ctx, "alert_deliveries", "event_id, destination, attempt, status, error, at, next_try, version", len(ds),
		func(i int) []any {
			d := ds[i]
			return []any{d.EventID, d.Destination, d.Attempt, d.Status, d.Error, dateTime(&d.At), dateTime(&d.NextTry), s.nextVersion()}
		})
}

// MaxAlertRows bounds a listing of events or deliveries.
const MaxAlertRows = 1000

// AlertEvents lists the newest events first; rule, when given, keeps its
// events.
func (s *Store) AlertEvents(ctx context.Context, rule string, limit int) ([]AlertEvent, error) {
	var w where
	w.filter("rule = ?", rule)
	return selectRows[AlertEvent](ctx, s, "reading alert events",
		`SELECT event_id, rule, kind, subject, severity, gen, fired_at, body FROM {db}.alert_events FINAL`+w.sql()+
			` ORDER BY fired_at DESC, event_id LIMIT `+strconv.Itoa(clampLimit(limit)), w.args...)
}

// AlertEventsByID reads the events with the given ids.
func (s *Store) AlertEventsByID(ctx context.Context, ids []string) ([]AlertEvent, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return selectRows[AlertEvent](ctx, s, "reading alert events",
		`SELECT event_id, rule, kind, subject, severity, gen, fired_at, body FROM {db}.alert_events FINAL
		WHERE event_id IN ?`, clickhouse.GroupSet{Value: anys(ids)})
}

// AlertDeliveries lists the delivery log, newest first; eventID, when
// given, keeps that event's rows.
func (s *Store) AlertDeliveries(ctx context.Context, eventID string, limit int) ([]AlertDelivery, error) {
	var w where
	w.filter("event_id = ?", eventID)
	return selectRows[AlertDelivery](ctx, s, "reading the alert delivery log",
		`SELECT event_id, destination, attempt, status, error, at, next_try FROM {db}.alert_deliveries`+w.sql()+
			` ORDER BY version DESC LIMIT `+strconv.Itoa(clampLimit(limit)), w.args...)
}

// DueAlertDeliveries lists the (event, destination) pairs whose newest
// log row is pending or retrying with next_try at or before now, the
// longest waiting first, at most limit.
func (s *Store) DueAlertDeliveries(ctx context.Context, now time.Time, limit int) ([]AlertDelivery, error) {
	return selectRows[AlertDelivery](ctx, s, "reading due alert deliveries",
		`SELECT event_id, destination, t.1 AS attempt, t.2 AS status, t.3 AS error, t.4 AS at, t.5 AS next_try
		FROM (
			SELECT event_id, destination, argMax(tuple(attempt, status, error, at, next_try), version) AS t
			FROM {db}.alert_deliveries GROUP BY event_id, destination
		)
		WHERE t.2 IN ('`+DeliveryPending+`', '`+DeliveryRetrying+`') AND t.5 <= ?
		ORDER BY next_try, event_id, destination LIMIT `+strconv.Itoa(clampLimit(limit)), dateTime(&now))
}

func clampLimit(n int) int {
	if n <= 0 || n > MaxAlertRows {
		return MaxAlertRows
	}
	return n
}

func anys(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}
