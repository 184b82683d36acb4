package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/collector/admission"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/internal/wire"
)

// errDecodedTooLarge marks a gzip body that expands past the limit.
var errDecodedTooLarge = errors.New("decompressed body too large")

// bodyError classifies an error met while reading a request body: a body
// over its limits or a bad batch line pass as they are (errorRules words
// them), anything else is the client's malformed body; never a store
// error, although some read errors look like a lost connection.
func bodyError(err error, what string) error {
	for _, match := range []func(error) bool{as[*http.MaxBytesError](), is(errDecodedTooLarge),
		as[*admission.RatioError](), as[*wire.LineError]()} {
		if match(err) {
			return err
		}
	}
	return errorf(kindBadRequest, "reading "+what+": "+err.Error())
}

// decodeJSON reads a JSON body of at most limit bytes into v; unknown
// fields are refused, so a misspelt option is not silently ignored.
func decodeJSON(c *gin.Context, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err, "JSON body")
	}
	return nil
}

// page reads the filter and paging parameters most list endpoints share.
func page(c *gin.Context) (store.FindingFilter, error) {
	f := store.FindingFilter{
		Type: c.Query("type"), Category: c.Query("category"), Host: c.Query("host"),
		LocationPrefix: c.Query("location_prefix"), AgentID: c.Query("agent_id"), Source: c.Query("source"),
	}
	var err error
	if f.Limit, err = intQuery(c, "limit", 100, 1000); err != nil {
		return f, err
	}
	f.Offset, err = intQuery(c, "offset", 0, 1<<30)
	return f, err
}

// intQuery reads an optional integer parameter between 0 and max (def
// when absent).
func intQuery(c *gin.Context, name string, def, max int) (int, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > max {
		return 0, errorf(kindBadRequest, fmt.Sprintf("%s must be an integer between 0 and %d", name, max))
	}
	return n, nil
}

// formatQuery reads ?format: json (the default) or csv.
func formatQuery(c *gin.Context) (string, error) {
	format := c.DefaultQuery("format", "json")
	if format != "json" && format != "csv" {
		return "", errorf(kindBadRequest, "format must be json or csv")
	}
	return format, nil
}

// boolQuery reads an optional true/false parameter (nil when absent).
func boolQuery(c *gin.Context, name string) (*bool, error) {
	v := c.Query(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, errorf(kindBadRequest, name+" must be true or false")
	}
	return &b, nil
}

// tokenOf is the caller's token, set by requireRole.
func tokenOf(c *gin.Context) store.Token {
	if v, ok := c.Get("token"); ok {
		if t, ok := v.(store.Token); ok {
			return t
		}
	}
	return store.Token{}
}

// tokenID is the prefix of a token's hash that listings and the audit log
// name it by.
func tokenID(t store.Token) string { return t.Hash[:min(12, len(t.Hash))] }
