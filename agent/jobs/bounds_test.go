package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/config"
	"github.com/sightline-dev/sightline/agent/hostiletest"
	"github.com/sightline-dev/sightline/agent/iamscan"
	"github.com/sightline-dev/sightline/agent/iamscan/iamtest"
	"github.com/sightline-dev/sightline/agent/ldapscan"
	"github.com/sightline-dev/sightline/agent/s3scan/s3test"
	"github.com/sightline-dev/sightline/internal/wire"
)

// The bounds agent.yaml (or a policy) sets are the scanners' Options;
// the defaults are the scanners' own; a section built without them (a
// `scan iam` command's) leaves the scanners to their defaults.
func TestBoundsReachTheScanners(t *testing.T) {
	tests := []struct {
		name                    string
		set                     func(*config.Scans)
		entries, message, kept  int
		details, awsOptions     int
		wantErr                 string // config.ValidateScans
		unvalidated, noDefaults bool
	}{
		{name: "defaults", set: func(*config.Scans) {},
			entries: ldapscan.DefaultMaxEntries, message: ldapscan.DefaultMaxMessageBytes, kept: ldapscan.DefaultMaxKeptBytes,
			details: iamscan.DefaultMaxDetails, awsOptions: 2},
		{name: "raised", set: func(s *config.Scans) {
			s.LDAP.MaxEntries, s.LDAP.MaxMessageBytes, s.LDAP.MaxKeptBytes, s.IAM.MaxDetails = 3_000_000, 128<<20, 8<<30, 1_000_000
		}, entries: 3_000_000, message: 128 << 20, kept: 8 << 30, details: 1_000_000, awsOptions: 2},
		{name: "lowered", set: func(s *config.Scans) {
			s.LDAP.MaxEntries, s.LDAP.MaxMessageBytes, s.LDAP.MaxKeptBytes, s.IAM.MaxDetails = 100, 1<<20, 16<<20, 50
		}, entries: 100, message: 1 << 20, kept: 16 << 20, details: 50, awsOptions: 2},
		{name: "section without bounds", set: func(s *config.Scans) {
			s.LDAP, s.IAM, s.S3 = config.LDAPScan{}, config.IAMScan{}, config.S3Scan{}
		}, wantErr: "scans.ldap.max_entries", awsOptions: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := config.Default().Scans
			tc.set(&s)
			if tc.wantErr != "" {
				require.ErrorContains(t, config.ValidateScans(s), tc.wantErr, "agent.yaml and policies cannot leave a bound out")
			} else {
				require.NoError(t, config.ValidateScans(s))
			}
			o := ldapOptions(s.LDAP, "pw", Env{}.withDefaults())
			require.Equal(t, tc.entries, o.MaxEntries)
			require.Equal(t, tc.message, o.MaxMessageBytes)
			require.Equal(t, tc.kept, o.MaxKeptBytes)
			require.Equal(t, tc.details, iamOptions(s.IAM, nil, Env{}).MaxDetails)
			require.Len(t, awsBounds(s.IAM.CallBounds), tc.awsOptions)
			require.Len(t, awsBounds(s.S3.CallBounds), tc.awsOptions)
		})
	}
}

// boundCase is how a lowered bound is seen to take effect: the scanner
// name's scan of s (a section agent.yaml could hold) ends with status,
// with problem among its errors ("": the scan's errors are want), a
// failed scan is Once's error, and the users it emitted are counted.
type boundCase struct {
	status, problem string
	want            []string // the errors when problem is ""
}

