package console_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	opstorage "github.com/zitadel/oidc/v3/example/server/storage"

	"github.com/sightline-dev/sightline/collector/api"
	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/console"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/session"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/store/storetest"
	"github.com/sightline-dev/sightline/internal/wire"
)

// chromium finds the browser, or skips (fails under make test, which
// installs it).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(storetest.EnvRequire) == "1" {
		t.Fatal("chromium is not installed: deploy/scripts/install-deps.sh chromium installs it")
	}
	t.Skip("chromium is not installed (Debian package chromium; deploy/scripts/install-deps.sh chromium): skipping the browser test")
	return ""
}

// seed stores a file share scan (one file with emails and phone numbers)
// and a directory scan (two users, a group, grants), as agents would.
func seed(t *testing.T, st *store.Store) {
	now := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	fin := now.Add(time.Minute)
	fs := func(kind string) wire.Record {
		return wire.Record{Kind: kind, Source: wire.SourceFS, ScanID: "fs1", ObservedAt: now, AgentID: "a-files", Host: "files.test"}
	}
	ldap := func(kind string) wire.Record {
		return wire.Record{Kind: kind, Source: wire.SourceLDAP, ScanID: "ld1", ObservedAt: now, AgentID: "a-ldap", Host: "ldap.test"}
	}
	var recs []wire.Record
	a := fs(wire.KindAsset)
	a.AssetID, a.AssetType, a.Location, a.Owner, a.Size = "f-payroll", "file", "file:///srv/hr/payroll.csv", "hr", 2048
	a.Attributes = map[string]string{"mode": "0644"}
	recs = append(recs, a)
	for _, p := range []struct {
		typ, cat string
		n        int64
	}{{"email", "contact", 40}, {"phone", "contact", 12}} {
		r := fs(wire.KindPII)
		r.AssetID, r.Location, r.Type, r.Category, r.Count, r.Distinct, r.Confidence = "f-payroll", a.Location, p.typ, p.cat, p.n, p.n/2, "high"
		r.Samples = []string{"j***@e***.com"}
		recs = append(recs, r)
	}
	for _, name := range []string{"alice", "bob"} {
		p := ldap(wire.KindPrincipal)
		p.PrincipalID, p.Name, p.PrincipalType = "p-"+name, name, "user"
		recs = append(recs, p)
		g := ldap(wire.KindEntitlement)
		g.PrincipalID, g.ResourceID, g.ResourceType, g.Permission = "p-"+name, "g-staff", "group", "member"
		recs = append(recs, g)
	}
	recs = append(recs,
		wire.Record{Kind: wire.KindScan, Source: wire.SourceFS, ScanID: "fs1", ObservedAt: now, AgentID: "a-files", Host: "files.test",
			Scanner: wire.SourceFS, StartedAt: &now, FinishedAt: &fin, Status: wire.StatusOK},
		wire.Record{Kind: wire.KindScan, Source: wire.SourceLDAP, ScanID: "ld1", ObservedAt: now, AgentID: "a-ldap", Host: "ldap.test",
			Scanner: wire.SourceLDAP, StartedAt: &now, FinishedAt: &fin, Status: wire.StatusOK})
	for i := range recs {
		require.NoError(t, recs[i].Validate(), "fixture record %d", i)
	}
	require.NoError(t, st.InsertRecords(context.Background(), recs))
	storetest.BuildIndex(t, st)
}

// provider starts zitadel's example OpenID provider on loopback with four
// people (one with an address not verified) and one web client (secret, PKCE).
func provider(t *testing.T, redirect string) (issuer string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	issuer = "http://" + ln.Addr().String()
	users := map[string]any{}
	for i, n := range []string{"ann", "rita", "pat"} {
		id := fmt.Sprintf("id%d", i+1)
		users[id] = map[string]any{"ID": id, "Username": n, "Password": "verysecure", "FirstName": n, "LastName": "Test",
			"Email": n + "@example.com", "EmailVerified": true, "PreferredLanguage": "en"}
	}
	// eve typed ann's address into her profile; the provider did not
	// verify it.
	users["id4"] = map[string]any{"ID": "id4", "Username": "eve", "Password": "verysecure", "FirstName": "eve", "LastName": "Test",
		"Email": "ann@example.com", "EmailVerified": false, "PreferredLanguage": "en"}
	b, err := json.Marshal(users)
	require.NoError(t, err)
	f := filepath.Join(t.TempDir(), "users.json")
	require.NoError(t, os.WriteFile(f, b, 0o600))
	us, err := opstorage.StoreFromFile(f)
	require.NoError(t, err)
	stor := opstorage.NewStorageWithClients(us, map[string]*opstorage.Client{
		"sightline": opstorage.WebClient("sightline", "client-secret", redirect),
	})
	srv := &http.Server{Handler: exampleop.SetupServer(issuer, stor, nil, false), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return issuer
}

type collector struct {
	url   string
	admin string
	authn *auth.Authenticator
	st    *store.Store
}

func (c collector) call(t *testing.T, method, path, token string, body any, cookies ...*http.Cookie) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	req.Header.Set("Content-Type", "application/json")
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: insecureTLS()}}
	resp, err := cl.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// startCollector serves the real API over TLS behind the console, wired
// as collector/main.go does, with SSO against the provider.
func startCollector(t *testing.T) collector {
	return startCollectors(t, 1)[0]
}

