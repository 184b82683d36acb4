package transporttest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Token and TokenKey are what Collector hands out at enrollment.
const (
	Token    = "agent-token-1"
	TokenKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
)

// Collector stands in for the collector's two agent endpoints, with the
// real one's request and answer shapes: enrollment (checks the secret) and
// ingest (checks the token, answers 200). The real collector needs
// ClickHouse; internal/e2e runs the agent against it.
type Collector struct {
	Secret string

	mu      sync.Mutex
	enrolls []string // client certificate CN of each enrollment ("" without)
	ingests int
}

// ServeHTTP answers the agent.
func (c *Collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cn := ""
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		cn = r.TLS.PeerCertificates[0].Subject.CommonName
	}
	switch r.URL.Path {
	case "/api/v1/agents/enroll":
		var req struct {
			EnrollSecret string `json:"enroll_secret"`
		}
		if json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req) != nil || req.EnrollSecret != c.Secret {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":{"code":"unauthorized","message":"enroll secret not valid"}}`)
			return
		}
		c.mu.Lock()
		c.enrolls = append(c.enrolls, cn)
		c.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]string{"agent_id": "agent-1", "token": Token, "token_key": TokenKey})
	case "/api/v1/ingest":
		if !strings.EqualFold(r.Header.Get("Authorization"), "Bearer "+Token) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		c.mu.Lock()
		c.ingests++
		c.mu.Unlock()
		_, _ = io.WriteString(w, `{"accepted":1}`)
	default:
		http.NotFound(w, r)
	}
}

// Enrolls returns the client certificate CN seen at each enrollment.
func (c *Collector) Enrolls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.enrolls...)
}

// Ingests counts the batches taken.
func (c *Collector) Ingests() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ingests
}
