package jobs

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/config"
	"github.com/sightline-dev/sightline/agent/scanstate"
	"github.com/sightline-dev/sightline/internal/wire"
)

func TestTableReadsEachScannersOwnSection(t *testing.T) {
	require.Equal(t, []string{"fs", "host", "ldap", "s3", "iam", "db", "smb", "azblob", "gcs"}, Names())
	for _, e := range Table() {
		t.Run(e.Name, func(t *testing.T) {
			s := config.Default().Scans
			on, _ := e.Section(s)
			require.False(t, on)
			// Enable only this scanner, with a schedule of its own.
			sched := config.Schedule{Interval: 1234, Jitter: 0.2}
			switch e.Name {
			case "fs":
				s.FS.Enabled, s.FS.Schedule = true, sched
			case "host":
				s.Host.Enabled, s.Host.Schedule = true, sched
			case "ldap":
				s.LDAP.Enabled, s.LDAP.Schedule = true, sched
			case "s3":
				s.S3.Enabled, s.S3.Schedule = true, sched
			case "iam":
				s.IAM.Enabled, s.IAM.Schedule = true, sched
			case "db":
				s.DB.Enabled, s.DB.Schedule = true, sched
			case "smb":
				s.SMB.Enabled, s.SMB.Schedule = true, sched
			case "azblob":
				s.AzBlob.Enabled, s.AzBlob.Schedule = true, sched
			case "gcs":
				s.GCS.Enabled, s.GCS.Schedule = true, sched
			}
			on, when := e.Section(s)
			require.True(t, on)
			require.Equal(t, sched, when)
			for _, other := range Table() {
				if on, _ := other.Section(s); other.Name != e.Name {
					require.False(t, on, other.Name)
				}
			}
			got, ok := Lookup(e.Name)
			require.True(t, ok)
			require.Equal(t, e.Name, got.Name)
		})
	}
	_, ok := Lookup("nfs")
	require.False(t, ok)
}

// fakeJob emits a scan record of status and counts commits: a stand-in
// for a scanner, to test the exit rule alone.
func fakeJob(status string, scanErr, commitErr error, commits *int) Job {
	return Job{Name: "fs",
		Scan: func(_ context.Context, emit Emit) (*wire.Record, error) {
			if scanErr != nil {
				return nil, scanErr
			}
			rec := &wire.Record{Kind: wire.KindScan, Scanner: "fs", Status: status}
			if status != wire.StatusOK {
				rec.Errors = []string{"/srv: permission denied"}
			}
			return rec, emit(rec)
		},
		Commit: func() error { *commits++; return commitErr },
	}
}

func TestExitRule(t *testing.T) {
	boom := errors.New("emit failed")
	tests := []struct {
		name       string
		status     string
		scanErr    error
		commitErr  error
		onceErr    string // "" for none
		deliverErr string
		commits    int
		warned     bool
	}{
		{name: "ok", status: wire.StatusOK},
		{name: "partial", status: wire.StatusPartial, warned: true},
		{name: "failed", status: wire.StatusFailed, onceErr: "fs scan failed: /srv: permission denied",
			deliverErr: "fs scan failed: /srv: permission denied"},
		{name: "could not run", scanErr: boom, onceErr: "emit failed", deliverErr: "emit failed"},
		{name: "state not saved", status: wire.StatusOK, commitErr: errors.New("disk full"),
			onceErr: "fs scan done, but its incremental state was not saved: disk full", warned: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logBuf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logBuf, nil))
			commits := 0
			var emitted []*wire.Record
			emit := func(r *wire.Record) error { emitted = append(emitted, r); return nil }

			_, err := Once(context.Background(), fakeJob(tc.status, tc.scanErr, tc.commitErr, &commits), emit, log)
			if tc.onceErr == "" {
				require.NoError(t, err)
			} else {
				require.EqualError(t, err, tc.onceErr)
			}
			onceCommits := commits
			if tc.name == "partial" {
				require.Contains(t, logBuf.String(), "fs scan problem")
			}

			commits, logBuf = 0, bytes.Buffer{}
			flushed := 0
			_, err = Deliver(context.Background(), fakeJob(tc.status, tc.scanErr, tc.commitErr, &commits), emit,
				func(context.Context) error { flushed++; return nil }, log)
			if tc.deliverErr == "" {
				require.NoError(t, err, "in run mode a scan that ran is not an error")
			} else {
				require.EqualError(t, err, tc.deliverErr)
			}
			if tc.scanErr == nil {
				require.Equal(t, 1, flushed, "records are sealed before the state is kept")
			}
			if tc.commitErr != nil {
				require.Contains(t, logBuf.String(), "incremental state was not saved")
			}
			wantCommits := 1
			if tc.status == wire.StatusFailed || tc.scanErr != nil {
				wantCommits = 0 // a failed scan never replaces the state
			}
			require.Equal(t, wantCommits, onceCommits)
			require.Equal(t, wantCommits, commits)
		})
	}
	require.EqualError(t, Outcome("iam", &wire.Record{Status: wire.StatusFailed}), "iam scan failed: nothing could be read")
	require.Error(t, Outcome("iam", nil))
}