// startCollectors starts n collectors on one database, as behind one
// address: the same store, the same console key (a collector derives it
// from the shared key file) and logouts recorded in the store.
func startCollectors(t *testing.T, n int) []collector {
	st := storetest.New(t)
	seed(t, st)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	authn := auth.New(auth.Options{Store: st})
	key := make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	admin, _, err := authn.Create(context.Background(), auth.RoleAdmin, "test-admin", "", 0)
	require.NoError(t, err)
	var out []collector
	for range n {
		apiSrv := api.New(api.Options{Store: st, Auth: authn, Fleet: fleet.New(fleet.Options{Store: st, Auth: authn}), Logger: log})
		ts := httptest.NewUnstartedServer(nil)
		base := "https://" + ts.Listener.Addr().String()
		issuer := provider(t, base+"/console/sso/callback")
		sess, err := session.NewStore(session.Options{Key: key, Revocations: st})
		require.NoError(t, err)
		sso, err := session.NewOIDC(session.OIDCOptions{Issuer: issuer, ClientID: "sightline", ClientSecret: "client-secret",
			RedirectURL: base + "/console/sso/callback", NameClaim: "email", Key: key, Roles: []session.RoleRule{
				{Claim: "email", Value: "ann@example.com", Role: auth.RoleAdmin},
				{Claim: "email", Value: "rita@example.com", Role: auth.RoleReviewer},
			}})
		require.NoError(t, err)
		ts.Config.Handler = console.Handler(console.Options{API: apiSrv, Tokens: authn, Sessions: sess, OIDC: sso, Logger: log})
		ts.StartTLS()
		t.Cleanup(ts.Close)
		out = append(out, collector{url: base, admin: admin, authn: authn, st: st})
	}
	return out
}

func browser(t *testing.T) (context.Context, context.CancelFunc) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	return ctx, func() { cancelTimeout(); cancelCtx(); cancelAlloc() }
}

func awaitPromise(p *runtime.EvaluateParams) { p.AwaitPromise = new(true) }

// The helpers below store an action's value, so steps read in order.
func text(sel string, dst *string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) (err error) {
		*dst, err = chromedp.Text(chromedp.CSS(sel))(ctx, t)
		return err
	})
}

func evalTo[T any](expr string, dst *T, opts ...chromedp.EvaluateOption) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) (err error) {
		*dst, err = chromedp.Evaluate[T](expr, opts...)(ctx, t)
		return err
	})
}

func run(expr string) chromedp.Action[chromedp.Void] {
	var discard any
	return evalTo(expr, &discard)
}

func location(dst *string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) (err error) {
		*dst, err = chromedp.Location()(ctx, t)
		return err
	})
}

func poll(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr)(ctx, t)
		return err
	})
}

// ssoLogin goes through the provider's login page as user.
func ssoLogin(base, user string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#sso")),
		chromedp.Click(chromedp.CSS("#sso")),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), "verysecure"),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#logout")),
	)
}

// TestConsole drives the console in headless Chromium against one real
// pipeline — the collector binary over ClickHouse, fed by an agent that
// scanned a sample tree with planted personal data and the host fixture
// — started once for all its subtests (an agent run per test would
// triple the time). Each subtest opens its own browser.
func TestConsole(t *testing.T) {
	chromium(t)
	p := startPipeline(t)
	shots := screenshotDir(t)
	t.Logf("screenshots in %s", shots)
	t.Run("SSOAndReview", func(t *testing.T) { testSSOAndReview(t, p, shots) })
	t.Run("SSOWithoutRole", func(t *testing.T) { testSSOWithoutRole(t, p) })
	t.Run("TokenLogin", func(t *testing.T) { testTokenLogin(t, p) })
	t.Run("Pages", func(t *testing.T) { testPages(t, p, shots) })
}

// screenshotDir is SIGHTLINE_CONSOLE_SCREENSHOTS (made if missing) or the
// test's temporary directory.
func screenshotDir(t *testing.T) string {
	d := os.Getenv("SIGHTLINE_CONSOLE_SCREENSHOTS")
	if d == "" {
		return t.TempDir()
	}
	require.NoError(t, os.MkdirAll(d, 0o755))
	return d
}

// screenshot saves the whole page as dir/name.png.
func screenshot(dir, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		b, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644)
	})
}

// assetAt finds the asset whose location ends in suffix through the API.
func assetAt(t *testing.T, p *pipeline, suffix string) (id, location string) {
	var l struct {
		Items []struct {
			AssetID  string `json:"asset_id"`
			Location string `json:"location"`
		} `json:"items"`
	}
	require.Equal(t, http.StatusOK, p.get(t, "/api/v1/assets?limit=100", &l))
	for _, a := range l.Items {
		if strings.HasSuffix(a.Location, suffix) {
			return a.AssetID, a.Location
		}
	}
	t.Fatalf("no asset at …%s in %+v", suffix, l.Items)
	return "", ""
}