func (b boundCase) run(t *testing.T, name string, s config.Scans, env Env) (users int) {
	t.Helper()
	require.NoError(t, config.ValidateScans(s), "a value agent.yaml may hold")
	e, _ := Lookup(name)
	j, err := e.Build(context.Background(), s, env)
	require.NoError(t, err)
	// A safety net only: the bounds end each case well before it.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out sink
	res, err := Once(ctx, j, out.emit, slog.Default())
	require.NotNil(t, res)
	require.Equal(t, b.status, res.Status, "%v", res.Errors)
	if b.status == wire.StatusFailed {
		require.ErrorContains(t, err, name+" scan", "a failed scan is an error (exit 1)")
	} else {
		require.NoError(t, err)
	}
	if b.problem == "" {
		require.Equal(t, b.want, res.Errors)
	} else {
		require.Contains(t, strings.Join(res.Errors, "\n"), b.problem)
	}
	for _, r := range out.recs {
		if r.Kind == wire.KindPrincipal && r.PrincipalType == "user" {
			users++
		}
	}
	return users
}

// A lowered iam bound, set as agent.yaml sets it, takes effect against an
// IAM endpoint (the account of package iamtest: 6 users, a group, a role
// and a managed policy, in two pages of 3 users and of the rest; its
// root account's active keys make every scan of it partial): past
// max_details the listing stops, an answer over max_response_bytes fails
// it, and an endpoint silent for call_timeout fails the call.
func TestIAMBoundsTakeEffect(t *testing.T) {
	iamtest.Env(t)
	rootKeys := []string{"the root account has active access keys"}
	tests := []struct {
		name   string
		silent bool
		set    func(*config.IAMScan)
		boundCase
		users int
	}{
		{name: "defaults", set: func(*config.IAMScan) {}, boundCase: boundCase{status: wire.StatusPartial, want: rootKeys}, users: 6},
		{name: "max_details 2", set: func(c *config.IAMScan) { c.MaxDetails = 2 },
			boundCase: boundCase{status: wire.StatusPartial, problem: "authorization details: more than 2 users, groups, roles and policies"}, users: 3},
		{name: "max_response_bytes 1024", set: func(c *config.IAMScan) { c.MaxResponseBytes = 1024 },
			boundCase: boundCase{status: wire.StatusFailed, problem: "the endpoint's answer is larger than any AWS answer"}},
		{name: "call_timeout 1s, silent endpoint", silent: true, set: func(c *config.IAMScan) { c.CallTimeout = time.Second },
			boundCase: boundCase{status: wire.StatusFailed, problem: "no answer within 1s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := config.Default().Scans
			if tc.silent {
				s.IAM.Endpoint = "http://" + hostiletest.Silent(t)
			} else {
				s.IAM.Endpoint, _ = iamtest.Server(t, false)
			}
			s.IAM.Account = "111111111111"
			tc.set(&s.IAM)
			require.Equal(t, tc.users, tc.run(t, "iam", s, Env{AgentID: "agent-1"}))
		})
	}
}

// The s3 section's call bounds reach its client: with 40 buckets the
// bucket list is some 4 KiB, over a max_response_bytes of 1024, which
// fails the scan (nothing listed); a silent endpoint fails it at
// call_timeout. With the defaults the same server is scanned.
func TestS3CallBoundsTakeEffect(t *testing.T) {
	iamtest.Env(t)
	objects := map[string]map[string][]byte{}
	for i := range 40 {
		objects[fmt.Sprintf("bucket-with-a-longish-name-%02d", i)] = map[string][]byte{}
	}
	tests := []struct {
		name   string
		silent bool
		set    func(*config.CallBounds)
		boundCase
	}{
		{name: "defaults", set: func(*config.CallBounds) {}, boundCase: boundCase{status: wire.StatusOK}},
		{name: "max_response_bytes 1024", set: func(b *config.CallBounds) { b.MaxResponseBytes = 1024 },
			boundCase: boundCase{status: wire.StatusFailed, problem: "larger than any AWS answer"}},
		{name: "call_timeout 1s, silent endpoint", silent: true, set: func(b *config.CallBounds) { b.CallTimeout = time.Second },
			boundCase: boundCase{status: wire.StatusFailed, problem: "no answer within 1s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := config.Default().Scans
			if tc.silent {
				s.S3.Endpoint = "http://" + hostiletest.Silent(t)
			} else {
				s.S3.Endpoint = s3test.Server(t, nil, objects)
			}
			s.S3.Region, s.S3.PathStyle = "us-east-1", true
			tc.set(&s.S3.CallBounds)
			tc.run(t, "s3", s, Env{AgentID: "agent-1", TokenKey: []byte("0123456789abcdef")})
		})
	}
}

