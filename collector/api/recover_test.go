package api

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
)

// TestPanicAnswersTheErrorBody: a handler that panics is answered like
// any internal error, with the API's error body and its headers, and the
// panic (which may name paths or values) and its stack go to the log
// only; gin's recovery answered an empty 500 and wrote the stack to
// stderr.
func TestPanicAnswersTheErrorBody(t *testing.T) {
	var logs bytes.Buffer
	s := New(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s.engine.GET("/panics", func(*gin.Context) { panic("reading /var/lib/sightline/secret.key: boom") })
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/panics", nil))
	require.Equal(t, http.StatusInternalServerError, w.Code)
	body, _ := io.ReadAll(w.Body)
	require.JSONEq(t, `{"error":{"code":"internal","message":"internal error; see the collector log"}}`, string(body))
	require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	require.Contains(t, logs.String(), "secret.key: boom", "the detail is logged")
	require.Contains(t, logs.String(), "goroutine", "with its stack")
}
