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

// DetectField's scanners are shared by the detector's goroutines: each
// call sees its own value, whatever the others do.
func TestDetectFieldConcurrent(t *testing.T) {
	d := NewDefault().(FieldDetector)
	cells := []struct{ field, value string }{
		{"email", "ann@example.com"}, {"iban", "de89 3704 0044 0532 0130 00"}, {"phone", "+49 30 12345678"},
		{"ssn", "123-45-6780"}, {"dni", "12.345.678-z"}, {"first_name", "Élodie"}, {"notes", "call +1 415 555 0132"},
	}
	want := make([][]string, len(cells))
	read := func(i int) []string {
		var got []string
		d.DetectField([]byte(cells[i].field), []byte(cells[i].value), func(m Match) { got = append(got, m.Type+"="+string(m.Value)) })
		return got
	}
	for i := range cells {
		want[i] = read(i)
		require.NotEmpty(t, want[i], cells[i].field)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 300; k++ {
				i := (g + k) % len(cells)
				require.Equal(t, want[i], read(i))
			}
		}()
	}
	wg.Wait()
}
