package api

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

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
	"github.com/sightline-dev/sightline/internal/wire"
)

// kind is an error class of the API and the stable "code" of its error
// body; kindStatus is the one place that says which HTTP status each class
// gets (as Elastic fleet-server does).
type kind string

const (
	kindBadRequest    kind = "bad_request"
	kindInvalidRecord kind = "invalid_record"
	kindUnauthorized  kind = "unauthorized"
	kindForbidden     kind = "forbidden"
	kindNotFound      kind = "not_found"
	kindConflict      kind = "conflict"
	kindTooLarge      kind = "too_large"
	kindUnsupported   kind = "unsupported_media_type"
	kindUnavailable   kind = "store_unavailable"
	kindBusy          kind = "busy"
	kindTooMany       kind = "too_many_requests"
	kindInternal      kind = "internal"
)

var kindStatus = map[kind]int{
	kindBadRequest:    http.StatusBadRequest,
	kindInvalidRecord: http.StatusBadRequest,
	kindUnauthorized:  http.StatusUnauthorized,
	kindForbidden:     http.StatusForbidden,
	kindNotFound:      http.StatusNotFound,
	kindConflict:      http.StatusConflict,
	kindTooLarge:      http.StatusRequestEntityTooLarge,
	kindUnsupported:   http.StatusUnsupportedMediaType,
	kindUnavailable:   http.StatusServiceUnavailable,
	kindBusy:          http.StatusServiceUnavailable,
	kindTooMany:       http.StatusTooManyRequests,
	kindInternal:      http.StatusInternalServerError,
}

// retryAfterSeconds is what a 503 tells clients to wait.
const retryAfterSeconds = "5"

// apiError is an error the API words itself: a request it cannot parse, a
// role it refuses. Domain errors stay in their packages and reach HTTP
// through errorRules.
type apiError struct {
	kind kind
	msg  string
	// retryAfter, when positive, is sent as Retry-After (seconds).
	retryAfter int
}

func (e *apiError) Error() string { return e.msg }

func errorf(k kind, msg string) *apiError { return &apiError{kind: k, msg: msg} }

// notFoundAs answers a store.ErrNotFound with unknown, the error that
// words it for the id the caller gave, and passes any other error on.
func notFoundAs(err, unknown error) error {
	if errors.Is(err, store.ErrNotFound) {
		return unknown
	}
	return err
}

// errorRule maps the errors it matches to a kind. message words the
// answer; nil means the error's own text, which the domain packages write
// for the client (what was wrong and what to do). retryAfter, when set,
// gives the Retry-After seconds.
type errorRule struct {
	match      func(error) bool
	kind       kind
	message    func(error) string
	retryAfter func(error) int
}

