package store

import "context"

// DeclareViews exposes the view declaration step of Migrate.
func (s *Store) DeclareViews(ctx context.Context) ([]string, error) { return s.declareViews(ctx) }
