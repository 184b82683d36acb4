package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/api"
	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/ingest"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/collector/subjects"
)

// budgetHarness is a collector whose subject-search budget is small and
// whose clock the test moves.
type budgetHarness struct {
	*harness
	now     time.Time
	mu      sync.Mutex
	privacy string
	authn   *auth.Authenticator
}

func newBudgetHarness(t *testing.T, perHour int) *budgetHarness {
	st := storetest.New(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	bh := &budgetHarness{now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	clock := func() time.Time { bh.mu.Lock(); defer bh.mu.Unlock(); return bh.now }
	authn := auth.New(auth.Options{Store: st})
	fl := fleet.New(fleet.Options{Store: st, Auth: authn})
	ing := ingest.New(ingest.Options{Store: st, Logger: log, Rekey: fl.Keys().Rekey})
	srv := api.New(api.Options{Store: st, Auth: authn, Fleet: fl, Ingester: ing, MaxBodyBytes: 1 << 20,
		MaxDecodedBytes: 4 << 20, Logger: log,
		SubjectBudget: subjects.NewBudget(subjects.BudgetOptions{PerHour: perHour, Now: clock})})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	bh.harness = &harness{t: t, st: st, srv: ts}
	bh.authn = authn
	var err error
	ctx := context.Background()
	bh.admin, _, err = authn.Create(ctx, auth.RoleAdmin, "admin", "", 0)
	require.NoError(t, err)
	bh.privacy, _, err = authn.Create(ctx, auth.RolePrivacy, "dpo", "", 0)
	require.NoError(t, err)
	storetest.BuildIndex(t, st)
	return bh
}

func (bh *budgetHarness) advance(d time.Duration) {
	bh.mu.Lock()
	bh.now = bh.now.Add(d)
	bh.mu.Unlock()
}

func searchBody(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf(`{"type":"email","value":"person%d@example.com"}`, i)
	}
	return `{"identifiers":[` + strings.Join(ids, ",") + `]}`
}

func (bh *budgetHarness) search(token string, n int) (int, string, string) {
	t := bh.t
	req, err := http.NewRequest("POST", bh.srv.URL+"/api/v1/subjects/search", strings.NewReader(searchBody(n)))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(b)
}

// TestSubjectBudgetIsThePersons: a single sign-on login mints a new
// token named after the person each time. The budget went by token id,
// so logging in again gave a fresh hour's worth of guesses; it goes by
// the token's name (unique among live API tokens), so the second login's
// token finds the budget spent.
func TestSubjectBudgetIsThePersons(t *testing.T) {
	bh := newBudgetHarness(t, 10)
	code, _, body := bh.search(bh.privacy, 10)
	require.Equal(t, http.StatusOK, code, body)
	again, _, err := bh.authn.Create(context.Background(), auth.RolePrivacy, "dpo", "", time.Hour)
	require.NoError(t, err)
	code, _, body = bh.search(again, 1)
	require.Equal(t, http.StatusTooManyRequests, code, "a new token of the same person: %s", body)
	other, _, err := bh.authn.Create(context.Background(), auth.RolePrivacy, "dpo-deputy", "", time.Hour)
	require.NoError(t, err)
	code, _, body = bh.search(other, 10)
	require.Equal(t, http.StatusOK, code, "another person has their own budget: %s", body)
}

func TestSubjectSearchBudget(t *testing.T) {
	bh := newBudgetHarness(t, 10)
	search := bh.search

	code, _, body := search(bh.privacy, 6)
	require.Equal(t, http.StatusOK, code, body)
	code, _, body = search(bh.privacy, 4)
	require.Equal(t, http.StatusOK, code, body)
	code, retry, body := search(bh.privacy, 1)
	require.Equal(t, http.StatusTooManyRequests, code, body)
	require.Contains(t, body, `"code":"too_many_requests"`)
	require.Contains(t, body, "max_identifiers_per_hour")
	secs, err := strconv.Atoi(retry)
	require.NoError(t, err, "Retry-After is whole seconds")
	require.Equal(t, 360, secs, "one identifier of 10 per hour refills in 6 minutes")

	// Another token has its own budget.
	code, _, body = search(bh.admin, 10)
	require.Equal(t, http.StatusOK, code, body)

	// A refused request spent nothing: after the wait, it goes through.
	bh.advance(time.Duration(secs) * time.Second)
	code, _, body = search(bh.privacy, 1)
	require.Equal(t, http.StatusOK, code, body)
	// More than a whole hour's budget can never pass.
	bh.advance(2 * time.Hour)
	code, _, body = search(bh.privacy, 11)
	require.Equal(t, http.StatusTooManyRequests, code, body)

	// Every search is audited with the count and types, never a value.
	code, body = bh.do("GET", "/api/v1/audit?limit=100", bh.admin, nil, nil)
	require.Equal(t, http.StatusOK, code, body)
	var audit struct {
		Items []struct {
			Route  string `json:"route"`
			Params string `json:"params"`
			Status int    `json:"status"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &audit))
	got := map[string]int{}
	for _, e := range audit.Items {
		if e.Route == "/api/v1/subjects/search" {
			got[strconv.Itoa(e.Status)+" "+strings.SplitN(e.Params, " ", 2)[0]]++
			require.Contains(t, e.Params, "types=email")
		}
	}
	require.Equal(t, map[string]int{"200 identifiers=6": 1, "200 identifiers=4": 1, "200 identifiers=10": 1,
		"200 identifiers=1": 1, "429 identifiers=1": 1, "429 identifiers=11": 1}, got)
	require.NotContains(t, body, "example.com")
}

func TestEnrollSecretUsesThroughTheAPI(t *testing.T) {
	h := newHarness(t, 1<<20)
	code, body := h.do("POST", "/api/v1/tokens", h.admin, nil, strings.NewReader(`{"role":"agent-enroll","name":"once","uses":1}`))
	require.Equal(t, http.StatusCreated, code, body)
	var tok struct {
		Token     string     `json:"token"`
		MaxUses   int        `json:"max_uses"`
		ExpiresAt *time.Time `json:"expires_at"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &tok))
	require.Equal(t, 1, tok.MaxUses)
	require.NotNil(t, tok.ExpiresAt, "enroll secrets expire by default")
	require.WithinDuration(t, time.Now().Add(auth.DefaultEnrollTTL), *tok.ExpiresAt, time.Minute)

	enroll := func() (int, string) {
		return h.do("POST", "/api/v1/agents/enroll", "", nil, strings.NewReader(`{"enroll_secret":"`+tok.Token+`","hostname":"web-2"}`))
	}
	code, body = enroll()
	require.Equal(t, http.StatusCreated, code, body)
	code, body = enroll()
	require.Equal(t, http.StatusUnauthorized, code, body)
	require.Contains(t, body, "used up")

	code, body = h.do("POST", "/api/v1/tokens", h.admin, nil, strings.NewReader(`{"role":"admin","name":"x","uses":2}`))
	require.Equal(t, http.StatusBadRequest, code, body)
}