// is matches a sentinel anywhere in the chain.
func is(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

// as matches a typed error anywhere in the chain.
func as[T error]() func(error) bool {
	return func(err error) bool {
		var t T
		return errors.As(err, &t)
	}
}

// ofAs reads what f says of the T in the chain, for a rule that matched
// with as[T].
func ofAs[T error, V any](f func(T) V) func(error) V {
	return func(err error) V {
		var t T
		errors.As(err, &t)
		return f(t)
	}
}

// fixed words every match the same way (for errors whose own text is
// not meant for clients).
func fixed(msg string) func(error) string { return func(error) string { return msg } }

// errorRules is the one table from errors to HTTP (errors.Is for
// sentinels, errors.As for typed errors; the first rule that matches
// wins). An error no rule matches is a 500 "internal" whose detail goes to
// the log only. errors_test.go pins every rule to its status and code:
//
//	*apiError                        its own kind
//	auth.ErrNoToken, ErrInvalidToken 401 unauthorized
//	fleet.ErrEnrollDenied            401 unauthorized
//	review.ErrNotYours               403 forbidden
//	fleet.ErrCertMismatch            403 forbidden (agentOnly audits it)
//	identity.RefusedError            403 forbidden (the ingest handler audits it)
//	store.ErrNotFound                404 not_found
//	auth.ErrUnknownToken             404 not_found
//	auth.ErrAmbiguousID, ErrNameTaken, store.ErrAmbiguousLocation,
//	policy.ErrExists, detectors.ErrExists,
//	dsr.ErrConflict, records.ErrConflict 409 conflict
//	http.MaxBytesError, errDecodedTooLarge,
//	admission.RatioError, ErrTooLarge 413 too_large
//	admission.RateError              429 too_many_requests (Retry-After)
//	wire.LineError                   400 invalid_record
//	store.ErrBadFilter, fleet.ErrBadFilter, fleet.ErrInvalidEnrollment, auth.ErrInvalidRequest,
//	review.ErrInvalid, risk.ErrInvalid, policy.ErrInvalid, incident.ErrEmptyScope,
//	detectors.ErrInvalid, triage.ErrInvalid, dsr.ErrInvalid,
//	records.ErrInvalid, pia.ErrInvalid,
//	incident.ErrTooMany, subjects.InvalidError,
//	identity.ErrBadRequest, identity.ErrUnknownAgent 400 bad_request
//	admission.ErrBusy, ingest.ErrBusy 503 busy (Retry-After)
//	store unavailable (store.IsUnavailable) 503 store_unavailable (Retry-After)
func errorRules() errorTable {
	return errorTable{
		// The API's own errors carry their kind and words (classify).
		{match: as[*apiError]()},
		{match: is(auth.ErrNoToken), kind: kindUnauthorized},
		{match: is(auth.ErrInvalidToken), kind: kindUnauthorized},
		{match: is(fleet.ErrEnrollDenied), kind: kindUnauthorized},
		{match: is(review.ErrNotYours), kind: kindForbidden},
		{match: is(fleet.ErrCertMismatch), kind: kindForbidden},
		{match: as[*identity.RefusedError](), kind: kindForbidden, message: ofAs(func(ref *identity.RefusedError) string {
			return "batch refused: " + ref.Error() + "; the batch was not stored"
		})},
		{match: is(store.ErrNotFound), kind: kindNotFound, message: fixed("not found")},
		{match: is(auth.ErrUnknownToken), kind: kindNotFound},
		{match: is(auth.ErrAmbiguousID), kind: kindConflict},
		{match: is(store.ErrAmbiguousLocation), kind: kindConflict},
		{match: is(auth.ErrNameTaken), kind: kindConflict},
		{match: is(policy.ErrExists), kind: kindConflict},
		{match: is(detectors.ErrExists), kind: kindConflict},
		{match: is(dsr.ErrConflict), kind: kindConflict},
		{match: is(records.ErrConflict), kind: kindConflict},
		{match: as[*http.MaxBytesError](), kind: kindTooLarge, message: ofAs(func(mbe *http.MaxBytesError) string {
			return fmt.Sprintf("request body larger than %d bytes; send smaller batches", mbe.Limit)
		})},
		{match: is(errDecodedTooLarge), kind: kindTooLarge, message: fixed("decompressed body too large; send smaller batches")},
		{match: as[*admission.RatioError](), kind: kindTooLarge, message: ofAs((*admission.RatioError).Error)},
		{match: is(admission.ErrTooLarge), kind: kindTooLarge},
		{match: as[*admission.RateError](), kind: kindTooMany,
			message:    func(err error) string { return err.Error() + " (ingest.agent_rate)" },
			retryAfter: ofAs(func(re *admission.RateError) int { return int(math.Ceil(re.RetryAfter.Seconds())) })},
		{match: as[*wire.LineError](), kind: kindInvalidRecord, message: ofAs(func(le *wire.LineError) string {
			return "invalid batch: " + le.Error() + "; the batch was not stored"
		})},
		{match: is(store.ErrBadFilter), kind: kindBadRequest},
		{match: is(fleet.ErrBadFilter), kind: kindBadRequest},
		{match: is(fleet.ErrInvalidEnrollment), kind: kindBadRequest},
		{match: is(auth.ErrInvalidRequest), kind: kindBadRequest},
		{match: is(review.ErrInvalid), kind: kindBadRequest},
		{match: is(risk.ErrInvalid), kind: kindBadRequest},
		{match: is(policy.ErrInvalid), kind: kindBadRequest},
		{match: is(detectors.ErrInvalid), kind: kindBadRequest},
		{match: is(triage.ErrInvalid), kind: kindBadRequest},
		{match: is(dsr.ErrInvalid), kind: kindBadRequest},
		{match: is(records.ErrInvalid), kind: kindBadRequest},
		{match: is(pia.ErrInvalid), kind: kindBadRequest},
		{match: is(incident.ErrEmptyScope), kind: kindBadRequest},
		{match: is(incident.ErrTooMany), kind: kindBadRequest},
		{match: as[*subjects.InvalidError](), kind: kindBadRequest, message: ofAs((*subjects.InvalidError).Error)},
		{match: is(identity.ErrBadRequest), kind: kindBadRequest},
		{match: is(identity.ErrUnknownAgent), kind: kindBadRequest},
		{match: is(admission.ErrBusy), kind: kindBusy},
		{match: is(ingest.ErrBusy), kind: kindBusy},
		{match: store.IsUnavailable, kind: kindUnavailable,
			message: fixed("ClickHouse is unavailable; the request was not stored, retry later")},
	}
}

// errorTable is the rules in order; built once per server, it holds no
// state.
type errorTable []errorRule

// classify maps any error to its API error; unknown errors are internal.
func (t errorTable) classify(err error) *apiError {
	if i := t.rule(err); i >= 0 {
		r := t[i]
		var ae *apiError
		if errors.As(err, &ae) {
			return ae
		}
		out := &apiError{kind: r.kind, msg: err.Error()}
		if r.message != nil {
			out.msg = r.message(err)
		}
		if r.retryAfter != nil {
			out.retryAfter = r.retryAfter(err)
		}
		return out
	}
	return errorf(kindInternal, "internal error; see the collector log")
}

// rule is the index of the first rule matching err, or -1.
func (t errorTable) rule(err error) int {
	for i, r := range t {
		if r.match(err) {
			return i
		}
	}
	return -1
}

// errorBody is every error answer: {"error":{"code","message"}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    kind   `json:"code"`
	Message string `json:"message"`
}

// fail writes err as the error body with its status.
func (s *Server) fail(c *gin.Context, err error) {
	ae := s.errors.classify(err)
	status := kindStatus[ae.kind]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	switch {
	case ae.retryAfter > 0:
		c.Header("Retry-After", strconv.Itoa(ae.retryAfter))
	case status == http.StatusServiceUnavailable:
		c.Header("Retry-After", retryAfterSeconds)
	}
	switch {
	case ae.kind == kindBusy:
		// Back-pressure (memory budget, in-flight cap, pending rows) is the
		// collector working as designed under load, and agents back off:
		// an ERROR line per refused batch would bury real failures.
		s.o.Logger.Debug("request refused under load", "method", c.Request.Method, "path", c.FullPath(), "status", status, "err", err)
	case status >= 500:
		s.o.Logger.Error("request failed", "method", c.Request.Method, "path", c.FullPath(), "status", status, "err", err)
	}
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{Code: ae.kind, Message: ae.msg}})
}
