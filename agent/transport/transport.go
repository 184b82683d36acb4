// Package transport builds the one HTTP client the agent uses to talk to
// its collector, for enrollment and for shipping alike, so both trust the
// same things: TLS 1.2 or later; a CA bundle (ca_file, or the CA recorded
// at enrollment) or else the system roots; an optional client certificate
// for mutual TLS; and, once enrolled, the pinned CA key, which must appear
// in every verified chain. Plain HTTP is only for loopback unless the
// operator says otherwise in so many words.
package transport

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sightline-dev/sightline/internal/capool"
	"github.com/sightline-dev/sightline/internal/defaults"
)

// ErrPinMismatch is returned (wrapped) by requests whose collector chain
// does not contain the CA key pinned at enrollment.
var ErrPinMismatch = errors.New("the collector's certificate does not chain to the CA pinned at enrollment")

// Options says what the client trusts. Zero values take the defaults.
type Options struct {
	// URL is the collector's base URL: its scheme decides whether TLS is
	// used, and an http:// URL must name a loopback host unless
	// InsecureHTTP is set.
	URL string
	// CAFile is a PEM bundle of the CAs that may sign the collector's
	// certificate. When empty, CAPEM is used, and when that is empty too,
	// the system roots.
	CAFile string
	// CAPEM is a PEM bundle, as recorded in the credentials at enrollment.
	CAPEM []byte
	// CertFile and KeyFile are the agent's client certificate and key (PEM)
	// for collectors that require mutual TLS. Both or neither.
	CertFile, KeyFile string
	// InsecureHTTP allows an http:// collector URL on a non-loopback host:
	// the token and every finding then cross the network in clear text.
	InsecureHTTP bool
	// Pin is the hex SHA-256 of a SubjectPublicKeyInfo that must appear in
	// the collector's verified chain (see Fingerprint). Empty: no pin.
	Pin string
	// Timeout bounds each request (default 60s).
	Timeout time.Duration
}

// CheckURL parses a collector base URL and refuses what the agent must not
// use: anything but http and https, a missing host, and http:// to a host
// other than loopback unless insecureHTTP is set.
func CheckURL(raw string, insecureHTTP bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("collector URL %q: %w (want https://host:port)", raw, err)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !insecureHTTP && !IsLoopback(u.Hostname()) {
			return nil, fmt.Errorf("collector URL %s: plain http:// to a host other than loopback would send the agent token and findings in clear text; "+
				"use https:// (with ca_file / --ca-file for a private CA), or set insecure_http: true (enroll: --insecure-http) if you accept that", raw)
		}
	default:
		return nil, fmt.Errorf("collector URL %q: scheme must be https:// (or http:// on loopback)", raw)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("collector URL %q: no host (want https://host:port)", raw)
	}
	return u, nil
}

// IsLoopback reports whether host (no port) is localhost, 127.0.0.0/8 or ::1.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Fingerprint is the lowercase hex SHA-256 of a certificate's
// SubjectPublicKeyInfo: what `openssl x509 -pubkey -noout | openssl pkey
// -pubin -outform der | openssl dgst -sha256` prints. A key, not a
// certificate, so a CA re-issued with the same key still matches.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:])
}

// RootFingerprint is the Fingerprint of the root of the first chain the
// handshake verified: the CA that made the collector trusted. Empty when
// the connection was not verified (plain HTTP).
func RootFingerprint(cs *tls.ConnectionState) string {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return ""
	}
	chain := cs.VerifiedChains[0]
	return Fingerprint(chain[len(chain)-1])
}

// New returns the client for the collector at o.URL.
func New(o Options) (*http.Client, error) {
	u, err := CheckURL(o.URL, o.InsecureHTTP)
	if err != nil {
		return nil, err
	}
	o.Timeout = defaults.Positive(o.Timeout, 60*time.Second)
	if o.Pin != "" && u.Scheme != "https" {
		// The agent enrolled over TLS: falling back to clear text now is a
		// downgrade nobody asked for.
		return nil, fmt.Errorf("collector URL %s is plain http, but the agent enrolled over https and pinned the collector's CA: "+
			"set collector to the https:// URL, or re-enroll the agent against the http:// one", o.URL)
	}
	cfg, err := TLSConfig(o)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone() // proxies from the environment, HTTP/2, sane timeouts
	tr.TLSClientConfig = cfg
	origin := u.Scheme + "://" + u.Host
	return &http.Client{
		Transport: tr,
		Timeout:   o.Timeout,
		// A redirect elsewhere could leave TLS or the pinned collector;
		// nothing the collector serves redirects, so refuse them all but
		// same-origin ones.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if got := req.URL.Scheme + "://" + req.URL.Host; got != origin {
				return fmt.Errorf("collector %s redirected to %s: not followed; set the collector URL to where it should be", origin, got)
			}
			if len(via) >= 5 {
				return errors.New("collector redirected too many times")
			}
			return nil
		},
	}, nil
}

// TLSConfig is the TLS side of New.
func TLSConfig(o Options) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case o.CAFile != "":
		var err error
		if cfg.RootCAs, err = capool.Load(o.CAFile, "ca_file"); err != nil {
			return nil, err
		}
	case len(o.CAPEM) > 0:
		var err error
		if cfg.RootCAs, err = capool.Parse(o.CAPEM); err != nil {
			return nil, fmt.Errorf("the CA recorded at enrollment (credentials.json ca_pem): %w; re-enroll the agent", err)
		}
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		return nil, errors.New("cert_file and key_file go together: set both for mutual TLS, or neither")
	}
	if o.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("loading the client certificate (cert_file %s, key_file %s): %w", o.CertFile, o.KeyFile, err)
		}
		// Always offered when the collector asks, rather than only when
		// its issuer is among the CAs the server names (what Certificates
		// would do): a silently missing certificate is harder to diagnose
		// than the server's refusal of a wrong one.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	}
	if o.Pin != "" {
		pin, err := hex.DecodeString(o.Pin)
		if err != nil || len(pin) != sha256.Size {
			return nil, errors.New("credentials.json ca_spki_sha256 is not a hex SHA-256; re-enroll the agent")
		}
		want := strings.ToLower(o.Pin)
		// VerifyConnection runs after the standard chain verification, on
		// resumed sessions too, so the pin is checked on every connection.
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			for _, chain := range cs.VerifiedChains {
				for _, c := range chain {
					if Fingerprint(c) == want {
						return nil
					}
				}
			}
			got := RootFingerprint(&cs)
			return fmt.Errorf("%w (pinned CA key sha256 %s, this chain's root %s): if the collector's CA was rotated on purpose, "+
				"re-enroll the agent (sightline-agent enroll --collector URL --ca-file NEW-CA.pem --enroll-secret-file FILE); otherwise something is impersonating the collector",
				ErrPinMismatch, want, got)
		}
	}
	return cfg, nil
}
