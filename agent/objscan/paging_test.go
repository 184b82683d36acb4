package objscan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPaging(t *testing.T) {
	var p Paging
	require.NoError(t, p.Next("a", 10))
	require.NoError(t, p.Next("b", 0), "an empty page now and then")
	require.NoError(t, p.Next("c", 3))
	require.ErrorIs(t, p.Next("a", 1), ErrRepeatedToken)

	var huge Paging
	require.ErrorContains(t, huge.Next(strings.Repeat("m", MaxPageToken+1), 1), "over 16 KiB")
	require.NoError(t, huge.Next(strings.Repeat("m", MaxPageToken), 1))

	// Fresh short tokens with nothing in them: ended after MaxEmptyPages,
	// and one page with items starts the count again.
	var empty Paging
	n := 0
	var err error
	for ; err == nil && n < 10*MaxEmptyPages; n++ {
		items := 0
		if n == MaxEmptyPages/2 {
			items = 1
		}
		err = empty.Next(fmt.Sprint(n), items)
	}
	require.ErrorContains(t, err, "pages in a row with nothing in them")
	require.Equal(t, MaxEmptyPages/2+1+MaxEmptyPages, n)
	require.NoError(t, (&Paging{}).Next("", 0), "the last page")
}
