package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/sightline-dev/sightline/internal/csvsafe"
)

// apiFunc is a handler: it returns the response body or an error, and
// handle writes either (as Prometheus's API does). A body is written as
// JSON with 200 unless it is a responder, which writes itself.
type apiFunc func(c *gin.Context) (any, error)

// responder is a body that writes itself: another status, CSV.
type responder interface {
	respond(c *gin.Context)
}

// handle turns an apiFunc into a gin handler.
func (s *Server) handle(f apiFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		v, err := f(c)
		switch r := v.(type) {
		case nil:
			if err == nil {
				err = errorf(kindInternal, "internal error: empty answer")
			}
		case responder:
			if err == nil {
				r.respond(c)
				return
			}
		default:
			if err == nil {
				c.JSON(http.StatusOK, v)
				return
			}
		}
		s.fail(c, err)
	}
}

// reply is a JSON body with a status other than 200.
type reply struct {
	status int
	body   any
}

func (r reply) respond(c *gin.Context) { c.JSON(r.status, r.body) }

// created is a 201 answer.
func created(body any) reply { return reply{status: http.StatusCreated, body: body} }

// csvTable is a CSV download. Cells are neutralised: a name or comment
// must not become a live spreadsheet formula (internal/csvsafe).
type csvTable struct {
	filename string
	header   []string
	rows     [][]string
}

func (t csvTable) respond(c *gin.Context) {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+t.filename+`"`)
	c.Status(http.StatusOK)
	w := csvsafe.NewWriter(c.Writer)
	_ = w.Write(t.header)
	for _, r := range t.rows {
		_ = w.Write(r)
	}
	_ = w.Flush()
}

// each converts a slice, never returning nil (a list is [] in JSON, not null).
func each[T, U any](in []T, f func(T) U) []U {
	out := make([]U, 0, len(in))
	for _, v := range in {
		out = append(out, f(v))
	}
	return out
}
