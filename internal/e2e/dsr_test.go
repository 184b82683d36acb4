package e2e

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// TestDSRCase: a real agent scans the fixture; a privacy officer opens a
// case for Ann's address as she wrote it, searches until the agent's
// scan is covered, gets the package naming crm/a.csv with the scan's
// date, and closes the case; a case for an unknown address says "not
// found" with the same coverage. The address is in no table and no line
// of the collector's log.
func TestDSRCase(t *testing.T) {
	s := newStack(t, clickhouseAddr(t))
	privacy := s.run("token", "create", "--role", "privacy", "--name", "dpo", "--config", s.config)
	root := writeFixture(t)
	s.runAgent(s.newAgent([]string{root}, ""))
	s.waitIndexed(2)

	type pkg struct {
		Found     bool   `json:"found"`
		Statement string `json:"statement"`
		Locations []struct {
			Location string `json:"location"`
			Type     string `json:"type"`
		} `json:"locations"`
		Coverage []struct {
			Source     string    `json:"source"`
			Status     string    `json:"status"`
			FinishedAt time.Time `json:"finished_at"`
		} `json:"coverage"`
	}
	// open creates a case, searches until the agent's file scan is
	// covered, and returns the case id and its package.
	open := func(ref, email string) (string, pkg) {
		status, body := s.do("POST", "/api/v1/dsr/cases", privacy,
			`{"reference":"`+ref+`","identifiers":[{"type":"email","value":"`+email+`"}]}`)
		require.Equal(t, 201, status, body)
		var c struct {
			ID string `json:"id"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &c))
		var p pkg
		require.Eventually(t, func() bool {
			status, body := s.do("POST", "/api/v1/dsr/cases/"+c.ID+"/searches", privacy, "")
			require.Equal(t, 201, status, body)
			status, body = s.do("GET", "/api/v1/dsr/cases/"+c.ID+"/package", privacy, "")
			require.Equal(t, 200, status, body)
			require.NoError(t, json.Unmarshal([]byte(body), &p))
			return len(p.Coverage) > 0
		}, 30*time.Second, 200*time.Millisecond, "no search covered the agent's scan")
		return c.ID, p
	}

	id, p := open("DSR-7", " ANN.Smith@Example.com ")
	require.True(t, p.Found, p.Statement)
	require.Len(t, p.Locations, 1)
	require.Equal(t, wire.FileLocation(root)+"/crm/a.csv", p.Locations[0].Location)
	require.Equal(t, "email", p.Locations[0].Type)
	require.Equal(t, wire.SourceFS, p.Coverage[0].Source)
	require.False(t, p.Coverage[0].FinishedAt.IsZero())
	require.Contains(t, p.Statement, p.Coverage[0].FinishedAt.Format(time.RFC3339))
	status, body := s.do("PATCH", "/api/v1/dsr/cases/"+id, privacy, `{"status":"responded"}`)
	require.Equal(t, 200, status, body)
	status, body = s.do("PATCH", "/api/v1/dsr/cases/"+id, privacy, `{"status":"closed"}`)
	require.Equal(t, 200, status, body)
	require.Contains(t, body, `"status":"closed"`)

	_, none := open("DSR-8", "nobody@example.net")
	require.False(t, none.Found)
	require.Empty(t, none.Locations)
	require.True(t, strings.HasPrefix(none.Statement, "Not found: none of the identifiers appears in the 1 sources covered"), none.Statement)
	require.Equal(t, p.Coverage[0].FinishedAt, none.Coverage[0].FinishedAt)

	o := storetest.Options(t)
	o.Addr, o.Database = s.chAddr, s.database
	st, err := store.Open(context.Background(), o)
	require.NoError(t, err)
	defer st.Close()
	dump := strings.ToLower(storetest.Dump(t, st))
	require.Contains(t, dump, "dsr_cases\t", "the dump reads the case table")
	for _, raw := range []string{"ann.smith@example.com", "nobody@example.net"} {
		require.NotContains(t, dump, raw)
	}
	logText, err := os.ReadFile(s.coll.log)
	require.NoError(t, err)
	require.NotContains(t, strings.ToLower(string(logText)), "ann.smith")
	require.NotContains(t, string(logText), "nobody@example.net")
}
