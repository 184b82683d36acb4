// Package revision is what the collector's revisioned definitions (custom
// detectors, scan policies) share: each id is a chain of stored revisions,
// oldest first, numbered from 1; the last is current unless it deletes the
// id, and a create after a deletion continues the chain.
package revision

import (
	"context"
	"fmt"

	"github.com/sightline-dev/sightline/collector/store"
)

// Chain reads the revisions of one kind of definition: R is the stored
// revision, T the definition callers see.
type Chain[R, T any] struct {
	// What names the kind in errors ("custom detector", "policy").
	What string
	// Load returns the stored revisions of id, oldest first ("" loads
	// every id's).
	Load func(ctx context.Context, id string) ([]R, error)
	// Of turns a stored revision into the definition.
	Of func(R) T
	// Deleted tells whether a revision deletes its id.
	Deleted func(R) bool
	// ID is the id a revision belongs to (Live tells the ids apart by it).
	ID func(R) string
}

// History returns every revision of id, oldest first, or an error
// wrapping store.ErrNotFound.
func (c Chain[R, T]) History(ctx context.Context, id string) ([]T, error) {
	revs, err := c.load(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(revs))
	for i, r := range revs {
		out[i] = c.Of(r)
	}
	return out, nil
}

// Get returns the current revision of a live id, or an error wrapping
// store.ErrNotFound.
func (c Chain[R, T]) Get(ctx context.Context, id string) (T, error) {
	revs, err := c.load(ctx, id)
	if err != nil {
		var zero T
		return zero, err
	}
	last := revs[len(revs)-1]
	if c.Deleted(last) {
		var zero T
		return zero, fmt.Errorf("%s %q was deleted: %w", c.What, id, store.ErrNotFound)
	}
	return c.Of(last), nil
}

// Live returns the current revision of every live id, in the order Load
// gives the ids. It relies on Load("") returning each id's revisions
// together, oldest first: the last of an id's run is its current one.
func (c Chain[R, T]) Live(ctx context.Context) ([]T, error) {
	revs, err := c.Load(ctx, "")
	if err != nil {
		return nil, err
	}
	var out []T
	for i, r := range revs {
		last := i+1 == len(revs) || c.ID(revs[i+1]) != c.ID(r)
		if last && !c.Deleted(r) {
			out = append(out, c.Of(r))
		}
	}
	return out, nil
}

// Next is the revision a create of id writes: 1, or the one after a
// deleted chain. It returns exists when id is live.
func (c Chain[R, T]) Next(ctx context.Context, id string, exists error) (uint32, error) {
	prev, err := c.Load(ctx, id)
	if err != nil {
		return 0, err
	}
	if n := len(prev); n > 0 && !c.Deleted(prev[n-1]) {
		return 0, exists
	}
	return uint32(len(prev)) + 1, nil
}

// load reads the chain of one id; an empty id is not one (Load would
// read every id's revisions).
func (c Chain[R, T]) load(ctx context.Context, id string) ([]R, error) {
	revs, err := c.Load(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(revs) == 0 || id == "" {
		return nil, fmt.Errorf("%s %q: %w", c.What, id, store.ErrNotFound)
	}
	return revs, nil
}