func testSSOAndReview(t *testing.T, c *pipeline, shots string) {
	ctx, cancel := browser(t)
	defer cancel()
	shot := func(name string) chromedp.Action[chromedp.Void] { return screenshot(shots, name) }

	// The admin signs in through the provider and sees the overview the
	// API describes.
	var total string
	require.NoError(t, chromedp.Do(ctx, ssoLogin(c.url, "ann"),
		chromedp.WaitVisible(chromedp.CSS("#total-assets")),
		text("#total-assets .n", &total), shot("overview")))
	code, body := c.call(t, "GET", "/api/v1/inventory/summary", c.admin, nil)
	require.Equal(t, http.StatusOK, code, string(body))
	var sum struct{ Assets int }
	require.NoError(t, json.Unmarshal(body, &sum))
	require.Equal(t, 2, sum.Assets, "the two files holding personal data")
	require.Equal(t, fmt.Sprint(sum.Assets), total)
	var who string
	require.NoError(t, chromedp.Do(ctx, text("#who", &who)))
	require.Equal(t, "ann@example.com (admin)", who)

	// Cookie flags, as the browser stored them.
	ck, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{c.url + "/"}})
	require.NoError(t, err)
	byName := map[string]*network.Cookie{}
	for _, ck := range ck.Cookies {
		byName[ck.Name] = ck
	}
	sc, cc := byName[session.CookieName], byName[session.CSRFCookieName]
	require.NotNil(t, sc, "session cookie")
	require.NotNil(t, cc, "CSRF cookie")
	require.True(t, sc.HTTPOnly)
	require.True(t, sc.Secure)
	require.Equal(t, network.CookieSameSiteStrict, sc.SameSite)
	require.Equal(t, "/", sc.Path)
	require.False(t, cc.HTTPOnly)
	require.True(t, cc.Secure)
	require.Equal(t, network.CookieSameSiteStrict, cc.SameSite)
	_, hasState := byName[session.StateCookieName]
	require.False(t, hasState, "the login state cookie is gone after the callback")

	// The session's token is the minted SSO token, named after the person.
	code, body = c.call(t, "GET", "/api/v1/tokens", c.admin, nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, liveTokens(t, body), "ann@example.com admin")

	// From the page: without the CSRF header the API refuses, with it the
	// same call passes (and is audited as ann).
	var statuses []int
	require.NoError(t, chromedp.Do(ctx, evalTo(`(async () => {
		const body = JSON.stringify({role: 'reviewer', name: 'csrf-test'});
		const a = await fetch('/api/v1/tokens', {method: 'POST', headers: {'Content-Type': 'application/json'}, body});
		const csrf = document.cookie.split('; ').find(c => c.startsWith('__Host-sightline_csrf=')).split('=')[1];
		const b = await fetch('/api/v1/tokens', {method: 'GET', headers: {'X-Sightline-CSRF': csrf}});
		const c = await fetch('/api/v1/tokens', {method: 'POST', headers: {'Content-Type': 'application/json', 'X-Sightline-CSRF': 'x'.repeat(43)}, body});
		return [a.status, b.status, c.status];
	})()`, &statuses, awaitPromise)))
	require.Equal(t, []int{403, 200, 403}, statuses)
	code, body = c.call(t, "GET", "/api/v1/audit?limit=100", c.admin, nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, auditors(t, body), "ann@example.com admin")
	require.NotContains(t, string(body), "csrf-test")

	// The asset page shows masked findings of the scanned file.
	id, location := assetAt(t, c, "/crm/customers.csv")
	var loc, findings string
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(c.url+"/#/assets"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="#/assets/`+id+`"]`)),
		text(`a[href="#/assets/`+id+`"]`, &loc), shot("assets"),
		chromedp.Click(chromedp.CSS(`a[href="#/assets/`+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#risk-score")),
		text("main", &findings), shot("asset")))
	require.Equal(t, location, loc)
	require.Contains(t, findings, "credit_card")
	require.NotContains(t, findings, plantedEmail, "findings are masked")
	require.NotContains(t, findings, plantedCard, "findings are masked")

	// Admin pages work for the admin.
	var tokensText string
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(c.url+"/#/admin"),
		chromedp.WaitVisible(chromedp.CSS("#create-token")),
		chromedp.WaitVisible(chromedp.CSS("#tokens-h + form + div + div table")),
		text("#tokens-h + form + div + div table", &tokensText), shot("admin")))
	require.Contains(t, tokensText, "test-admin")

	// Logout ends the session: the old cookie no longer works and the
	// minted token is revoked.
	sessCookie := &http.Cookie{Name: session.CookieName, Value: sc.Value}
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS("#token"))))
	code, body = c.call(t, "GET", "/api/v1/inventory/summary", "", nil, sessCookie)
	require.Equal(t, http.StatusUnauthorized, code, string(body))
	code, body = c.call(t, "GET", "/api/v1/tokens", c.admin, nil)
	require.Equal(t, http.StatusOK, code)
	var toks struct {
		Items []struct {
			Name    string `json:"name"`
			Revoked bool   `json:"revoked"`
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(body, &toks))
	for _, tk := range toks.Items {
		if tk.Name == "ann@example.com" {
			require.True(t, tk.Revoked, "logout revokes the session's token")
		}
	}

	// An admin opens a campaign over the scanned files' grants for rita;
	// rita signs in, certifies one item and revokes another with a
	// comment; the API sees both.
	code, body = c.call(t, "POST", "/api/v1/reviews", c.admin, map[string]any{"name": "Q4 files", "reviewer": "rita@example.com",
		"scope": map[string]any{"source": "fs", "personal_data_only": true}})
	require.Equal(t, http.StatusCreated, code, string(body))
	var camp struct {
		CampaignID string `json:"campaign_id"`
		Items      int    `json:"items"`
	}
	require.NoError(t, json.Unmarshal(body, &camp))
	require.GreaterOrEqual(t, camp.Items, 2, "the files' owner, group and everyone")
	var progress string
	require.NoError(t, chromedp.Do(ctx, ssoLogin(c.url, "rita"),
		chromedp.Navigate(c.url+"/#/reviews/"+camp.CampaignID),
		chromedp.WaitVisible(chromedp.CSS(`button[data-action="certify"]`)), shot("reviews"),
		poll(fmt.Sprintf(`document.querySelectorAll('button[data-action="certify"]').length === %d`, camp.Items)),
		chromedp.Click(chromedp.CSS(`button[data-action="certify"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#review-progress`)),
		poll(fmt.Sprintf(`document.querySelectorAll('button[data-action="certify"]').length === %d`, camp.Items-1)),
		run(`document.querySelector('button[data-action="revoke"]').parentElement.querySelector('input').value = 'left the team'`),
		chromedp.Click(chromedp.CSS(`button[data-action="revoke"]`)),
		poll(fmt.Sprintf(`document.querySelectorAll('button[data-action="revoke"]').length === %d`, camp.Items-2)),
		text("#review-progress", &progress)))
	require.Contains(t, progress, fmt.Sprintf("%d pending", camp.Items-2))
	code, body = c.call(t, "GET", "/api/v1/reviews/"+camp.CampaignID+"/items", c.admin, nil)
	require.Equal(t, http.StatusOK, code)
	var items struct {
		Items []struct {
			Decision, Comment string
		} `json:"items"`
	}
	require.NoError(t, json.Unmarshal(body, &items))
	got := map[string]string{}
	for _, it := range items.Items {
		if it.Decision != "" {
			got[it.Decision] = it.Comment
		}
	}
	require.Equal(t, map[string]string{"certify": "", "revoke": "left the team"}, got)

	// Rita's campaign list holds her campaign with her counts, and not a
	// campaign with no item of hers.
	code, body = c.call(t, "POST", "/api/v1/reviews", c.admin, map[string]any{"name": "Elsewhere", "reviewer": "someone-else",
		"scope": map[string]any{"source": "fs"}})
	require.Equal(t, http.StatusCreated, code, string(body))
	var rows [][]string
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(c.url+"/#/reviews"),
		chromedp.WaitVisible(chromedp.CSS("#campaigns-h")),
		evalTo(`[...document.querySelectorAll('#campaigns-h ~ * tbody tr')].map(r => [...r.cells].map(c => c.innerText.trim()))`, &rows),
		shot("campaigns")))
	require.Len(t, rows, 1, "only the campaign with rita's items: %v", rows)
	require.Equal(t, "Q4 files", rows[0][0])
	require.Equal(t, []string{fmt.Sprint(camp.Items), fmt.Sprint(camp.Items - 2)}, rows[0][4:6])

	// A reviewer has no admin pages: the console shows the API's 403.
	var errText string
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(c.url+"/#/admin"),
		chromedp.WaitVisible(chromedp.CSS("#tokens-h ~ .error")),
		text("#tokens-h ~ .error", &errText), shot("forbidden")))
	require.Contains(t, errText, "403 Forbidden")
	var navText string
	require.NoError(t, chromedp.Do(ctx, text("#nav", &navText)))
	require.Equal(t, "Access reviews", strings.TrimSpace(navText))
}

