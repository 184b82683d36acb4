package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/sightline-dev/sightline/collector/admission"
	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/detectors"
	"github.com/sightline-dev/sightline/collector/dsr"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/identity"
	"github.com/sightline-dev/sightline/collector/incident"
	"github.com/sightline-dev/sightline/collector/ingest"
	"github.com/sightline-dev/sightline/collector/pia"
	"github.com/sightline-dev/sightline/collector/policy"
	"github.com/sightline-dev/sightline/collector/records"
	"github.com/sightline-dev/sightline/collector/review"
	"github.com/sightline-dev/sightline/collector/risk"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/subjects"
	"github.com/sightline-dev/sightline/collector/triage"
	"github.com/sightline-dev/sightline/internal/pii"
	"github.com/sightline-dev/sightline/internal/wire"
)

// errorCases is the documented mapping: each domain error (wrapped, as
// the domain packages return them) to its status and stable code.
var errorCases = []struct {
	name       string
	err        error
	status     int
	code       kind
	message    string // exact, when the table words it
	retryAfter string
}{
	{"apiError", errorf(kindConflict, "own words"), 409, "conflict", "own words", ""},
	{"auth.ErrNoToken", auth.ErrNoToken, 401, "unauthorized", auth.ErrNoToken.Error(), ""},
	{"auth.ErrInvalidToken", fmt.Errorf("verify: %w", auth.ErrInvalidToken), 401, "unauthorized", "", ""},
	{"fleet.ErrEnrollDenied", fleet.ErrEnrollDenied, 401, "unauthorized", fleet.ErrEnrollDenied.Error(), ""},
	{"review.ErrNotYours", review.ErrNotYours, 403, "forbidden", "", ""},
	{"fleet.ErrCertMismatch", fmt.Errorf("%w: use it", fleet.ErrCertMismatch), 403, "forbidden", "", ""},
	{"identity.RefusedError", fmt.Errorf("admit: %w", &identity.RefusedError{Line: 3, Msg: "host is not yours"}), 403, "forbidden",
		"batch refused: line 3: host is not yours; the batch was not stored", ""},
	{"store.ErrNotFound", fmt.Errorf("campaign c1: %w", store.ErrNotFound), 404, "not_found", "not found", ""},
	{"auth.ErrUnknownToken", auth.ErrUnknownToken, 404, "not_found", "", ""},
	{"auth.ErrAmbiguousID", auth.ErrAmbiguousID, 409, "conflict", "", ""},
	{"store.ErrAmbiguousLocation", fmt.Errorf("%w: a and b", store.ErrAmbiguousLocation), 409, "conflict", "", ""},
	{"policy.ErrExists", policy.ErrExists, 409, "conflict", "", ""},
	{"policy.ErrInvalid", fmt.Errorf("%w: scans.fs.paths: x", policy.ErrInvalid), 400, "bad_request", "invalid request: scans.fs.paths: x", ""},
	{"detectors.ErrExists", detectors.ErrExists, 409, "conflict", "", ""},
	{"dsr.ErrConflict", fmt.Errorf("%w: case 0123456789abcdef is closed", dsr.ErrConflict), 409, "conflict", "not allowed in the case's state: case 0123456789abcdef is closed", ""},
	{"dsr.ErrInvalid", fmt.Errorf("%w: reference: required", dsr.ErrInvalid), 400, "bad_request", "invalid request: reference: required", ""},
	{"records.ErrConflict", fmt.Errorf("%w: the latest revision is 2, not 1", records.ErrConflict), 409, "conflict",
		"record of processing changed meanwhile: the latest revision is 2, not 1", ""},
	{"records.ErrInvalid", fmt.Errorf("%w: legal_basis must be one of …", records.ErrInvalid), 400, "bad_request",
		"invalid record of processing: legal_basis must be one of …", ""},
	{"pia.ErrInvalid", fmt.Errorf("%w: title is required", pia.ErrInvalid), 400, "bad_request",
		"invalid privacy impact assessment request: title is required", ""},
	{"detectors.ErrInvalid", fmt.Errorf("%w: %w", detectors.ErrInvalid, &pii.DefinitionError{Field: "pattern", Msg: "not RE2"}), 400, "bad_request",
		"invalid detector: pattern: not RE2", ""},
	{"triage.ErrInvalid", fmt.Errorf("%w: reason: required", triage.ErrInvalid), 400, "bad_request", "invalid request: reason: required", ""},
	{"auth.ErrNameTaken", fmt.Errorf("issue: %w", auth.ErrNameTaken), 409, "conflict", "", ""},
	{"http.MaxBytesError", fmt.Errorf("read: %w", &http.MaxBytesError{Limit: 1024}), 413, "too_large",
		"request body larger than 1024 bytes; send smaller batches", ""},
	{"errDecodedTooLarge", fmt.Errorf("line 9: %w", errDecodedTooLarge), 413, "too_large",
		"decompressed body too large; send smaller batches", ""},
	{"admission.RatioError", &admission.RatioError{Decoded: 100, Compressed: 1, Max: 50}, 413, "too_large", "", ""},
	{"admission.ErrTooLarge", admission.ErrTooLarge, 413, "too_large", "", ""},
	{"admission.RateError", &admission.RateError{RetryAfter: 1500 * time.Millisecond}, 429, "too_many_requests", "", "2"},
	{"wire.LineError", &wire.LineError{Line: 2, Field: "kind", Err: errors.New("unknown")}, 400, "invalid_record", "", ""},
	{"store.ErrBadFilter", fmt.Errorf("unknown sort %q: %w", "x", store.ErrBadFilter), 400, "bad_request", "", ""},
	{"fleet.ErrBadFilter", fmt.Errorf("%w: status must be ok, partial or failed", fleet.ErrBadFilter), 400, "bad_request",
		"invalid fleet filter: status must be ok, partial or failed", ""},
	{"fleet.ErrInvalidEnrollment", fmt.Errorf("%w: hostname is required", fleet.ErrInvalidEnrollment), 400, "bad_request",
		"invalid enrollment: hostname is required", ""},
	{"auth.ErrInvalidRequest", fmt.Errorf("%w: name required", auth.ErrInvalidRequest), 400, "bad_request", "", ""},
	{"review.ErrInvalid", fmt.Errorf("%w: due in the past", review.ErrInvalid), 400, "bad_request", "", ""},
	{"risk.ErrInvalid", fmt.Errorf("%w: kind", risk.ErrInvalid), 400, "bad_request", "", ""},
	{"incident.ErrEmptyScope", incident.ErrEmptyScope, 400, "bad_request", incident.ErrEmptyScope.Error(), ""},
	{"incident.ErrTooMany", fmt.Errorf("%w: hosts has 2000 entries", incident.ErrTooMany), 400, "bad_request", "", ""},
	{"subjects.InvalidError", fmt.Errorf("search: %w", &subjects.InvalidError{Index: 1, Type: "email"}), 400, "bad_request",
		"identifiers[1] is not a valid email", ""},
	{"identity.ErrBadRequest", fmt.Errorf("%w: unknown source", identity.ErrBadRequest), 400, "bad_request", "", ""},
	{"identity.ErrUnknownAgent", identity.ErrUnknownAgent, 400, "bad_request", identity.ErrUnknownAgent.Error(), ""},
	{"admission.ErrBusy", admission.ErrBusy, 503, "busy", "", "5"},
	{"ingest.ErrBusy", fmt.Errorf("submit: %w", ingest.ErrBusy), 503, "busy", "", "5"},
	{"store unavailable", fmt.Errorf("query: %w", syscall.ECONNREFUSED), 503, "store_unavailable",
		"ClickHouse is unavailable; the request was not stored, retry later", "5"},
	{"unknown", errors.New("SELECT broke: secret detail"), 500, "internal", "internal error; see the collector log", ""},
}

