package dashboards

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// timeRange is Grafana's time picker and the panel's interval.
type timeRange struct {
	From, To time.Time
	Interval time.Duration
}

var (
	// macroCall is one of the plugin's macros with its argument list.
	macroCall = regexp.MustCompile(`\$__(\w+)\(([^()]*)\)`)
	// macroBare is one of the plugin's macros without arguments.
	macroBare = regexp.MustCompile(`\$__(\w+)`)
	// dashVar is a template variable, ${name} or $name.
	dashVar = regexp.MustCompile(`\$\{(\w+)\}|\$(\w+)`)
)

// expand does to a panel's SQL what Grafana and the ClickHouse data source
// plugin (grafana-clickhouse-datasource, pkg/macros) do before it reaches
// ClickHouse: template variables first (Grafana), then the plugin's
// macros, with the same text the plugin produces. Only the macros whose
// expansion runs on ClickHouse 18.16 are known: $__timeInterval expands to
// toStartOfInterval, which 18.16 lacks, so the dashboards bucket time with
// $__interval_s instead and a panel using it fails here.
func expand(sql string, vars map[string]string, r timeRange) (string, error) {
	var err error
	sql = dashVar.ReplaceAllStringFunc(sql, func(m string) string {
		sub := dashVar.FindStringSubmatch(m)
		name := sub[1] + sub[2]
		if strings.HasPrefix(name, "__") {
			return m // a macro, expanded below
		}
		v, ok := vars[name]
		if !ok {
			err = fmt.Errorf("template variable %q is not defined by the dashboard", name)
			return m
		}
		return v
	})
	if err != nil {
		return "", err
	}
	dt := func(t time.Time) string { return fmt.Sprintf("toDateTime(%d)", t.Unix()) }
	sql = macroCall.ReplaceAllStringFunc(sql, func(m string) string {
		sub := macroCall.FindStringSubmatch(m)
		args := strings.Split(sub[2], ",")
		for i := range args {
			args[i] = strings.TrimSpace(args[i])
		}
		switch sub[1] {
		case "timeFilter":
			if len(args) != 1 || args[0] == "" {
				err = fmt.Errorf("%s: expected 1 argument", m)
				return m
			}
			return fmt.Sprintf("%s >= %s AND %s <= %s", args[0], dt(r.From), args[0], dt(r.To))
		default:
			err = fmt.Errorf("macro %s is not one the dashboards may use (see expand)", m)
			return m
		}
	})
	if err != nil {
		return "", err
	}
	sql = macroBare.ReplaceAllStringFunc(sql, func(m string) string {
		switch m {
		case "$__fromTime":
			return dt(r.From)
		case "$__toTime":
			return dt(r.To)
		case "$__interval_s":
			return fmt.Sprintf("%d", int(math.Max(r.Interval.Seconds(), 1)))
		default:
			err = fmt.Errorf("macro %s is not one the dashboards may use (see expand)", m)
			return m
		}
	})
	if err != nil {
		return "", err
	}
	if strings.Contains(sql, "$") {
		return "", fmt.Errorf("a $ is left after expanding macros and variables: %s", sql)
	}
	return sql, nil
}

func TestExpand(t *testing.T) {
	r := timeRange{From: time.Unix(1700000000, 0), To: time.Unix(1700003600, 0), Interval: 30 * time.Second}
	vars := map[string]string{"stale_after": "86400"}
	for _, tc := range []struct {
		name, in, want, err string
	}{
		{name: "plain", in: "SELECT 1", want: "SELECT 1"},
		{name: "time filter", in: "WHERE $__timeFilter(finished_at)",
			want: "WHERE finished_at >= toDateTime(1700000000) AND finished_at <= toDateTime(1700003600)"},
		{name: "from and to", in: "$__fromTime, $__toTime", want: "toDateTime(1700000000), toDateTime(1700003600)"},
		{name: "interval", in: "intDiv(x, $__interval_s) * $__interval_s", want: "intDiv(x, 30) * 30"},
		{name: "variables", in: "now() - ${stale_after} - $stale_after", want: "now() - 86400 - 86400"},
		{name: "unknown variable", in: "$nope", err: "not defined"},
		{name: "unsupported macro", in: "$__timeInterval(t)", err: "not one the dashboards may use"},
		{name: "unsupported bare macro", in: "$__interval_ms", err: "not one the dashboards may use"},
		{name: "time filter arity", in: "$__timeFilter(a, b)", err: "expected 1 argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := expand(tc.in, vars, r)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