// A person whose claims map to no role is refused, with the reason shown.
func testSSOWithoutRole(t *testing.T, c *pipeline) {
	ctx, cancel := browser(t)
	defer cancel()
	var msg string
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(c.url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#sso")),
		chromedp.Click(chromedp.CSS("#sso")),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "pat"),
		chromedp.SendKeys(chromedp.CSS("#password"), "verysecure"),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS(".login .error")),
		text(".login .error", &msg)))
	require.Contains(t, msg, "no Sightline role")
	var loc string
	require.NoError(t, chromedp.Do(ctx, location(&loc)))
	require.NotContains(t, loc, "sso_error", "the error code is dropped from the address bar")
}

// Token login: a privacy token opens a session whose admin action the
// API refuses, shown as 403; an agent-enroll token opens none.
func testTokenLogin(t *testing.T, c *pipeline) {
	ctx, cancel := browser(t)
	defer cancel()
	priv := c.token(t, "privacy", "dpo", 0)
	enroll := c.token(t, "agent-enroll", "enroll-2", time.Hour)

	var msg string
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(c.url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), enroll),
		chromedp.Click(chromedp.CSS("#login-token")),
		chromedp.WaitVisible(chromedp.CSS(".login .error")),
		text(".login .error", &msg)))
	require.Contains(t, msg, "403 Forbidden")

	var errText, who, navText string
	require.NoError(t, chromedp.Do(ctx,
		run(`document.querySelector('#token').value = ''`),
		chromedp.SendKeys(chromedp.CSS("#token"), priv),
		chromedp.Click(chromedp.CSS("#login-token")),
		chromedp.WaitVisible(chromedp.CSS("#total-assets")),
		text("#who", &who),
		text("#nav", &navText),
		chromedp.Navigate(c.url+"/#/admin"),
		chromedp.WaitVisible(chromedp.CSS("#create-token")),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "sneaky"),
		chromedp.Click(chromedp.CSS("#create-token")),
		chromedp.WaitVisible(chromedp.CSS("#tokens-h ~ div .error")),
		text("#tokens-h ~ div .error", &errText)))
	require.Equal(t, "dpo (privacy)", who)
	for _, page := range []string{"Requests", "Records of processing", "Impact assessments", "Alerts"} {
		require.Contains(t, navText, page, "a privacy page in the menu")
	}
	require.NotContains(t, navText, "Fleet policies", "a security page is not in the privacy menu")
	require.Contains(t, errText, "403 Forbidden")
	code, body := c.call(t, "GET", "/api/v1/tokens", c.admin, nil)
	require.Equal(t, http.StatusOK, code)
	require.NotContains(t, string(body), "sneaky")

	// The data-subject search finds the planted person (the collector
	// compares keyed tokens the agent computed), and keeps nothing typed
	// in the URL or the browser's storage.
	var url, status, table string
	var stored int
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(c.url+"/#/subjects"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="value"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="value"]`), strings.ToUpper(plantedEmail)),
		chromedp.Click(chromedp.CSS("#subject-search")),
		chromedp.WaitVisible(chromedp.CSS(`main p[role="status"]`)),
		text(`main p[role="status"]`, &status),
		text(`main table`, &table),
		location(&url),
		evalTo(`localStorage.length + sessionStorage.length`, &stored)))
	code, body = c.call(t, "POST", "/api/v1/subjects/search", c.admin, map[string]any{"identifiers": []map[string]string{{"type": "email", "value": plantedEmail}}})
	require.Equal(t, http.StatusOK, code, string(body))
	var res struct {
		Total   int `json:"total"`
		Matches []struct {
			Location string `json:"location"`
		} `json:"matches"`
	}
	require.NoError(t, json.Unmarshal(body, &res))
	require.Equal(t, 1, res.Total, string(body))
	require.Equal(t, "1 asset(s) hold these identifiers.", status)
	require.Contains(t, table, res.Matches[0].Location)
	require.Contains(t, res.Matches[0].Location, "crm/customers.csv")
	require.NotContains(t, strings.ToLower(url), "ann.smith")
	require.Zero(t, stored)

	// The privacy role opens the privacy office's pages (the admin's test
	// of them is in testPages).
	var dsrCount, missing string
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(c.url+"/#/dsr"),
		chromedp.WaitVisible(chromedp.CSS("#dsr-count")),
		text("#dsr-count", &dsrCount),
		chromedp.Navigate(c.url+"/#/records"),
		chromedp.WaitVisible(chromedp.CSS("#records-missing")),
		text("#records-missing .n", &missing)))
	var cases struct{ Total int }
	require.Equal(t, http.StatusOK, c.get(t, "/api/v1/dsr/cases", &cases))
	require.Equal(t, fmt.Sprintf("%d case(s), 0 overdue.", cases.Total), dsrCount)
	var recs struct{ Missing int }
	require.Equal(t, http.StatusOK, c.get(t, "/api/v1/records", &recs))
	require.Equal(t, fmt.Sprint(recs.Missing), missing)
}

// Every page opens for an admin without an error, shows what the API
// says, and loads nothing from another origin.
func testPages(t *testing.T, c *pipeline, shots string) {
	ctx, cancel := browser(t)
	defer cancel()
	axe := axeSource(t)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(c.url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#token"))))
	checkA11y(t, ctx, axe, "login")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#token"), c.admin),
		chromedp.Click(chromedp.CSS("#login-token")),
		chromedp.WaitVisible(chromedp.CSS("#total-assets"))))

	id, _ := assetAt(t, c, "/crm/customers.csv")
	var asset struct {
		Risk struct{ Score int } `json:"risk"`
	}
	require.Equal(t, http.StatusOK, c.get(t, "/api/v1/assets/"+id, &asset))
	code, body := c.call(t, "POST", "/api/v1/incidents/impact", c.admin, map[string]any{"hosts": []string{c.host}})
	require.Equal(t, http.StatusOK, code, string(body))
	var imp struct{ Occurrences int }
	require.NoError(t, json.Unmarshal(body, &imp))
	require.Positive(t, imp.Occurrences)

	// The identities page's first page, and root's page (the host
	// fixture's privileged account, which owns the scanned files).
	var prs struct {
		Items []struct {
			Name string `json:"name"`
		} `json:"items"`
	}
	require.Equal(t, http.StatusOK, c.get(t, "/api/v1/principals?limit=50&offset=0", &prs))
	require.NotEmpty(t, prs.Items)
	root := wire.LocalPrincipalID(c.host, "user", "root")
	var rootP struct {
		Name       string `json:"name"`
		Privileged bool   `json:"privileged"`
		Reachable  []struct {
			Location string `json:"location"`
		} `json:"reachable_assets_with_pii"`
	}
	require.Equal(t, http.StatusOK, c.get(t, "/api/v1/principals/"+root, &rootP))
	require.True(t, rootP.Privileged)
	wantRoot := "Not privileged."
	if len(rootP.Reachable) > 0 {
		wantRoot = rootP.Reachable[0].Location
	}

	// What changed since the previous scans: the second round's file.
	var changes struct {
		Items []struct {
			Scanner string `json:"scanner"`
			Latest  struct {
				Stats map[string]int64 `json:"stats"`
			} `json:"latest"`
			Change map[string]int64 `json:"change"`
		} `json:"items"`
	}
	require.Equal(t, http.StatusOK, c.get(t, "/api/v1/inventory/changes", &changes))
	filesChange := ""
	for _, it := range changes.Items {
		if it.Scanner == "fs" {
			require.EqualValues(t, 1, it.Change["files"], "one more file scanned")
			filesChange = fmt.Sprintf("files %d (+1)", it.Latest.Stats["files"])
		}
	}
	require.NotEmpty(t, filesChange, "the fs scanner's change: %+v", changes.Items)

	code, body = c.call(t, "POST", "/api/v1/reviews", c.admin, map[string]any{"name": "Q4", "reviewer": "test-admin",
		"scope": map[string]any{"source": "fs", "personal_data_only": true}})
	require.Equal(t, http.StatusCreated, code, string(body))
	var camp struct {
		CampaignID string `json:"campaign_id"`
		Items      int    `json:"items"`
	}
	require.NoError(t, json.Unmarshal(body, &camp))

	// The privacy office's registers: a request case made through the API
	// (the page runs its search), the systems' records, an assessment of
	// the first system, and the alert rule's first event.
	code, body = c.call(t, "POST", "/api/v1/dsr/cases", c.admin, map[string]any{"reference": "API-1",
		"identifiers": []map[string]string{{"type": "email", "value": plantedEmail}}})
	require.Equal(t, http.StatusCreated, code, string(body))
	var apiCase struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal(body, &apiCase))
	code, body = c.call(t, "POST", "/api/v1/dsr/cases", c.admin, map[string]any{"reference": "OLD-1",
		"received_at": time.Now().UTC().AddDate(0, -3, 0), "identifiers": []map[string]string{{"type": "email", "value": "someone@example.net"}}})
	require.Equal(t, http.StatusCreated, code, string(body))
	var before struct {
		Items []struct {
			Overdue bool `json:"overdue"`
		} `json:"items"`
	}
	require.Equal(t, http.StatusOK, c.get(t, "/api/v1/dsr/cases", &before))
	overdue := 0
	for _, cs := range before.Items {
		if cs.Overdue {
			overdue++
		}
	}
	require.Equal(t, 1, overdue, "the case received three months ago")
	_, customers := assetAt(t, c, "/crm/customers.csv")
	var recs struct {
		Items []struct {
			System        string `json:"system"`
			MissingRecord bool   `json:"missing_record"`
		} `json:"items"`
		Missing int `json:"missing"`
	}
	require.Equal(t, http.StatusOK, c.get(t, "/api/v1/records", &recs))
	require.NotEmpty(t, recs.Items)
	require.Equal(t, len(recs.Items), recs.Missing, "nobody has written a record yet")
	system := recs.Items[0].System
	code, body = c.call(t, "POST", "/api/v1/pias", c.admin, map[string]any{"title": "CRM assessment", "systems": []string{system}})
	require.Equal(t, http.StatusCreated, code, string(body))
	var assessment struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Rating string `json:"rating"`
		Score  int    `json:"score"`
	}
	require.NoError(t, json.Unmarshal(body, &assessment))
	code, body = c.call(t, "PUT", "/api/v1/pias/"+assessment.ID, c.admin, map[string]any{"likelihood": "possible", "severity": "severe"})
	require.Equal(t, http.StatusOK, code, string(body))
	require.NoError(t, json.Unmarshal(body, &assessment))
	require.NotEmpty(t, assessment.Rating)
	rating := fmt.Sprintf("%s (%d)", assessment.Rating, assessment.Score)
	var events struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	require.Eventually(t, func() bool {
		return c.get(t, "/api/v1/alerts/events", &events) == http.StatusOK && len(events.Items) > 0
	}, 30*time.Second, 100*time.Millisecond, "the exposed_personal_data rule fired no event")
	var dsrURL string
	var dsrStored int
	var twinAgent string // the reinstalled host's agent, enrolled by the last page

	for _, p := range []struct {
		hash, wait string
		steps      []chromedp.Action[chromedp.Void]
		check      string // selector whose text must contain want
		want       string
		notWant    string
	}{
		{hash: "overview", wait: "#changes-h", check: "main", want: filesChange},
		{hash: "assets", wait: `a[href="#/assets/` + id + `"]`, check: "main table", want: "customers.csv"},
		{hash: "assets/" + id, wait: "#risk-score", check: "#risk-score", want: fmt.Sprint(asset.Risk.Score)},
		{hash: "identities", wait: "main table", check: "main table", want: prs.Items[0].Name},
		{hash: "principals/" + root, wait: "main h1", check: "main", want: wantRoot, notWant: "Not privileged."},
		{hash: "subjects", wait: "#subject-search", steps: []chromedp.Action[chromedp.Void]{
			chromedp.SendKeys(chromedp.CSS(`input[name="value"]`), plantedEmail),
			chromedp.Click(chromedp.CSS("#subject-search")),
			chromedp.WaitVisible(chromedp.CSS(`main p[role="status"]`)),
		}, check: `main p[role="status"]`, want: "1 asset(s)"},
		{hash: "impact", wait: `textarea[name="hosts"]`, steps: []chromedp.Action[chromedp.Void]{
			chromedp.SendKeys(chromedp.CSS(`textarea[name="hosts"]`), c.host),
			chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("main h2")),
		}, check: "main strong", want: fmt.Sprint(imp.Occurrences)},
		{hash: "risk", wait: "main table", steps: []chromedp.Action[chromedp.Void]{
			// The rated assessment is a register item, changed on its own page.
			chromedp.WaitVisible(chromedp.CSS(`main td a[href="#/pias/` + assessment.ID + `"]`)),
			chromedp.Click(chromedp.CSS(`button[data-action="edit"]`)),
			chromedp.SetValue(chromedp.CSS(`main select[aria-label="Status"]`), "mitigating"),
			chromedp.SendKeys(chromedp.CSS(`main input[name="comment"]`), "ticket SEC-12"),
			chromedp.Click(chromedp.CSS(`button[data-action="save"]`)),
			poll(`[...document.querySelectorAll('main td')].some(td => td.textContent === 'mitigating')`),
			chromedp.Click(chromedp.CSS(`button[data-action="edit"]`)),
			chromedp.Click(chromedp.CSS(`button[data-action="history"]`)),
			chromedp.WaitVisible(chromedp.CSS(".history table")),
		}, check: ".history table", want: "ticket SEC-12"},
		{hash: "reviews", wait: "#campaigns-h", check: "#campaigns-h ~ *", want: "Q4 files"},
		{hash: "reviews/" + camp.CampaignID, wait: "#review-progress", check: "#review-progress", want: fmt.Sprintf("%d pending", camp.Items)},
		{hash: "policies", wait: "#policy-dry-run", steps: []chromedp.Action[chromedp.Void]{
			// A dry run of a policy for every agent reaches the one agent;
			// the policy saved is for labels no agent has, so the running
			// agent keeps scanning what the other pages check.
			chromedp.SetValue(chromedp.CSS(`main input[name="id"]`), "web-srv"),
			chromedp.Click(chromedp.CSS("#policy-dry-run")),
			poll(`[...document.querySelectorAll('main caption')].some(c => c.textContent.includes('reaches 1 agent'))`),
			chromedp.SetValue(chromedp.CSS(`main input[name="selector"]`), "role=db"),
			chromedp.Click(chromedp.CSS("#policy-save")),
			poll(`[...document.querySelectorAll('main td')].some(td => td.textContent === 'web-srv')`),
		}, check: "main", want: "role=db"},
		{hash: "admin", wait: "#tokens-h ~ div table", check: "#fleet-h ~ *", want: "Scan now"},
		{hash: "dsr", wait: "#dsr-create", steps: []chromedp.Action[chromedp.Void]{
			// A case made in the page: the identifier typed goes in the
			// POST body only.
			chromedp.SendKeys(chromedp.CSS(`main input[name="reference"]`), "WEB-1"),
			chromedp.SendKeys(chromedp.CSS(`main input[name="value"]`), plantedEmail),
			chromedp.Click(chromedp.CSS("#dsr-create")),
			chromedp.WaitVisible(chromedp.CSS("#dsr-created a")),
			poll(`[...document.querySelectorAll('main td a')].some(a => a.textContent === 'WEB-1')`),
			location(&dsrURL),
			evalTo(`localStorage.length + sessionStorage.length`, &dsrStored),
		}, check: "#dsr-count", want: fmt.Sprintf("%d case(s), %d overdue.", len(before.Items)+1, overdue)},
		{hash: "dsr/" + apiCase.ID, wait: "#dsr-search", steps: []chromedp.Action[chromedp.Void]{
			chromedp.Click(chromedp.CSS("#dsr-search")),
			chromedp.WaitVisible(chromedp.CSS("#dsr-locations table")),
		}, check: "#dsr-locations", want: customers},
		{hash: "records", wait: "#records-missing", check: "#records-missing .n", want: fmt.Sprint(recs.Missing)},
		{hash: "records/" + system, wait: "#record-save", steps: []chromedp.Action[chromedp.Void]{
			chromedp.SendKeys(chromedp.CSS(`main textarea[name="purpose"]`), "Billing customers"),
			chromedp.SetValue(chromedp.CSS(`main select[name="legal_basis"]`), "contract"),
			chromedp.Click(chromedp.CSS("#record-save")),
			chromedp.WaitVisible(chromedp.CSS("#record-saved")),
		}, check: "#record-state", want: "Revision 1"},
		{hash: "pias", wait: "main table", check: "main table", want: rating},
		{hash: "pias/" + assessment.ID, wait: "#pia-rating", check: "#pia-rating", want: rating},
		{hash: "alerts", wait: "#alert-rules-h", steps: []chromedp.Action[chromedp.Void]{
			poll(`['rules', 'events', 'deliveries'].every(s => document.querySelector('#alert-' + s + '-h + *'))`),
		}, check: "#alert-events", want: events.Items[0].ID},
		// Last, as it retires the agent's rows: the host is "reinstalled",
		// its new agent enrolled with the same name is flagged, and an
		// admin makes it speak for the host in two clicks.
		{hash: "admin", wait: "#tokens-h ~ div table", steps: []chromedp.Action[chromedp.Void]{
			chromedp.Func(func(context.Context, *chromedp.Target) error {
				code, body := c.call(t, "POST", "/api/v1/agents/enroll", "", map[string]any{
					"enroll_secret": c.token(t, "agent-enroll", "reinstall", time.Hour), "hostname": c.host})
				if code != http.StatusCreated {
					return fmt.Errorf("enrolling the reinstalled host's agent: %d %s", code, body)
				}
				var en struct {
					AgentID string `json:"agent_id"`
				}
				if err := json.Unmarshal(body, &en); err != nil {
					return err
				}
				twinAgent = en.AgentID
				return nil
			}),
			chromedp.Reload(),
			chromedp.WaitVisible(chromedp.CSS("#tokens-h ~ div table")),
			chromedp.WaitVisible(chromedp.CSS(`#fleet-h ~ * button[data-move-host]`)),
			chromedp.Click(chromedp.CSS(`#fleet-h ~ * button[data-move-host]`)),
			chromedp.Click(chromedp.CSS(`#fleet-h ~ * button[data-confirm-move]`)),
			// Redrawn from the API: the former agent is now the one refused.
			poll(`document.querySelectorAll('#fleet-h ~ * [data-confirm-move]').length === 0 && document.querySelectorAll('#fleet-h ~ * [data-move-host]').length === 1`),
		}, check: "#fleet-h ~ *", want: "name in use"},
	} {
		t.Run(p.hash, func(t *testing.T) {
			var got string
			var errors int
			steps := append([]chromedp.Action[chromedp.Void]{
				chromedp.Navigate(c.url + "/#/" + p.hash),
				chromedp.WaitVisible(chromedp.CSS(p.wait)),
			}, p.steps...)
			var junk []string
			steps = append(steps, text(p.check, &got), evalTo(`document.querySelectorAll('.error').length`, &errors),
				evalTo(`document.querySelector('main').innerText.match(/\b(null|undefined|NaN)\b|\[object Object\]/g) || []`, &junk),
				screenshot(shots, "page-"+pageName(p.hash)))
			require.NoError(t, chromedp.Do(ctx, steps...))
			require.Contains(t, got, p.want)
			if p.notWant != "" {
				require.NotContains(t, got, p.notWant)
			}
			require.Zero(t, errors, "the page shows an error")
			require.Empty(t, junk, "the page prints a missing value")
			checkA11y(t, ctx, axe, p.hash)
		})
	}

	// The case made in the page is the API's, with no identifier in the
	// address bar or the browser's storage; the page's search is the
	// case's one search.
	require.NotContains(t, strings.ToLower(dsrURL), "ann.smith")
	require.Zero(t, dsrStored)
	var cases struct {
		Items []struct {
			ID          string `json:"id"`
			Reference   string `json:"reference"`
			Identifiers []struct {
				Type string `json:"type"`
			} `json:"identifiers"`
		} `json:"items"`
	}
	require.Equal(t, http.StatusOK, c.get(t, "/api/v1/dsr/cases", &cases))
	refs := map[string][]string{}
	for _, cs := range cases.Items {
		for _, id := range cs.Identifiers {
			refs[cs.Reference] = append(refs[cs.Reference], id.Type)
		}
	}
	require.Equal(t, map[string][]string{"API-1": {"email"}, "OLD-1": {"email"}, "WEB-1": {"email"}}, refs)
	var searches struct {
		Items []struct {
			Matches int `json:"matches"`
		} `json:"items"`
	}
	require.Equal(t, http.StatusOK, c.get(t, "/api/v1/dsr/cases/"+apiCase.ID+"/searches", &searches))
	require.Len(t, searches.Items, 1)
	require.Equal(t, 1, searches.Items[0].Matches, "the planted person's one file")

	// The record saved from the page is the API's.
	var rec struct {
		Record struct {
			Revision   int    `json:"revision"`
			LegalBasis string `json:"legal_basis"`
			Purpose    string `json:"purpose"`
		} `json:"record"`
	}
	require.Equal(t, http.StatusOK, c.get(t, "/api/v1/records/"+url.PathEscape(system), &rec))
	require.Equal(t, 1, rec.Record.Revision)
	require.Equal(t, "contract", rec.Record.LegalBasis)
	require.Equal(t, "Billing customers", rec.Record.Purpose)

	// The host name moved from the page is the API's: the new agent
	// speaks for it.
	var auths struct {
		Items []struct {
			Source, Scope string
			AgentID       string `json:"agent_id"`
		} `json:"items"`
	}
	require.Equal(t, http.StatusOK, c.get(t, "/api/v1/authorities", &auths))
	require.NotEmpty(t, twinAgent)
	hostAuthority := ""
	for _, a := range auths.Items {
		if a.Source == "host" && a.Scope == wire.HostKey(c.host) {
			hostAuthority = a.AgentID
		}
	}
	require.Equal(t, twinAgent, hostAuthority)

	// The policy saved from the page is what the API serves.
	var pols struct {
		Items []struct {
			ID       string            `json:"id"`
			Selector map[string]string `json:"selector"`
			Revision int               `json:"revision"`
		} `json:"items"`
	}
	require.Equal(t, http.StatusOK, c.get(t, "/api/v1/policies", &pols))
	require.Len(t, pols.Items, 1)
	require.Equal(t, "web-srv", pols.Items[0].ID)
	require.Equal(t, map[string]string{"role": "db"}, pols.Items[0].Selector)

	// Every resource the pages loaded came from the collector.
	var urls []string
	require.NoError(t, chromedp.Do(ctx, evalTo(`performance.getEntriesByType('resource').map(e => e.name).concat([location.href])`, &urls)))
	require.NotEmpty(t, urls)
	for _, u := range urls {
		require.True(t, strings.HasPrefix(u, c.url+"/"), "loaded from another origin: %s", u)
	}
}