func TestErrorTable(t *testing.T) {
	s := &Server{o: Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, errors: errorRules()}
	gin.SetMode(gin.ReleaseMode)
	used := map[int]bool{}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			used[s.errors.rule(tc.err)] = true
			w := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(w)
			c.Request = httptest.NewRequest(http.MethodGet, "/x", nil)
			s.fail(c, tc.err)
			require.Equal(t, tc.status, w.Code)
			require.Equal(t, tc.retryAfter, w.Header().Get("Retry-After"))
			body := w.Body.String()
			want := tc.message
			if want == "" {
				want = tc.err.Error()
				if tc.code == "too_many_requests" {
					want += " (ingest.agent_rate)"
				}
				if tc.code == "invalid_record" {
					want = "invalid batch: " + tc.err.Error() + "; the batch was not stored"
				}
			}
			require.JSONEq(t, fmt.Sprintf(`{"error":{"code":%q,"message":%q}}`, tc.code, want), body)
		})
	}
	// Every rule of the table is pinned by a case above.
	for i := range s.errors {
		require.True(t, used[i], "rule %d of errorRules has no case in errorCases", i)
	}
}

// TestKindStatus: every kind has a status, and the codes are the ones
// clients see (openapi.json's Error.code).
func TestKindStatus(t *testing.T) {
	for _, k := range []kind{kindBadRequest, kindInvalidRecord, kindUnauthorized, kindForbidden, kindNotFound, kindConflict,
		kindTooLarge, kindUnsupported, kindUnavailable, kindBusy, kindTooMany, kindInternal} {
		require.NotZero(t, kindStatus[k], k)
	}
	require.Len(t, kindStatus, 12)
}

// TestErrorCodesDocumented: openapi.json's Error.code lists exactly the
// codes the API sends.
func TestErrorCodesDocumented(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				Error struct {
					Properties struct {
						Error struct {
							Properties struct {
								Code struct {
									Enum []kind `json:"enum"`
								} `json:"code"`
							} `json:"properties"`
						} `json:"error"`
					} `json:"properties"`
				} `json:"Error"`
			} `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(openapiDoc, &doc))
	var want []kind
	for k := range kindStatus {
		want = append(want, k)
	}
	require.ElementsMatch(t, want, doc.Components.Schemas.Error.Properties.Error.Properties.Code.Enum)
}
