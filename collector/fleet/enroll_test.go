package fleet_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/store/storetest"
)

// TestEnrollRefusesHostileSelfDescription: what an agent says of itself
// at enrollment is kept: its host name becomes the host of every file and
// account record it sends, its token's name in every audit row, a system
// in the data map. A host name of 60 KiB, one with a NUL or a newline,
// invalid UTF-8, a right-to-left override, a zero-width or trailing space
// (which show as another host's name), is refused with
// ErrInvalidEnrollment, and the refusal spends no use of the secret; a
// wrong secret is still refused as such, whatever the fields.
func TestEnrollRefusesHostileSelfDescription(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	authn := auth.New(auth.Options{Store: st})
	f := fleet.New(fleet.Options{Store: st, Auth: authn})
	secret, _, err := authn.Issue(ctx, auth.IssueRequest{Role: auth.RoleAgentEnroll, Uses: 1})
	require.NoError(t, err)

	for _, tc := range []struct {
		name string
		req  fleet.EnrollRequest
	}{
		{"60 KiB hostname", fleet.EnrollRequest{Hostname: strings.Repeat("a", 60<<10)}},
		{"254 bytes", fleet.EnrollRequest{Hostname: strings.Repeat("a", fleet.MaxHostnameLen+1)}},
		{"NUL", fleet.EnrollRequest{Hostname: "web-1\x00evil"}},
		{"newline", fleet.EnrollRequest{Hostname: "web-1\nweb-2"}},
		{"space", fleet.EnrollRequest{Hostname: "web-1 "}},
		{"invalid UTF-8", fleet.EnrollRequest{Hostname: "web-\xff"}},
		{"right-to-left override", fleet.EnrollRequest{Hostname: "web-\u202e1-bd"}},
		{"zero-width space", fleet.EnrollRequest{Hostname: "web-1\u200b"}},
		{"os with escape", fleet.EnrollRequest{Hostname: "web-9", OS: "linux\x1b[2J"}},
		{"long version", fleet.EnrollRequest{Hostname: "web-9", Version: strings.Repeat("1", 129)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			req.EnrollSecret = "wrong"
			_, err := f.Enroll(ctx, req)
			require.ErrorIs(t, err, fleet.ErrEnrollDenied, "a wrong secret is refused as such")
			req.EnrollSecret = secret
			_, err = f.Enroll(ctx, req)
			require.ErrorIs(t, err, fleet.ErrInvalidEnrollment)
		})
	}
	agents, err := st.ListAgents(ctx)
	require.NoError(t, err)
	require.Empty(t, agents, "no refused enrollment registered an agent")
	// The secret's one use is still there.
	// Markup and formulas are not refused here: the console shows them as
	// text and exports neutralise them.
	en, err := f.Enroll(ctx, fleet.EnrollRequest{EnrollSecret: secret, Hostname: `evil<img src=x onerror="alert(1)">`, OS: "linux/amd64", Version: "1.4.0"})
	require.NoError(t, err)
	require.NotEmpty(t, en.AgentID)
	_, err = f.Enroll(ctx, fleet.EnrollRequest{EnrollSecret: secret, Hostname: "web-2"})
	require.ErrorIs(t, err, fleet.ErrEnrollDenied, "the one use was spent by the enrollment that succeeded")
}

// TestHostnameConflictIgnoresCaseAndTrailingDot: two agents enrolled with
// one host name are flagged (same_hostname_agents). Host names are
// case-insensitive and a trailing dot names the same host, so a second
// agent enrolled as "WEB-1" or "web-1." is flagged with web-1 rather
// than passing as another host that looks the same.
func TestHostnameConflictIgnoresCaseAndTrailingDot(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	authn := auth.New(auth.Options{Store: st})
	f := fleet.New(fleet.Options{Store: st, Auth: authn})
	secret, _, err := authn.Issue(ctx, auth.IssueRequest{Role: auth.RoleAgentEnroll})
	require.NoError(t, err)
	ids := map[string]string{}
	for _, h := range []string{"web-1", "WEB-1", "web-1.", "web-2"} {
		en, err := f.Enroll(ctx, fleet.EnrollRequest{EnrollSecret: secret, Hostname: h})
		require.NoError(t, err)
		ids[h] = en.AgentID
	}
	list, err := f.List(ctx, fleet.Filter{})
	require.NoError(t, err)
	for _, a := range list {
		if a.Hostname == "web-2" {
			require.Empty(t, a.SameHostname)
			continue
		}
		require.Len(t, a.SameHostname, 2, "%s is flagged with the other two", a.Hostname)
	}
	one, err := f.Get(ctx, ids["WEB-1"])
	require.NoError(t, err)
	require.ElementsMatch(t, []string{ids["web-1"], ids["web-1."]}, one.SameHostname)
}