// pageName names a page's screenshot: the route's first part, so
// pages with an id (assets/…, principals/…) keep a stable name.
func pageName(hash string) string {
	first, rest, ok := strings.Cut(hash, "/")
	if ok && rest != "" {
		return first + "-detail"
	}
	return first
}

// insecureTLS trusts the test server's throwaway certificate.
func insecureTLS() *tls.Config { return &tls.Config{InsecureSkipVerify: true} } //nolint:gosec // test server

// axeSource reads axe-core (npm) from SIGHTLINE_TEST_AXE, the path of
// axe.min.js, which make test installs; without it the accessibility
// checks are skipped (and fail under SIGHTLINE_REQUIRE_SERVICES=1).
func axeSource(t *testing.T) string {
	p := os.Getenv("SIGHTLINE_TEST_AXE")
	if p == "" {
		if os.Getenv(storetest.EnvRequire) == "1" {
			t.Fatal("SIGHTLINE_TEST_AXE is not set: make test installs axe-core with npm and sets it")
		}
		t.Log("SIGHTLINE_TEST_AXE not set (path of axe-core's axe.min.js): skipping the accessibility checks")
		return ""
	}
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return string(b)
}

// checkA11y runs axe-core in the page (injected through DevTools, which
// the page's CSP does not govern) and fails on any serious or critical
// WCAG 2 A/AA violation.
func checkA11y(t *testing.T, ctx context.Context, axe, page string) {
	t.Helper()
	if axe == "" {
		return
	}
	var res struct {
		Passes     int `json:"passes"`
		Violations []struct {
			ID     string `json:"id"`
			Impact string `json:"impact"`
			Help   string `json:"help"`
			Nodes  []struct {
				Target []any `json:"target"`
			} `json:"nodes"`
		} `json:"violations"`
	}
	var loaded bool
	require.NoError(t, chromedp.Do(ctx,
		evalTo(axe+"\n;typeof axe === 'object'", &loaded),
		evalTo(`axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
			.then(r => ({passes: r.passes.length, violations: r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')}))`, &res, awaitPromise)))
	require.True(t, loaded)
	require.Positive(t, res.Passes, "axe checked nothing")
	t.Logf("%s: axe-core: %d rules passed, %d serious or critical violations", page, res.Passes, len(res.Violations))
	for _, v := range res.Violations {
		targets := []string{}
		for _, n := range v.Nodes {
			targets = append(targets, fmt.Sprint(n.Target...))
		}
		t.Errorf("%s: accessibility violation %s (%s): %s at %s", page, v.ID, v.Impact, v.Help, strings.Join(targets, "; "))
	}
}

// liveTokens lists a token listing's live tokens as "name role".
func liveTokens(t *testing.T, body []byte) []string {
	var l struct {
		Items []struct {
			Name, Role string
			Revoked    bool
		}
	}
	require.NoError(t, json.Unmarshal(body, &l), string(body))
	var out []string
	for _, it := range l.Items {
		if !it.Revoked {
			out = append(out, it.Name+" "+it.Role)
		}
	}
	return out
}

// auditors lists who an audit page names, as "token_name token_role".
func auditors(t *testing.T, body []byte) []string {
	var l struct {
		Items []struct {
			TokenName string `json:"token_name"`
			TokenRole string `json:"token_role"`
			Route     string `json:"route"`
		}
	}
	require.NoError(t, json.Unmarshal(body, &l), string(body))
	var out []string
	for _, it := range l.Items {
		out = append(out, it.TokenName+" "+it.TokenRole, it.Route)
	}
	return out
}
