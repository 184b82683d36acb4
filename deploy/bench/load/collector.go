package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sightline-dev/sightline/internal/capool"
	"github.com/sightline-dev/sightline/internal/tick"
)

// collector is a running sightline-collector process started by the bench.
type collector struct {
	bin, config, logPath string
	base                 string // http(s)://127.0.0.1:port
	client               *http.Client
	cmd                  *exec.Cmd
	exited               chan error
}

// collectorOptions say how to start the collector.
type collectorOptions struct {
	Bin, ClickHouse, Database, Dir string
	// CAFile, when set, makes the bench speak https to the collector and
	// trust this CA; ExtraConfig must then carry the collector's TLS
	// section (its keys are the collector's, not the bench's).
	CAFile      string
	ExtraConfig string
	Conns       int // idle connections to keep per host
}

// startCollector writes a config, migrates, and starts `serve`, returning
// once /readyz answers.
func startCollector(ctx context.Context, o collectorOptions) (*collector, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	scheme := "http"
	tr := &http.Transport{MaxIdleConns: o.Conns, MaxIdleConnsPerHost: o.Conns, IdleConnTimeout: time.Minute}
	if o.CAFile != "" {
		pool, err := capool.Load(o.CAFile, "-ca-file")
		if err != nil {
			return nil, err
		}
		scheme = "https"
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	cfg := fmt.Sprintf("listen: 127.0.0.1:%d\nclickhouse:\n  addr: %s\n  database: %s\nlog_level: warn\n", port, o.ClickHouse, o.Database)
	if o.ExtraConfig != "" {
		extra, err := os.ReadFile(o.ExtraConfig)
		if err != nil {
			return nil, fmt.Errorf("reading -collector-config: %w", err)
		}
		cfg += "\n" + string(extra) + "\n"
	}
	c := &collector{
		bin: o.Bin, config: filepath.Join(o.Dir, "collector.yaml"), logPath: filepath.Join(o.Dir, "collector.log"),
		base:   fmt.Sprintf("%s://127.0.0.1:%d", scheme, port),
		client: &http.Client{Transport: tr, Timeout: 60 * time.Second},
	}
	if err := os.WriteFile(c.config, []byte(cfg), 0o600); err != nil {
		return nil, fmt.Errorf("writing the collector config: %w", err)
	}
	if _, err := c.command(ctx, "migrate"); err != nil {
		return nil, err
	}
	logf, err := os.Create(c.logPath)
	if err != nil {
		return nil, fmt.Errorf("creating the collector log: %w", err)
	}
	defer logf.Close() // the child has its own descriptor
	c.cmd = exec.Command(c.bin, "serve", "--config", c.config)
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s (run make build first): %w", c.bin, err)
	}
	c.exited = make(chan error, 1)
	go func() { c.exited <- c.cmd.Wait() }()
	if err := c.waitReady(ctx); err != nil {
		_ = c.stop()
		return nil, err
	}
	return c, nil
}

// command runs a collector subcommand with the bench's config and returns
// its standard output.
func (c *collector) command(ctx context.Context, args ...string) (string, error) {
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, c.bin, append(args, "--config", c.config)...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("sightline-collector %s: %w: %s", args[0], err, strings.TrimSpace(errb.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// token creates a token of role with `sightline-collector token create`,
// as an operator would.
func (c *collector) token(ctx context.Context, role, name string) (string, error) {
	return c.command(ctx, "token", "create", "--role", role, "--name", name)
}

func (c *collector) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-c.exited:
			c.exited <- err
			return fmt.Errorf("the collector exited while starting (%v); its log: %s", err, c.logTail())
		default:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/readyz", nil)
		if resp, err := c.client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := tick.Sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("the collector did not become ready at %s in 30s; its log: %s", c.base, c.logTail())
}

// peakRSS is the collector's VmHWM, the most resident memory it has held.
func (c *collector) peakRSS() (int64, error) {
	return procStatusKB(c.cmd.Process.Pid, "VmHWM")
}

// stop asks the collector to shut down (SIGTERM flushes pending rows) and
// kills it if it has not within 30s.
func (c *collector) stop() error {
	if c.cmd == nil || c.cmd.Process == nil {
		return nil
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.exited:
		c.exited <- err
		return nil
	case <-time.After(30 * time.Second):
		_ = c.cmd.Process.Kill()
		err := <-c.exited
		c.exited <- err
		return errors.New("the collector did not stop within 30s of SIGTERM and was killed")
	}
}

func (c *collector) logTail() string {
	b, _ := os.ReadFile(c.logPath)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// procStatusKB reads a "Name: N kB" line of /proc/PID/status, in bytes.
func procStatusKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the collector's memory (Linux /proc only): %w", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parsing %s in /proc/%d/status: %w", field, pid, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// logErrors counts the collector log's error lines and returns the first
// few: an error under load (a failed insert, a handler that broke off)
// belongs in the report, not only in a log that is deleted with the run.
func (c *collector) logErrors(keep int) (int, []string) {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return 0, nil
	}
	n := 0
	var first []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "context canceled") {
			continue // the bench's own readers, cut off at the end of the window
		}
		if strings.Contains(l, "level=ERROR") || strings.Contains(l, `"level":"ERROR"`) || strings.HasPrefix(l, "panic:") || strings.Contains(l, "http: panic") {
			n++
			if len(first) < keep {
				first = append(first, l)
			}
		}
	}
	return n, first
}