// The fs entry, built from its config section, scans and keeps its
// state: a second run reads no unchanged file and reports the same
// findings.
func TestFSJobIsIncremental(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.txt"), []byte("mail jane.doe@example.com\n"), 0o644))
	data := t.TempDir()
	s := config.Default().Scans
	s.FS.Paths = []string{dir}
	env := Env{AgentID: "agent-1", Host: "web-1", TokenKey: []byte("0123456789abcdef"),
		StatePath: func(n string) string { return scanstate.Path(data, n) }}
	e, _ := Lookup("fs")

	_, err := e.Build(context.Background(), s, Env{})
	require.ErrorContains(t, err, "no token key")

	run := func() (*wire.Record, int) {
		job, err := e.Build(context.Background(), s, env)
		require.NoError(t, err)
		pii := 0
		res, err := Once(context.Background(), job, func(r *wire.Record) error {
			require.Equal(t, "agent-1", r.AgentID)
			require.Equal(t, "web-1", r.Host)
			if r.Kind == wire.KindPII {
				pii++
			}
			return nil
		}, slog.Default())
		require.NoError(t, err)
		return res, pii
	}
	first, n1 := run()
	require.Equal(t, wire.StatusOK, first.Status)
	require.Equal(t, int64(0), first.Stats["unchanged"])
	require.FileExists(t, filepath.Join(data, "fs-state.json"))
	second, n2 := run()
	require.Equal(t, int64(1), second.Stats["unchanged"])
	require.Equal(t, n1, n2)
	require.Positive(t, n1)

	// A path that cannot be read: the scan fails, and exits non-zero.
	s.FS.Paths = []string{filepath.Join(dir, "gone")}
	job, err := e.Build(context.Background(), s, env)
	require.NoError(t, err)
	_, err = Once(context.Background(), job, func(*wire.Record) error { return nil }, slog.Default())
	require.ErrorContains(t, err, "fs scan failed")
}

func TestLDAPPassword(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(pwFile, []byte("s3cret\r\n"), 0o600))
	env := func(v string) Env { return Env{Getenv: func(string) string { return v }} }
	tests := []struct {
		name    string
		lc      config.LDAPScan
		env     string
		want    string
		wantErr string
	}{
		{name: "file, line end trimmed", lc: config.LDAPScan{BindDN: "cn=a", PasswordFile: pwFile}, env: "ignored", want: "s3cret"},
		{name: "environment", lc: config.LDAPScan{BindDN: "cn=a"}, env: "fromenv", want: "fromenv"},
		{name: "anonymous", lc: config.LDAPScan{}},
		{name: "bind DN, no password", lc: config.LDAPScan{BindDN: "cn=a"}, wantErr: "cn=a has no password"},
		{name: "unreadable file", lc: config.LDAPScan{PasswordFile: filepath.Join(dir, "missing")}, wantErr: "reading the password file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ldapPassword(tc.lc, env(tc.env).withDefaults())
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	_, err := buildLDAP(context.Background(), config.Default().Scans, Env{})
	require.ErrorContains(t, err, "url and base DN are required")
}

func TestBuildDBRefusesAPasswordInTheDSN(t *testing.T) {
	env := Env{TokenKey: []byte("0123456789abcdef"), Getenv: func(string) string { return "pw" }}
	s := config.Default().Scans
	_, err := buildDB(context.Background(), s, env)
	require.ErrorContains(t, err, "DSN is required")
	s.DB.DSN = "postgres://scan:secret@db.example/app"
	_, err = buildDB(context.Background(), s, env)
	require.ErrorContains(t, err, "SIGHTLINE_DB_PASSWORD")
	s.DB.DSN = "postgres://scan@db.example/app"
	s.DB.PasswordFile = "/nonexistent/db.pw"
	_, err = buildDB(context.Background(), s, env)
	require.ErrorContains(t, err, "reading the password file")
	s.DB.PasswordFile = ""
	j, err := buildDB(context.Background(), s, env)
	require.NoError(t, err)
	require.Equal(t, "db", j.Name)
}

// Every scanner that reads content sets up its tokenizer, detector and
// state one way (setupContent): no token key is refused, and a bad custom
// detectors file is an error that names the scanner.
func TestContentScannersSetUpAlike(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "detectors.json")
	require.NoError(t, os.WriteFile(bad, []byte("not a definition list"), 0o600))
	s := config.Default().Scans
	s.SMB.Server, s.SMB.Share, s.SMB.User = "files", "data", "reader"
	s.GCS.Project = "proj"
	for _, name := range []string{"fs", "s3", "smb", "azblob", "gcs"} {
		t.Run(name, func(t *testing.T) {
			e, ok := Lookup(name)
			require.True(t, ok)
			require.True(t, e.Tokens)
			_, err := e.Build(context.Background(), s, Env{})
			require.ErrorContains(t, err, "no token key")

			withBad := s
			withBad.DetectorsFile = bad
			_, err = e.Build(context.Background(), withBad, Env{TokenKey: []byte("0123456789abcdef")})
			require.ErrorContains(t, err, name+" scan: custom detectors file "+bad)
		})
	}
}
