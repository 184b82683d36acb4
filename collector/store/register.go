package store

import (
	"context"
	"time"
)

// RegisterEntry is one change of a risk register item: its owner and
// status after the change, why, by whom and when.
// It is both the row of risk_register and the API's answer.
type RegisterEntry struct {
	Kind      string    `ch:"kind" json:"kind"`
	ItemID    string    `ch:"item_id" json:"id"`
	Owner     string    `ch:"owner" json:"owner"`
	Status    string    `ch:"status" json:"status"`
	Comment   string    `ch:"comment" json:"comment"`
	ChangedBy string    `ch:"changed_by" json:"changed_by"`
	ChangedAt time.Time `ch:"changed_at" json:"changed_at"`
}

// utc is e as read, with its time in UTC.
func (e RegisterEntry) utc() RegisterEntry {
	e.ChangedAt = e.ChangedAt.UTC()
	return e
}

// RegisterKey names a register item.
type RegisterKey struct{ Kind, ItemID string }

// AppendRegister records a change; nothing is ever updated.
func (s *Store) AppendRegister(ctx context.Context, e RegisterEntry) error {
	// seq orders changes made within the same second.
	return s.insert(ctx, "risk_register", "kind, item_id, owner, status, comment, changed_by, changed_at, seq", 1, func(int) []any {
		return []any{e.Kind, e.ItemID, e.Owner, e.Status, e.Comment, e.ChangedBy, dateTime(&e.ChangedAt), s.nextVersion()}
	})
}

// RegisterStates returns the latest entry of every item that has one.
func (s *Store) RegisterStates(ctx context.Context) (map[RegisterKey]RegisterEntry, error) {
	entries, err := selectAll(ctx, s, "reading the risk register", RegisterEntry.utc, `SELECT kind, item_id,
			argMax(owner, seq) AS owner, argMax(status, seq) AS status, argMax(comment, seq) AS comment,
			argMax(changed_by, seq) AS changed_by, argMax(changed_at, seq) AS changed_at
		FROM {db}.risk_register GROUP BY kind, item_id`)
	return keyedBy(entries, err, func(e RegisterEntry) RegisterKey { return RegisterKey{e.Kind, e.ItemID} })
}

// RegisterHistory returns an item's changes, oldest first.
func (s *Store) RegisterHistory(ctx context.Context, kind, itemID string) ([]RegisterEntry, error) {
	return selectAll(ctx, s, "reading a risk register item's history", RegisterEntry.utc,
		`SELECT kind, item_id, owner, status, comment, changed_by, changed_at
		FROM {db}.risk_register WHERE kind = ? AND item_id = ? ORDER BY seq`, kind, itemID)
}

// AssetOwners returns the owner of each of the current assets ids (those
// with an owner), from the read index.
func (s *Store) AssetOwners(ctx context.Context, ids []string) (map[string]string, error) {
	type owned struct {
		ID    string `ch:"asset_id"`
		Owner string `ch:"owner"`
	}
	out := make(map[string]string, len(ids))
	for _, chunk := range chunks(ids) {
		rows, err := selectRows[owned](ctx, s, "reading asset owners", `SELECT asset_id, owner FROM {db}.idx_assets WHERE `+assetsOf(curGen)+` AND `+assetsByID+` AND owner != ''`, groupSet(chunk))
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.ID] = r.Owner
		}
	}
	return out, nil
}