// testLDAP is the test directory (SIGHTLINE_TEST_LDAP, started by
// deploy/scripts/test.sh) with an OU of its own holding n users: its DN,
// the directory's URL and the manager's password file.
func testLDAP(t *testing.T, n int) (base, url, pwFile string) {
	url = os.Getenv("SIGHTLINE_TEST_LDAP")
	if url == "" {
		if os.Getenv("SIGHTLINE_REQUIRE_SERVICES") != "" {
			t.Fatal("SIGHTLINE_TEST_LDAP is not set but services are required")
		}
		t.Skip("no test LDAP server (SIGHTLINE_TEST_LDAP); make test starts one")
	}
	pwFile = os.Getenv("SIGHTLINE_TEST_LDAP_PASSWORD_FILE")
	pw, err := os.ReadFile(pwFile)
	require.NoError(t, err)
	conn, err := ldap.DialURL(url)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.Bind("cn=admin,dc=example,dc=com", string(pw)))
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	base = "ou=bounds" + hex.EncodeToString(b) + ",dc=example,dc=com"
	ou := ldap.NewAddRequest(base, nil)
	ou.Attribute("objectClass", []string{"organizationalUnit"})
	require.NoError(t, conn.Add(ou))
	for i := range n {
		uid := fmt.Sprintf("u%03d", i)
		req := ldap.NewAddRequest("uid="+uid+","+base, nil)
		req.Attribute("objectClass", []string{"inetOrgPerson"})
		req.Attribute("uid", []string{uid})
		req.Attribute("cn", []string{uid})
		req.Attribute("sn", []string{uid})
		require.NoError(t, conn.Add(req), uid)
	}
	return base, url, pwFile
}

// A lowered ldap bound, set as agent.yaml sets it, takes effect against a
// real directory of 150 users: max_entries 100 ends the read partial
// after at most 100 of them; max_kept_bytes and max_message_bytes stop it
// too, each with its reason. With the defaults the same directory is read
// whole.
func TestLDAPBoundsTakeEffect(t *testing.T) {
	base, url, pwFile := testLDAP(t, 150)
	tests := []struct {
		name string
		set  func(*config.LDAPScan)
		boundCase
		maxUsers int
	}{
		{name: "defaults", set: func(*config.LDAPScan) {}, boundCase: boundCase{status: wire.StatusOK}, maxUsers: 150},
		{name: "max_entries 100", set: func(c *config.LDAPScan) { c.MaxEntries = 100 },
			boundCase: boundCase{status: wire.StatusPartial, problem: "more than 100 entries under " + base}, maxUsers: 100},
		{name: "max_kept_bytes 4096", set: func(c *config.LDAPScan) { c.MaxKeptBytes = 4096 },
			boundCase: boundCase{status: wire.StatusPartial, problem: "the names, DNs and member lists read passed"}, maxUsers: 149},
		{name: "max_message_bytes 64", set: func(c *config.LDAPScan) { c.MaxMessageBytes = 64 },
			boundCase: boundCase{status: wire.StatusFailed, problem: "the server sent a message of"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := config.Default().Scans
			s.LDAP.URL, s.LDAP.BaseDN, s.LDAP.BindDN, s.LDAP.PasswordFile = url, base, "cn=admin,dc=example,dc=com", pwFile
			tc.set(&s.LDAP)
			users := tc.run(t, "ldap", s, Env{AgentID: "agent-1"})
			require.LessOrEqual(t, users, tc.maxUsers)
			if tc.status == wire.StatusOK {
				require.Equal(t, 150, users)
			}
		})
	}
}
