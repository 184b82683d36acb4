package pii

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// The cache answers what classifyField answers, for every goroutine, and
// keeps at most maxCachedFields names.
func TestFieldCache(t *testing.T) {
	names := []string{"email", "user.email", "Telefonnummer", "first_name", "iban", "id", "ts", "amount",
		"customer.address.street", "geburtsdatum", "password", "x", "", string(make([]byte, 300))}
	c := newFieldCache()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				for _, n := range names {
					require.Equal(t, classifyField([]byte(n)), c.kind([]byte(n)), n)
				}
			}
		}()
	}
	wg.Wait()
	require.Len(t, c.m, len(names)-1, "a name over 256 bytes is not kept")
	for i := 0; i < maxCachedFields+500; i++ {
		c.kind(fmt.Appendf(nil, "col_%d", i))
	}
	require.Len(t, c.m, maxCachedFields)
	var zero *fieldCache
	require.Equal(t, classifyField([]byte("email")), zero.kind([]byte("email")))
}
