// Package enroll registers the agent with a collector and keeps the
// resulting credentials (agent id, token, token key) on disk, readable only
// by the agent's user.
package enroll

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/sightline-dev/sightline/agent/transport"
	"github.com/sightline-dev/sightline/internal/version"
)

// Credentials are what enrollment yields.
type Credentials struct {
	Collector string `json:"collector"`
	AgentID   string `json:"agent_id"`
	Token     string `json:"token"`
	// TokenKey is the organisation's HMAC key (hex) for keyed tokens.
	TokenKey string `json:"token_key"`
	// CAPEM is the CA bundle given at enrollment (--ca-file), so later
	// runs trust the same CAs without agent.yaml naming the file.
	CAPEM string `json:"ca_pem,omitempty"`
	// CASPKISHA256 pins the collector: the hex SHA-256 of the public key
	// (SubjectPublicKeyInfo) of the CA that verified the collector's chain
	// at enrollment. Every later connection must verify through it. Empty
	// for enrollment over plain http and for credentials from before pins.
	CASPKISHA256 string `json:"ca_spki_sha256,omitempty"`
}

// Key returns the token key as bytes.
func (c Credentials) Key() ([]byte, error) {
	k, err := hex.DecodeString(c.TokenKey)
	if err != nil || len(k) < 16 {
		return nil, fmt.Errorf("credentials: token_key is not a hex key of at least 16 bytes; enroll again")
	}
	return k, nil
}

// Options is what an agent says of itself when it enrolls.
type Options struct {
	// Hostname is the name the collector will know this host by: its
	// files and accounts are this host's, and one agent speaks for a name
	// (the first to report its records). Empty: os.Hostname().
	Hostname string
	// Labels are for the collector to store with the agent: they select
	// the policies that apply to it (enroll --label k=v).
	Labels map[string]string
}

// Enroll asks the collector at base for an identity. Over https, the
// credentials pin the root of the chain the client verified (see
// CASPKISHA256); client decides what is trusted (agent/transport).
func Enroll(ctx context.Context, client *http.Client, base, secret string, o Options) (Credentials, error) {
	if secret == "" {
		return Credentials{}, errors.New("an enroll secret is required: --enroll-secret-file FILE or SIGHTLINE_ENROLL_SECRET (create one with `sightline-collector token create --role agent-enroll`)")
	}
	host := o.Hostname
	if host == "" {
		var err error
		if host, err = os.Hostname(); err != nil {
			return Credentials{}, fmt.Errorf("reading this host's name: %w; give one with --hostname", err)
		}
	}
	labels := o.Labels
	req := map[string]any{
		"enroll_secret": secret, "hostname": host, "os": runtime.GOOS + "/" + runtime.GOARCH, "version": version.Version,
	}
	if len(labels) > 0 {
		req["labels"] = labels
	}
	body, _ := json.Marshal(req)
	base = strings.TrimRight(base, "/")
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/agents/enroll", bytes.NewReader(body))
	if err != nil {
		return Credentials{}, fmt.Errorf("collector URL %q: %w", base, err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(hreq)
	if err != nil {
		return Credentials{}, fmt.Errorf("enrolling with %s: %w (is the collector running and the URL right?)", base, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			return Credentials{}, fmt.Errorf("enrolling with %s: %s: %s", base, resp.Status, e.Error.Message)
		}
		return Credentials{}, fmt.Errorf("enrolling with %s: %s", base, resp.Status)
	}
	var c Credentials
	if err := json.Unmarshal(data, &c); err != nil || c.AgentID == "" || c.Token == "" {
		return Credentials{}, fmt.Errorf("enrolling with %s: unexpected answer (is this a Sightline collector?)", base)
	}
	c.Collector = base
	c.CAPEM = ""
	c.CASPKISHA256 = transport.RootFingerprint(resp.TLS)
	if _, err := c.Key(); err != nil {
		return Credentials{}, err
	}
	return c, nil
}

// Save writes the credentials with mode 0600, atomically.
func Save(path string, c Credentials) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	data, _ := json.MarshalIndent(c, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("writing credentials: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing credentials: %w", err)
	}
	return nil
}

// Load reads credentials saved by Save.
func Load(path string) (Credentials, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Credentials{}, fmt.Errorf("no credentials at %s: run `sightline-agent enroll --collector URL --enroll-secret-file FILE` first", path)
	}
	if err != nil {
		return Credentials{}, fmt.Errorf("reading credentials: %w", err)
	}
	var c Credentials
	if err := json.Unmarshal(data, &c); err != nil {
		return Credentials{}, fmt.Errorf("credentials %s are damaged (%v): enroll again", path, err)
	}
	return c, nil
}
