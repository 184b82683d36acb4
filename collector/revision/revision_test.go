package revision_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/revision"
	"github.com/sightline-dev/sightline/collector/store"
)

type rev struct {
	id      string
	n       uint32
	deleted bool
}

var errExists = errors.New("exists")

// chain reads revs, oldest first, as Load would from the store.
func chain(revs []rev) revision.Chain[rev, uint32] {
	return revision.Chain[rev, uint32]{
		What: "thing",
		Load: func(_ context.Context, id string) ([]rev, error) {
			var out []rev
			for _, r := range revs {
				if id == "" || r.id == id {
					out = append(out, r)
				}
			}
			return out, nil
		},
		Of:      func(r rev) uint32 { return r.n },
		Deleted: func(r rev) bool { return r.deleted },
		ID:      func(r rev) string { return r.id },
	}
}

func TestChain(t *testing.T) {
	ctx := context.Background()
	c := chain([]rev{{"a", 1, false}, {"a", 2, false}, {"b", 1, false}, {"b", 2, true}})
	for _, tc := range []struct {
		id      string
		history []uint32
		get     uint32
		getErr  string
		next    uint32
		nextErr error
	}{
		{id: "a", history: []uint32{1, 2}, get: 2, nextErr: errExists},
		{id: "b", history: []uint32{1, 2}, getErr: `thing "b" was deleted`, next: 3},
		{id: "c", getErr: `thing "c"`, next: 1},
		{id: "", getErr: `thing ""`},
	} {
		t.Run(tc.id, func(t *testing.T) {
			h, err := c.History(ctx, tc.id)
			if tc.history == nil {
				require.ErrorIs(t, err, store.ErrNotFound)
			} else {
				require.NoError(t, err)
				require.Equal(t, tc.history, h)
			}
			g, err := c.Get(ctx, tc.id)
			if tc.getErr != "" {
				require.ErrorIs(t, err, store.ErrNotFound)
				require.ErrorContains(t, err, tc.getErr)
			} else {
				require.NoError(t, err)
				require.Equal(t, tc.get, g)
			}
			if tc.id == "" {
				return
			}
			n, err := c.Next(ctx, tc.id, errExists)
			if tc.nextErr != nil {
				require.ErrorIs(t, err, tc.nextErr)
			} else {
				require.NoError(t, err)
				require.Equal(t, tc.next, n)
			}
		})
	}
}

func TestChainLive(t *testing.T) {
	for _, tc := range []struct {
		name string
		revs []rev
		want []uint32
	}{
		{name: "none", revs: nil, want: nil},
		{name: "last of each id", revs: []rev{{"a", 1, false}, {"a", 2, false}, {"b", 1, false}, {"c", 1, false}, {"c", 3, false}},
			want: []uint32{2, 1, 3}},
		{name: "deleted ids left out", revs: []rev{{"a", 1, false}, {"a", 2, true}, {"b", 1, true}, {"b", 2, false}, {"c", 1, true}},
			want: []uint32{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := chain(tc.revs).Live(context.Background())
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestChainLoadError(t *testing.T) {
	boom := errors.New("store down")
	c := revision.Chain[rev, uint32]{What: "thing",
		Load: func(context.Context, string) ([]rev, error) { return nil, boom },
		Of:   func(r rev) uint32 { return r.n }, Deleted: func(r rev) bool { return r.deleted }}
	_, err := c.History(context.Background(), "a")
	require.ErrorIs(t, err, boom)
	_, err = c.Get(context.Background(), "a")
	require.ErrorIs(t, err, boom)
	_, err = c.Next(context.Background(), "a", errExists)
	require.ErrorIs(t, err, boom)
	_, err = c.Live(context.Background())
	require.ErrorIs(t, err, boom)
}
