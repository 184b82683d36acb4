package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/ingest"
	"github.com/sightline-dev/sightline/collector/store"
)

// kind is an error class of the API; kindStatus is the one place that says
// which HTTP status each class gets (as Elastic fleet-server does).
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

type apiError struct {
	kind kind
	msg  string
	// retryAfter, when positive, is sent as Retry-After (seconds).
	retryAfter int
}

func (e *apiError) Error() string { return e.msg }

func errorf(k kind, msg string) *apiError { return &apiError{kind: k, msg: msg} }

// classify maps any error to its kind; unknown errors are internal.
func classify(err error) *apiError {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, auth.ErrNoToken), errors.Is(err, auth.ErrInvalidToken):
		return errorf(kindUnauthorized, err.Error())
	case errors.Is(err, store.ErrNotFound):
		return errorf(kindNotFound, "not found")
	case errors.Is(err, ingest.ErrBusy):
		return errorf(kindBusy, err.Error())
	case store.IsUnavailable(err):
		return errorf(kindUnavailable, "ClickHouse is unavailable; the request was not stored, retry later")
	default:
		return errorf(kindInternal, "internal error; see the collector log")
	}
}

// fail writes the error body {"error":{"code","message"}} with its status.
func (s *Server) fail(c *gin.Context, err error) {
	ae := classify(err)
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
	c.AbortWithStatusJSON(status, gin.H{"error": gin.H{"code": ae.kind, "message": ae.msg}})
}
