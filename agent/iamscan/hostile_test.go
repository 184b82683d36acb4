package iamscan

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/agent/iamscan/iamtest"
	"github.com/sightline-dev/sightline/internal/wire"
)

const iamNS = `xmlns="https://iam.amazonaws.com/doc/2010-05-08/"`

// hostileIAM answers GetAccountAuthorizationDetails without end: every
// page IsTruncated with marker(n) and perPage fresh users; the other
// actions are AccessDenied. It counts the pages it served.
func hostileIAM(t *testing.T, marker func(n int64) string, perPage int, failAfter int64) (string, *atomic.Int64) {
	var pages atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		w.Header().Set("Content-Type", "text/xml")
		if r.Form.Get("Action") != "GetAccountAuthorizationDetails" {
			w.WriteHeader(403)
			fmt.Fprintf(w, `<ErrorResponse %s><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error><RequestId>r</RequestId></ErrorResponse>`, iamNS)
			return
		}
		n := pages.Add(1)
		if failAfter > 0 && n > failAfter {
			w.WriteHeader(400)
			fmt.Fprintf(w, `<ErrorResponse %s><Error><Type>Sender</Type><Code>ValidationError</Code><Message>no</Message></Error><RequestId>r</RequestId></ErrorResponse>`, iamNS)
			return
		}
		var users strings.Builder
		for i := range perPage {
			name := fmt.Sprintf("u%d-%d", n, i)
			fmt.Fprintf(&users, `<member><UserName>%s</UserName><UserId>AID%d</UserId><Arn>arn:aws:iam::111111111111:user/%s</Arn><Path>/</Path><CreateDate>2024-01-01T00:00:00Z</CreateDate></member>`, name, i, name)
		}
		fmt.Fprintf(w, `<GetAccountAuthorizationDetailsResponse %s><GetAccountAuthorizationDetailsResult><IsTruncated>true</IsTruncated><Marker>%s</Marker><UserDetailList>%s</UserDetailList></GetAccountAuthorizationDetailsResult></GetAccountAuthorizationDetailsResponse>`,
			iamNS, marker(n), users.String())
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &pages
}

// TestHostileAuthorizationDetails: authorization details that never end
// (the same marker again, empty pages with fresh markers, or ever more
// users), or a page that fails after some were read, stop the listing; the scan ends partial with the reason and
// reports what it read, with memory bounded.
func TestHostileAuthorizationDetails(t *testing.T) {
	for _, tc := range []struct {
		name    string
		marker  func(int64) string
		perPage int
		fail    int64
		want    string
	}{
		{"same marker", func(int64) string { return "m" }, 1, 0, "the server repeated a page token"},
		{"fresh markers, empty pages", func(n int64) string { return fmt.Sprint("m", n) }, 0, 0, "the server answered 1000 pages in a row with nothing in them"},
		{"fresh markers, ever more users", func(n int64) string { return fmt.Sprint("m", n) }, 100, 0, "more than 2000 users, groups, roles and policies"},
		{"a page fails after three", func(n int64) string { return fmt.Sprint("m", n) }, 10, 3, "ValidationError"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, pages := hostileIAM(t, tc.marker, tc.perPage, tc.fail)
			// A safety net only: without a guard the listing runs until it.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var users int
			res, err := Scan(ctx, Options{Client: iamtest.Client(url), Account: "111111111111", MaxDetails: 2000}, func(r *wire.Record) error {
				if r.Kind == wire.KindPrincipal {
					users++
				}
				return nil
			})
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			require.NoError(t, err, "after %d pages", pages.Load())
			require.Equal(t, wire.StatusPartial, res.Status, "%v", res.Errors)
			require.Contains(t, strings.Join(res.Errors, "\n"), "authorization details: "+tc.want)
			if tc.perPage > 0 {
				require.GreaterOrEqual(t, users, tc.perPage, "what was read is reported")
			}
			t.Logf("%d pages, %d principals, heap in use after %d MiB", pages.Load(), users, ms.HeapAlloc>>20)
		})
	}
}
