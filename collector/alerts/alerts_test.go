package alerts

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestVerify(t *testing.T) {
	secret := []byte("s3cret")
	body := []byte(`{"id":"e1"}`)
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := Sign(secret, now.Unix(), body)
	for _, tc := range []struct {
		name, ts, sig string
		body          []byte
		secret        []byte
		at            time.Time
		wantErr       string
	}{
		{"good", ts, sig, body, secret, now, ""},
		{"tampered body", ts, sig, []byte(`{"id":"e2"}`), secret, now, "does not match"},
		{"other secret", ts, sig, body, []byte("other"), now, "does not match"},
		{"timestamp changed", strconv.FormatInt(now.Unix()+1, 10), sig, body, secret, now, "does not match"},
		{"replayed later", ts, sig, body, secret, now.Add(10 * time.Minute), "a replay"},
		{"no prefix", ts, strings.TrimPrefix(sig, "sha256="), body, secret, now, "does not match"},
		{"bad timestamp", "yesterday", sig, body, secret, now, "Unix seconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.secret, tc.ts, tc.sig, tc.body, tc.at, 5*time.Minute)
			if tc.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	s := &Service{o: Options{Config: Config{Retry: Retry{Base: time.Second, Cap: time.Minute}}}}
	for _, tc := range []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{4, 4 * time.Second, 8 * time.Second},
		{7, 30 * time.Second, time.Minute},
		{40, 30 * time.Second, time.Minute},
	} {
		for range 50 {
			d := s.backoff(tc.attempt)
			require.GreaterOrEqual(t, d, tc.min, "attempt %d", tc.attempt)
			require.LessOrEqual(t, d, tc.max, "attempt %d", tc.attempt)
		}
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{"": "", "a": "a***", "ab": "a***", "administrator": "ad***", "Åsa-admin": "Ås***"} {
		require.Equal(t, want, mask(in), in)
	}
}

func TestSyslogMessage(t *testing.T) {
	e := Event{ID: "e1", Kind: KindCredentialFound, Severity: "critical", FiredAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	msg := string(SyslogMessage(0, e, []byte(`{"class_uid":2004}`)))
	parts := strings.SplitN(msg, " ", 8)
	require.Len(t, parts, 8)
	require.Equal(t, "<82>1", parts[0], "authpriv (10) * 8 + critical (2)")
	require.Equal(t, "2026-01-02T03:04:05.000Z", parts[1])
	require.Equal(t, "sightline", parts[3])
	require.Equal(t, "credential_found", parts[5])
	require.Equal(t, "-", parts[6])
	require.Equal(t, `{"class_uid":2004}`, parts[7])
}
