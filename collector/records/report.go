package records

import (
	"html/template"
	"io"
	"strings"
	"time"
)

// reportTemplate is the printable report: plain HTML with no script,
// style or other asset, so the console's Content-Security-Policy
// (default-src 'none' for anything not from the collector) holds as is;
// html/template escapes every value.
var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"join":      func(v []string) string { return strings.Join(v, ", ") },
	"transfers": TransfersText,
	"date":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Records of processing activities</title>
</head>
<body>
<h1>Records of processing activities (GDPR Art. 30)</h1>
<p>Generated {{date .Generated}}. What the scans discovered is as of the read index built {{date .AsOf}}.
{{.Missing}} of {{len .Entries}} systems have no record yet.</p>
{{range .Entries}}
<section>
<h2>{{.System}}{{if not .Record}} — no record of processing yet{{end}}</h2>
{{with .Record}}
<table>
<tr><th scope="row">Purpose</th><td>{{.Purpose}}</td></tr>
<tr><th scope="row">Legal basis</th><td>{{.LegalBasis}}</td></tr>
<tr><th scope="row">Retention</th><td>{{.Retention}}</td></tr>
<tr><th scope="row">Recipients</th><td>{{join .Recipients}}</td></tr>
<tr><th scope="row">Transfers</th><td>{{if .Transfers}}{{transfers .Transfers}}{{else}}none{{end}}</td></tr>
<tr><th scope="row">Controller</th><td>{{.Controller}}</td></tr>
<tr><th scope="row">Owner</th><td>{{.Owner}}</td></tr>
<tr><th scope="row">DPO contact</th><td>{{.DPOContact}}</td></tr>
<tr><th scope="row">Revision</th><td>{{.Revision}}, by {{.ChangedBy}} at {{date .ChangedAt}}</td></tr>
</table>
{{end}}
{{with .Discovered}}
<table>
<tr><th scope="row">Discovered categories</th><td>{{join .Categories}}</td></tr>
<tr><th scope="row">Discovered types</th><td>{{join .Types}}</td></tr>
<tr><th scope="row">Assets, occurrences, people at most</th><td>{{.Assets}}, {{.Occurrences}}, {{.DistinctAtMost}}</td></tr>
<tr><th scope="row">Jurisdiction</th><td>{{.Jurisdiction}}</td></tr>
<tr><th scope="row">Exposure</th><td>public: {{.Public}}; public assets: {{.PublicAssets}}; world-readable assets: {{.WorldReadableAssets}}; most readers of one asset: {{.MaxReaders}}</td></tr>
</table>
{{else}}
<p>No scan covers this system.</p>
{{end}}
</section>
{{end}}
</body>
</html>
`))

// Report writes the printable report of entries; asOf is when the read
// index the discovered facts come from was built.
func Report(w io.Writer, entries []Entry, asOf, generated time.Time) error {
	missing := 0
	for _, e := range entries {
		if e.Record == nil {
			missing++
		}
	}
	return reportTemplate.Execute(w, struct {
		Entries         []Entry
		AsOf, Generated time.Time
		Missing         int
	}{entries, asOf, generated, missing})
}
