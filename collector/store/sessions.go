package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Ended console sessions (collector/session.Revocations; migration 0027).

func sessionHash(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

// RevokeSession records that console session id ended; until is when it
// would have expired.
func (s *Store) RevokeSession(ctx context.Context, id string, until time.Time) error {
	return s.insert(ctx, "console_revocations", "session_hash, until, version", 1, func(int) []any {
		return []any{sessionHash(id), dateTime(&until), s.nextVersion()}
	})
}

// SessionRevoked reports whether console session id was ended (and would
// not have expired yet).
func (s *Store) SessionRevoked(ctx context.Context, id string) (bool, error) {
	var rows []struct {
		N uint64 `ch:"n"`
	}
	if err := s.conn.Select(ctx, &rows, s.sql(`SELECT count() AS n FROM {db}.console_revocations
		WHERE session_hash = ? AND until > now()`), sessionHash(id)); err != nil {
		return false, s.wrap("checking whether a console session ended", err)
	}
	return len(rows) > 0 && rows[0].N > 0, nil
}
