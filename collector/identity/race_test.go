package identity_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/identity"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// interleaved is the real store, but the first time a scope's authority
// is found missing it runs during() before answering: another agent's
// first report (on another collector, or a concurrent request) landing
// between this one's read and its claim.
type interleaved struct {
	*store.Store
	mu     sync.Mutex
	during func() // nil once run
}

func (s *interleaved) GetAuthority(ctx context.Context, source, scope string) (store.Authority, error) {
	a, err := s.Store.GetAuthority(ctx, source, scope)
	s.mu.Lock()
	f := s.during
	s.during = nil
	s.mu.Unlock()
	if err != nil && f != nil {
		f()
	}
	return a, err
}

// TestFirstReportRaceHasOneWinner: ClickHouse has no compare-and-set, so
// a first report claims a scope by writing and reading back. On main the
// latest write won (ReplacingMergeTree keeps the highest version): when
// two agents' first reports of one host name crossed, each read back its
// own claim and both were admitted — the earlier one's rows stayed
// current for good, though it never spoke for the host, and no admin
// move retired them. The earliest first-report claim wins now (its
// version is the highest of the first reports), so whoever claims second
// reads the first's claim back and is refused.
func TestFirstReportRaceHasOneWinner(t *testing.T) {
	ctx := context.Background()
	st := &interleaved{Store: storetest.New(t)}
	recs := func() []wire.Record { return []wire.Record{principal(wire.SourceHost, "", "u1", false, t0)} }
	gA := identity.New(identity.Options{Store: st, Now: func() time.Time { return t0 }})
	gB := identity.New(identity.Options{Store: st, Now: func() time.Time { return t0 }})
	var errB error
	st.during = func() { errB = gB.Admit(ctx, "agent-b", "web-1", recs()) }
	errA := gA.Admit(ctx, "agent-a", "web-1", recs())
	require.NoError(t, errB, "agent b claimed web-1 first")
	var ref *identity.RefusedError
	require.ErrorAs(t, errA, &ref, "both agents were admitted for web-1")
	a, err := st.GetAuthority(ctx, wire.SourceHost, "web-1")
	require.NoError(t, err)
	require.Equal(t, "agent-b", a.AgentID)

	// An admin's move still wins over the first report.
	_, err = gA.SetAuthority(ctx, wire.SourceHost, "web-1", "agent-a", "token t1")
	require.NoError(t, err)
	a, err = st.GetAuthority(ctx, wire.SourceHost, "web-1")
	require.NoError(t, err)
	require.Equal(t, "agent-a", a.AgentID)
}
