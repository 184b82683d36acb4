package extract

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Readers made from one Budget draw on it together and stop at it with
// the caller's error; Take reports an overdrawn budget.
func TestBudgetIsShared(t *testing.T) {
	errSpent := errors.New("spent")
	b := &Budget{Left: 10}
	got, err := io.ReadAll(b.Reader(strings.NewReader("abcdef"), errSpent))
	require.NoError(t, err)
	require.Equal(t, "abcdef", string(got))
	require.Equal(t, int64(4), b.Left)

	got, err = io.ReadAll(b.Reader(bytes.NewReader(bytes.Repeat([]byte("x"), 100)), errSpent))
	require.ErrorIs(t, err, errSpent)
	require.Len(t, got, 4, "the second reader gets only what the first left")
	require.Equal(t, int64(0), b.Left)

	b = &Budget{Left: 3}
	require.NoError(t, b.Take(3))
	require.ErrorIs(t, b.Take(1), ErrLimit)
}
