package iamscan

import (
	"context"
	"encoding/json"
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
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
	"github.com/sightline-dev/sightline/internal/wire/wiretest"
)

const iamNS = `xmlns="https://iam.amazonaws.com/doc/2010-05-08/"`

// iamError answers an IAM Query API error.
func iamError(w http.ResponseWriter, status int, code string) {
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse %s><Error><Type>Sender</Type><Code>%s</Code><Message>no</Message></Error><RequestId>r</RequestId></ErrorResponse>`, iamNS, code)
}

// hostileIAM answers GetAccountAuthorizationDetails without end: every
// page IsTruncated with marker(n) and perPage fresh users; the other
// actions are AccessDenied. It counts the pages it served.
func hostileIAM(t *testing.T, marker func(n int64) string, perPage int, failAfter int64) (string, *atomic.Int64) {
	var pages atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		w.Header().Set("Content-Type", "text/xml")
		if r.Form.Get("Action") != "GetAccountAuthorizationDetails" {
			iamError(w, 403, "AccessDenied")
			return
		}
		n := pages.Add(1)
		if failAfter > 0 && n > failAfter {
			iamError(w, 400, "ValidationError")
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
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang bound, not a timing: 10 s ran out under -race on a loaded CI
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

// TestHostileAccessKeys: a ListAccessKeys that ignores MaxItems (10,000
// active keys for one user) or answers ids that are not access key ids
// costs at most maxKeysPerUser tokens and last-used calls, and no id that
// is not a key's leaves as a token or anywhere in a record.
func TestHostileAccessKeys(t *testing.T) {
	notKeys := []string{"ann.smith@example.com", "212-55-0001", `'; DROP TABLE x; --`, strings.Repeat("A", 1<<20)}
	var lastUsed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		w.Header().Set("Content-Type", "text/xml")
		switch r.Form.Get("Action") {
		case "GetAccountAuthorizationDetails":
			fmt.Fprintf(w, `<GetAccountAuthorizationDetailsResponse %s><GetAccountAuthorizationDetailsResult><IsTruncated>false</IsTruncated><UserDetailList>`+
				`<member><UserName>u</UserName><UserId>AIDU</UserId><Arn>arn:aws:iam::111111111111:user/u</Arn><Path>/</Path><CreateDate>2024-01-01T00:00:00Z</CreateDate></member>`+
				`</UserDetailList></GetAccountAuthorizationDetailsResult></GetAccountAuthorizationDetailsResponse>`, iamNS)
		case "ListAccessKeys":
			var b strings.Builder
			for _, id := range notKeys {
				fmt.Fprintf(&b, `<member><UserName>u</UserName><AccessKeyId>%s</AccessKeyId><Status>Active</Status></member>`, id)
			}
			for i := range 10000 {
				id := []byte("AKIAQ2DEPLOY7AAAAAAA")
				for j, n := len(id)-1, i; n > 0; j, n = j-1, n/32 {
					id[j] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[n%32]
				}
				fmt.Fprintf(&b, `<member><UserName>u</UserName><AccessKeyId>%s</AccessKeyId><Status>Active</Status></member>`, id)
			}
			fmt.Fprintf(w, `<ListAccessKeysResponse %s><ListAccessKeysResult><AccessKeyMetadata>%s</AccessKeyMetadata><IsTruncated>false</IsTruncated></ListAccessKeysResult></ListAccessKeysResponse>`, iamNS, b.String())
		case "GetAccessKeyLastUsed":
			lastUsed.Add(1)
			fmt.Fprintf(w, `<GetAccessKeyLastUsedResponse %s><GetAccessKeyLastUsedResult><UserName>u</UserName><AccessKeyLastUsed><ServiceName>N/A</ServiceName><Region>N/A</Region></AccessKeyLastUsed></GetAccessKeyLastUsedResult></GetAccessKeyLastUsedResponse>`, iamNS)
		default:
			iamError(w, 403, "AccessDenied")
		}
	}))
	t.Cleanup(srv.Close)
	var recs []wire.Record
	_, err := Scan(context.Background(), Options{Client: iamtest.Client(srv.URL), Account: "111111111111", Tokenizer: pii.NewTokenizer([]byte("k"))},
		func(r *wire.Record) error {
			recs = append(recs, *r)
			return nil
		})
	require.NoError(t, err)
	require.Equal(t, int64(maxKeysPerUser), lastUsed.Load())
	for _, r := range recs {
		if r.Kind == wire.KindPrincipal {
			require.Len(t, r.Tokens, maxKeysPerUser)
			require.Equal(t, fmt.Sprint(maxKeysPerUser), r.Attributes["access_keys"])
		}
		b, err := json.Marshal(r)
		require.NoError(t, err)
		for _, id := range notKeys {
			require.NotContains(t, string(b), id[:min(len(id), 64)])
		}
	}
}

// TestHostileIdentityNames: an identity whose name or ARN is longer than a
// record may hold (IAM's own limits: 64 and 2,048) is left out and counted:
// its record would be refused by the collector with the rest of its batch.
func TestHostileIdentityNames(t *testing.T) {
	long := strings.Repeat("n", 5000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		w.Header().Set("Content-Type", "text/xml")
		if r.Form.Get("Action") != "GetAccountAuthorizationDetails" {
			iamError(w, 403, "AccessDenied")
			return
		}
		var users strings.Builder
		for _, name := range []string{"ann", long} {
			fmt.Fprintf(&users, `<member><UserName>%s</UserName><UserId>AID1</UserId><Arn>arn:aws:iam::111111111111:user/%s</Arn><Path>/</Path><CreateDate>2024-01-01T00:00:00Z</CreateDate></member>`, name, name)
		}
		fmt.Fprintf(w, `<GetAccountAuthorizationDetailsResponse %s><GetAccountAuthorizationDetailsResult><IsTruncated>false</IsTruncated><UserDetailList>%s</UserDetailList></GetAccountAuthorizationDetailsResult></GetAccountAuthorizationDetailsResponse>`, iamNS, users.String())
	}))
	t.Cleanup(srv.Close)
	var names []string
	res, err := Scan(context.Background(), Options{Client: iamtest.Client(srv.URL), Account: "111111111111"}, func(r *wire.Record) error {
		wiretest.RequireValid(t, r, "what the collector checks")
		if r.Kind == wire.KindPrincipal {
			names = append(names, r.Name)
		}
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, []string{"ann"}, names)
	require.Contains(t, res.Errors, "1 identities with a name or ARN longer than a record may hold: left out")
}
