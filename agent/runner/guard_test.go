package runner

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/wire"
)

// A record the collector would refuse is not spooled (its batch would be
// refused whole, the other records with it); the scan's record says so.
func TestGuardKeepsTheBatch(t *testing.T) {
	at := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	env := func(kind string) *wire.Record {
		return &wire.Record{Kind: kind, Source: wire.SourceFS, ScanID: "s1", ObservedAt: at}
	}
	asset := func(loc string) *wire.Record {
		r := env(wire.KindAsset)
		r.AssetID, r.AssetType, r.Location = "a1", "file", loc
		return r
	}
	var lines []string
	g := &guard{log: slog.New(slog.DiscardHandler), append: func(line []byte) error {
		lines = append(lines, string(line))
		return nil
	}}
	require.NoError(t, g.emit(asset("file:///ok.txt")))
	require.NoError(t, g.emit(asset("file:///"+strings.Repeat("x", wire.MaxStringLen))))
	big := asset("file:///big.txt")
	big.Attributes = map[string]string{"note": strings.Repeat("y", wire.MaxLineBytes)}
	require.NoError(t, g.emit(big))
	require.NoError(t, g.emit(asset("file:///also-ok.txt")))

	started, finished := at, at.Add(time.Second)
	scan := env(wire.KindScan)
	scan.Scanner, scan.Status, scan.StartedAt, scan.FinishedAt = "fs", wire.StatusOK, &started, &finished
	require.NoError(t, g.emit(scan))

	require.Len(t, lines, 3, "the two good assets and the scan")
	require.Contains(t, lines[0], "ok.txt")
	require.Contains(t, lines[1], "also-ok.txt")
	require.Equal(t, wire.StatusPartial, scan.Status)
	require.Equal(t, []string{"2 records the collector would refuse were not shipped (the first: asset record: location longer than 4096 bytes)"}, scan.Errors)
	for _, l := range lines {
		err := wire.NewDecoder(strings.NewReader(l)).Decode(new(wire.Record))
		require.NoError(t, err, "every spooled line is one the collector takes")
	}

	// A scan record already holding wire.MaxErrors messages ends with this one.
	g = &guard{log: slog.New(slog.DiscardHandler), append: func([]byte) error { return nil }}
	require.NoError(t, g.emit(asset("file:///"+strings.Repeat("x", wire.MaxStringLen))))
	scan.Errors = make([]string, wire.MaxErrors)
	for i := range scan.Errors {
		scan.Errors[i] = "e"
	}
	require.NoError(t, g.emit(scan))
	require.Len(t, scan.Errors, wire.MaxErrors)
	require.Contains(t, scan.Errors[wire.MaxErrors-1], "1 records the collector would refuse")
}
