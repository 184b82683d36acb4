package runner

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/sightline-dev/sightline/agent/config"
	"github.com/sightline-dev/sightline/agent/enroll"
	"github.com/sightline-dev/sightline/agent/transport"
)

// CollectorURL is where the agent ships: the config's collector, else the
// one it enrolled with.
func CollectorURL(c config.Config, creds enroll.Credentials) string {
	if c.Collector != "" {
		return c.Collector
	}
	return creds.Collector
}

// Client is the shipper's HTTP client: the config's TLS settings, the CA
// recorded at enrollment when the config names none, and the enrollment
// pin. Credentials from before pins still work, with a warning.
func Client(c config.Config, creds enroll.Credentials, log *slog.Logger) (*http.Client, error) {
	collector := CollectorURL(c, creds)
	client, err := transport.New(transport.Options{
		URL: collector, CAFile: c.CAFile, CAPEM: []byte(creds.CAPEM),
		CertFile: c.CertFile, KeyFile: c.KeyFile, InsecureHTTP: c.InsecureHTTP,
		Pin: creds.CASPKISHA256, Timeout: c.Ship.Timeout,
	})
	if err != nil {
		return nil, fmt.Errorf("collector connection: %w", err)
	}
	switch {
	case !strings.HasPrefix(strings.ToLower(collector), "https://"):
		if c.InsecureHTTP {
			log.Warn("shipping to the collector over plain http (insecure_http: true): the agent token and findings travel in clear text", "collector", collector)
		}
	case creds.CASPKISHA256 == "":
		log.Warn("these credentials pin no collector CA (enrolled before pinning, or over http): any CA the agent trusts can impersonate the collector; "+
			"re-enroll the agent over https to pin it", "collector", collector)
	}
	return client, nil
}
