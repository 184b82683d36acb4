package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/sightline-dev/sightline/internal/limitread"
)

// Effective is the agent's effective policy as the collector sends it.
type Effective struct {
	ETag      string    `json:"etag"`
	Revisions string    `json:"revisions"`
	Settings  Settings  `json:"settings"`
	Commands  []Command `json:"commands"`
}

// Command is a command to this agent ("scan now").
type Command struct {
	ID      string `json:"id"`
	Action  string `json:"action"`
	Scanner string `json:"scanner"`
}

// Report is what the agent tells the collector about a policy it fetched
// and the commands it runs.
type Report struct {
	// Applied is the ETag of the policy it now runs ("" when it refused
	// the one it fetched) and Revisions its revisions.
	Applied   string `json:"applied,omitempty"`
	Revisions string `json:"revisions,omitempty"`
	// Rejected is the ETag of a policy it refused, with the reason.
	Rejected       string `json:"rejected,omitempty"`
	RejectedReason string `json:"rejected_reason,omitempty"`
	// Conflicts are the pinned settings the policy tried to set.
	Conflicts []string `json:"conflicts,omitempty"`
	// Commands are state changes of commands.
	Commands []CommandReport `json:"commands,omitempty"`
}

// CommandReport is a command's new state on the agent.
type CommandReport struct {
	ID      string `json:"id"`
	Status  string `json:"status"` // running, done, failed
	ScanID  string `json:"scan_id,omitempty"`
	Message string `json:"message,omitempty"`
}

// Client fetches the agent's policy and reports on it, over the agent's
// one HTTP client (agent/transport: pinned CA).
type Client struct {
	HTTP  *http.Client
	Base  string // collector base URL
	Token string
}

// maxPolicyBytes bounds a policy answer.
const maxPolicyBytes = 1 << 20

// Fetch asks for the effective policy; with etag set, an unchanged policy
// answers 304 and Fetch returns changed=false.
func (c Client) Fetch(ctx context.Context, etag string) (Effective, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.Base, "/")+"/api/v1/agent/policy", nil)
	if err != nil {
		return Effective{}, false, err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Effective{}, false, fmt.Errorf("fetching the policy: %w", err)
	}
	defer resp.Body.Close()
	tooLarge := fmt.Errorf("fetching the policy: answer larger than %d bytes", maxPolicyBytes)
	data, err := limitread.All(resp.Body, maxPolicyBytes, tooLarge)
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return Effective{}, false, nil
	case resp.StatusCode != http.StatusOK:
		return Effective{}, false, fmt.Errorf("fetching the policy: collector answered %s: %s", resp.Status, clip(data))
	case errors.Is(err, tooLarge):
		return Effective{}, false, err
	case err != nil:
		return Effective{}, false, fmt.Errorf("fetching the policy: %w", err)
	}
	e, err := DecodeEffective(data)
	if err != nil {
		return Effective{}, false, err
	}
	return e, true, nil
}

// DecodeEffective parses the collector's answer (untrusted bytes).
func DecodeEffective(data []byte) (Effective, error) {
	var e Effective
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&e); err != nil {
		return Effective{}, fmt.Errorf("the collector's policy answer is not valid JSON: %w", err)
	}
	if e.ETag == "" {
		return Effective{}, fmt.Errorf("the collector's policy answer has no etag")
	}
	if e.Settings == nil {
		e.Settings = Settings{}
	}
	return e, nil
}

// Send posts a report.
func (c Client) Send(ctx context.Context, r Report) error {
	body, _ := json.Marshal(r)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.Base, "/")+"/api/v1/agent/policy/status", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("reporting policy status: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reporting policy status: collector answered %s: %s", resp.Status, clip(data))
	}
	return nil
}

func clip(b []byte) string {
	if len(b) > 300 {
		b = b[:300]
	}
	return strings.TrimSpace(string(b))
}
