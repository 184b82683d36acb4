// Command sightline-collector receives agents' records, stores them in
// ClickHouse and serves the API.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sightline-dev/sightline/collector/admission"
	"github.com/sightline-dev/sightline/collector/alerts"
	"github.com/sightline-dev/sightline/collector/api"
	"github.com/sightline-dev/sightline/collector/auth"
	"github.com/sightline-dev/sightline/collector/config"
	"github.com/sightline-dev/sightline/collector/console"
	"github.com/sightline-dev/sightline/collector/datamap"
	"github.com/sightline-dev/sightline/collector/dsr"
	"github.com/sightline-dev/sightline/collector/fleet"
	"github.com/sightline-dev/sightline/collector/index"
	"github.com/sightline-dev/sightline/collector/ingest"
	"github.com/sightline-dev/sightline/collector/keys"
	"github.com/sightline-dev/sightline/collector/pia"
	"github.com/sightline-dev/sightline/collector/review"
	"github.com/sightline-dev/sightline/collector/store"
	"github.com/sightline-dev/sightline/collector/subjects"
	"github.com/sightline-dev/sightline/collector/tlsserve"
	"github.com/sightline-dev/sightline/internal/cli"
	sharedconfig "github.com/sightline-dev/sightline/internal/config"
	"github.com/sightline-dev/sightline/internal/gctune"
	"github.com/sightline-dev/sightline/internal/version"
)

const usage = `usage:
  sightline-collector serve   [--config FILE]   API, ingest (migrates first)
  sightline-collector migrate [--config FILE]   create or upgrade the ClickHouse schema
  sightline-collector token create --role ROLE [--name NAME] [--ttl DURATION] [--uses N] [--config FILE]
        roles: ` + "admin, security, privacy, reviewer, agent-enroll" + `; a name must be unique among live tokens;
        agent-enroll secrets expire after 168h (7 days) unless --ttl says otherwise, and
        --uses N lets one enroll at most N agents
  sightline-collector token list   [--config FILE]   every token: id, role, name, agent, created, expires, state
  sightline-collector token revoke ID [--config FILE]
        ID: a token's id from token list (8 or more hex digits); running collectors
        stop accepting it within their auth cache TTL (30s)
  sightline-collector keys rotate [--config FILE]
        move every stored token to a new encryption key in the key file and drop the old key;
        every collector of the database must be stopped; if interrupted, run it again to finish;
        then copy the key file (mode 0600) to the database's other collector hosts
  sightline-collector keys rotate --agent-key [--config FILE]
        give agents a new token key (K1): new enrollments get it, the old one is kept so
        subject search still finds what agents enrolled before send; collectors stopped;
        then enroll every agent again and copy the key file to the other collector hosts
  sightline-collector keys retire-agent-keys [--force] [--config FILE]
        drop the replaced agent token keys once every agent enrolled again; refused while
        agents enrolled before the rotation have findings, unless --force
  sightline-collector version
`

func main() {
	cli.Main("sightline-collector", func(ctx context.Context) error { return run(ctx, os.Args[1:], os.Stdout, os.Stderr) })
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return cli.Dispatch(ctx, "sightline-collector", usage, args, stdout, stderr, map[string]cli.Command{
		"serve":   dbCommand("serve", noFlags(serve)),
		"migrate": dbCommand("migrate", noFlags(migrate)),
		"token": cli.Group(usage, "want: token create --role ROLE, token list, or token revoke ID", map[string]cli.Command{
			"create": dbCommand("token create", tokenCreate), "list": dbCommand("token list", noFlags(tokenList)),
			"revoke": tokenRevoke,
		}),
		"keys": cli.Group(usage, "want: keys rotate [--agent-key], or keys retire-agent-keys", map[string]cli.Command{
			"rotate": dbCommand("keys rotate", keysRotate), "retire-agent-keys": dbCommand("keys retire-agent-keys", keysRetireAgentKeys),
		}),
	})
}

// open parses a command's flags, loads the config and opens the store
// with the schema migrated, as every command needs.
func open(ctx context.Context, fs *flag.FlagSet, cfgPath *string, args []string, stderr io.Writer) (config.Config, *slog.Logger, *store.Store, error) {
	if err := fs.Parse(args); err != nil {
		return config.Config{}, nil, nil, err
	}
	c, err := config.Load(*cfgPath)
	if err != nil {
		return c, nil, nil, err
	}
	log := sharedconfig.Logger(c.LogLevel, stderr)
	st, err := store.Open(ctx, store.Options{
		Addr: c.ClickHouse.Addr, Database: c.ClickHouse.Database,
		Username: c.ClickHouse.Username, Password: c.ClickHouse.Password,
		DialTimeout: c.ClickHouse.DialTimeout, TLS: c.ClickHouse.ClientTLS, Logger: log,
		Cluster: c.ClickHouse.Cluster,
	})
	if err != nil {
		return c, nil, nil, err
	}
	applied, err := st.Migrate(ctx)
	if err != nil {
		st.Close()
		return c, nil, nil, fmt.Errorf("migrating schema: %w", err)
	}
	if len(applied) > 0 {
		log.Info("schema migrated", "database", c.ClickHouse.Database, "applied", applied)
	}
	return c, log, st, nil
}

// dbRun is a subcommand's work once its flags are parsed and the store is
// open (see open).
type dbRun func(ctx context.Context, c config.Config, log *slog.Logger, st *store.Store, stdout io.Writer) error

// dbCommand is the frame every subcommand shares: its flag set (--config,
// and what define adds before returning the work), parsed from args; the
// config, logger and store opened (open); the work run; the store closed.
func dbCommand(name string, define func(fs *flag.FlagSet) dbRun) cli.Command {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		fs := cli.FlagSet(name, stderr)
		cfgPath := fs.String("config", os.Getenv("SIGHTLINE_COLLECTOR_CONFIG"), "config file (YAML)")
		run := define(fs)
		c, log, st, err := open(ctx, fs, cfgPath, args, stderr)
		if err != nil {
			return err
		}
		defer st.Close()
		return run(ctx, c, log, st, stdout)
	}
}

// noFlags is define for a command with no flag of its own.
func noFlags(run dbRun) func(*flag.FlagSet) dbRun {
	return func(*flag.FlagSet) dbRun { return run }
}

func migrate(ctx context.Context, c config.Config, log *slog.Logger, st *store.Store, _ io.Writer) error {
	lease, err := holdLease(ctx, st, log)
	if err != nil {
		return err
	}
	defer lease.Release(context.WithoutCancel(ctx))
	if _, err := openKeys(ctx, c, st, lease, log); err != nil {
		return err
	}
	log.Info("schema up to date", "database", c.ClickHouse.Database)
	return nil
}

func tokenCreate(fs *flag.FlagSet) dbRun {
	role := fs.String("role", "", "role: "+strings.Join(auth.CreatableRoles, ", "))
	name := fs.String("name", "", "a label for the token (who or what uses it)")
	ttl := fs.Duration("ttl", 0, "lifetime, e.g. 720h; 0 = no expiry (agent-enroll: 168h)")
	uses := fs.Int("uses", 0, "agent-enroll only: how many agents the secret may enroll; 0 = no bound")
	return func(ctx context.Context, _ config.Config, _ *slog.Logger, st *store.Store, stdout io.Writer) error {
		tok, _, err := auth.New(auth.Options{Store: st}).Issue(ctx, auth.IssueRequest{Role: *role, Name: *name, TTL: *ttl, Uses: *uses})
		if err != nil {
			return err
		}
		// The token is printed once and only its hash is stored.
		fmt.Fprintln(stdout, tok)
		return nil
	}
}

func tokenList(ctx context.Context, _ config.Config, _ *slog.Logger, st *store.Store, stdout io.Writer) error {
	toks, err := auth.New(auth.Options{Store: st}).List(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tNAME\tAGENT\tCREATED\tEXPIRES\tSTATE")
	for _, t := range toks {
		exp, state := "never", "live"
		if t.ExpiresAt != nil {
			exp = t.ExpiresAt.Format(time.RFC3339)
		}
		switch {
		case t.Revoked:
			state = "revoked"
		case !auth.Live(t, now):
			state = "expired"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", auth.ID(t), t.Role, dash(t.Name), dash(t.AgentID),
			t.CreatedAt.Format(time.RFC3339), exp, state)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func tokenRevoke(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// The id may come before or after the flags.
	id := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		id, args = args[0], args[1:]
	}
	return dbCommand("token revoke", func(fs *flag.FlagSet) dbRun {
		return func(ctx context.Context, _ config.Config, _ *slog.Logger, st *store.Store, stdout io.Writer) error {
			if id == "" && fs.NArg() == 1 {
				id = fs.Arg(0)
			}
			if id == "" || fs.NArg() > 1 {
				return errors.New("want: token revoke ID (the id column of `sightline-collector token list`)")
			}
			t, err := auth.New(auth.Options{Store: st}).Revoke(ctx, id)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "revoked %s (%s %s); running collectors refuse it within %s\n", auth.ID(t), t.Role, dash(t.Name), auth.DefaultCacheTTL)
			return nil
		}
	})(ctx, args, stdout, stderr)
}

func serve(ctx context.Context, c config.Config, log *slog.Logger, st *store.Store, _ io.Writer) error {
	// Certificate files are read before anything starts, so a bad one
	// stops serve at once.
	var certs *tlsserve.Server
	if c.TLS.Enabled() {
		var err error
		if certs, err = tlsserve.New(tlsserve.Config{CertFile: c.TLS.CertFile, KeyFile: c.TLS.KeyFile,
			ClientCAFile: c.TLS.ClientCAFile, ClientCRLFile: c.TLS.ClientCRLFile}); err != nil {
			return err
		}
	}

	log.Info("garbage collector", "settings", gctune.Apply(c.GC()).String())
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// The lease comes before the keys: a key rotation refuses to run while
	// a collector holds one, and Open refuses to start during a rotation.
	lease, err := holdLease(ctx, st, log)
	if err != nil {
		return err
	}
	defer lease.Release(context.WithoutCancel(ctx))
	ks, err := openKeys(ctx, c, st, lease, log)
	if err != nil {
		return err
	}
	authn := auth.New(auth.Options{Store: st})
	fl := fleet.New(fleet.Options{Store: st, Auth: authn, Keys: ks, StaleAfter: c.AgentStaleAfter})
	var srv *api.Server
	ing := ingest.New(ingest.Options{
		Store: st, BatchRows: c.Ingest.BatchRows, BatchInterval: c.Ingest.BatchInterval,
		MaxPendingRows: c.Ingest.MaxPendingRows, Logger: log, Rekey: ks.Rekey,
		OnFlush: func(rows int, d time.Duration, err error) { srv.ObserveFlush(rows, d, err) },
	})
	rules := jurisdictions(c.Jurisdictions)
	// Collectors sharing the store build the index one at a time: the
	// holder of this lease builds, the others read its builds.
	buildLease := keys.NewExclusive("index_build", keys.LeaseOptions{Store: st, ID: lease.ID(), Logger: log})
	defer buildLease.Release(context.WithoutCancel(ctx))
	idx := index.New(index.Options{Store: st, MaxLag: c.Index.MaxLag, Interval: c.Index.Interval, FullEvery: c.Index.FullEvery, Logger: log, Lease: buildLease,
		HomeJurisdiction: c.HomeJurisdiction,
		HostJurisdiction: func(host string) string { return datamap.HostJurisdiction(host, rules) }})
	// Review cycles: the holder of this lease spawns recurring campaigns
	// and records what scans show of revoked grants.
	cyclesLease := keys.NewExclusive("review_cycles", keys.LeaseOptions{Store: st, ID: lease.ID(), Logger: log})
	defer cyclesLease.Release(context.WithoutCancel(ctx))
	cycles := review.NewCycles(review.CyclesOptions{Store: st, Lease: cyclesLease, Interval: c.Reviews.CheckInterval,
		RemovalDue: c.Reviews.RemovalDue, StaleAfter: c.StaleAfter, ID: lease.ID(), Logger: log})
	// Alerts: only the holder of this lease evaluates and delivers.
	alertLease := keys.NewExclusive("alerts", keys.LeaseOptions{Store: st, ID: lease.ID(), Logger: log})
	defer alertLease.Release(context.WithoutCancel(ctx))
	alertSvc, err := alerts.New(alerts.Options{Store: st, Config: c.Alerts, Lease: alertLease, Logger: log,
		Revocations: overdueRevocations{cycles}, Reminders: reviewReminders{st}, PIAs: piaReviews{pia.New(st, nil)}})
	if err != nil {
		return err
	}
	srv = api.New(api.Options{
		Store: st, Auth: authn, Fleet: fl, Ingester: ing, Index: idx, Alerts: alertSvc,
		MaxBodyBytes: c.Ingest.MaxBodyBytes, MaxDecodedBytes: c.Ingest.MaxDecodedBytes,
		Logger: log, Registry: reg,
		StaleAfter:    c.StaleAfter,
		Cycles:        cycles,
		SubjectBudget: subjects.NewBudget(subjects.BudgetOptions{PerHour: c.Subjects.MaxIdentifiersPerHour}),
		DSR: dsr.New(dsr.Options{Store: st, Keys: func() dsr.Hasher { return fl.Keys() },
			DefaultRegulation: c.DSR.DefaultRegulation, DefaultDays: c.DSR.DefaultDays}),
		Admission: admission.Options{MemoryBudgetBytes: c.Ingest.MemoryBudgetBytes, MaxInflight: c.Ingest.MaxInflight,
			MaxRatio: cmp.Or(c.Ingest.MaxRatio, -1), RatioGraceBytes: c.Ingest.RatioGraceBytes,
			AgentRate: c.Ingest.AgentRate, AgentBurst: c.Ingest.AgentBurst},
	})

	ingCtx, stopIngest := context.WithCancel(context.WithoutCancel(ctx))
	ingDone := make(chan struct{})
	go func() { defer close(ingDone); ing.Run(ingCtx) }()
	idxCtx, stopIndex := context.WithCancel(ctx)
	defer stopIndex()
	go idx.Run(idxCtx)
	go runRetention(idxCtx, st, buildLease, c.Retention, log)
	go cycles.Run(idxCtx)
	if c.Alerts.Enabled() {
		go alertSvc.Run(idxCtx)
	}

	// The web console at / wraps the API: its session cookie + CSRF header
	// become the session's bearer token, checked by the API as any other.
	var handler http.Handler = srv
	if !c.Console.Disabled {
		// Sealed with a key from the shared key file, logouts in the
		// store: any collector of the database serves any browser.
		sessions, sso, err := console.FromConfig(c.Console, c.OIDC, ks.ConsoleKey(), st, nil)
		if err != nil {
			stopIngest()
			return err
		}
		handler = console.Handler(console.Options{API: srv, Tokens: authn, Sessions: sessions, OIDC: sso, Logger: log})
	}

	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		stopIngest()
		return fmt.Errorf("listening on %s: %w (set listen in the config or SIGHTLINE_LISTEN)", c.Listen, err)
	}
	hs := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: c.HTTP.ReadHeaderTimeout, ReadTimeout: c.HTTP.ReadTimeout,
		WriteTimeout: c.HTTP.WriteTimeout, IdleTimeout: c.HTTP.IdleTimeout,
		MaxHeaderBytes: maxHeaderBytes,
		// TLS handshake failures and the like, as structured warnings
		// rather than lines of the log package.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// SIGHUP reloads the certificate (and is never fatal, as it would be
	// by default).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	hupCtx, stopHUP := context.WithCancel(ctx)
	defer stopHUP()
	go reloadOnHUP(hupCtx, hup, certs, log)
	tlsMode := "off"
	switch {
	case c.TLS.ClientCAFile != "":
		tlsMode = "mutual"
	case certs != nil:
		tlsMode = "on"
	}
	log.Info("collector listening", "addr", ln.Addr().String(), "tls", tlsMode, "clickhouse", c.ClickHouse.Addr,
		"clickhouse_tls", c.ClickHouse.TLS, "version", version.Version)
	if tcp, ok := ln.Addr().(*net.TCPAddr); certs == nil && (!ok || !tcp.IP.IsLoopback()) {
		log.Warn("serving plain HTTP on a non-loopback address: tokens and records cross the network unencrypted; add a tls section (cert_file, key_file) to the config", "addr", ln.Addr().String())
	}
	errc := make(chan error, 1)
	if certs != nil {
		hs.TLSConfig = certs.TLSConfig()
	}
	go func() {
		if certs != nil {
			errc <- hs.ServeTLS(ln, "", "")
			return
		}
		errc <- hs.Serve(ln)
	}()
	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("shutting down")
		shCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = hs.Shutdown(shCtx)
		cancel()
	}
	// In-flight requests are done (or cut off); flush what they queued.
	stopIngest()
	<-ingDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// maxHeaderBytes bounds a request's line and headers: a bearer token,
// a console cookie (at most 4 KiB sealed) and a query of filters fit many
// times over. Go's default, 1 MiB, let every connection of an anonymous
// client hold a megabyte, and a reader's audited query string be one.
const maxHeaderBytes = 64 << 10

// reloadOnHUP reloads the listener's certificate on every signal from hup
// until ctx ends. A failed reload keeps the certificate in use.
func reloadOnHUP(ctx context.Context, hup <-chan os.Signal, certs *tlsserve.Server, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		if certs == nil {
			log.Info("SIGHUP: no tls section in the config, nothing to reload")
			continue
		}
		if err := certs.Reload(); err != nil {
			log.Error("TLS certificate reload failed; still serving the previous certificate", "err", err)
			continue
		}
		log.Info("TLS certificate reloaded", "not_after", certs.NotAfter().UTC().Format(time.RFC3339))
	}
}

// openKeys loads the key file (creating it on first start) and finishes
// the move to collector-keyed tokens (keys.Open). serve and migrate call
// it after the schema migrations; the token commands do not, so that
// running them as another user never creates the key file.
func openKeys(ctx context.Context, c config.Config, st *store.Store, lease *keys.Lease, log *slog.Logger) (*keys.Keys, error) {
	ks, err := keys.Open(ctx, keys.Options{Path: c.KeyFile, Store: st, Logger: log, LeaseID: lease.ID()})
	if err != nil {
		return nil, fmt.Errorf("key_file: %w", err)
	}
	return ks, nil
}

// holdLease announces this process as a running collector of the
// database until it exits (keys.HoldLease).
func holdLease(ctx context.Context, st *store.Store, log *slog.Logger) (*keys.Lease, error) {
	return keys.HoldLease(ctx, keys.LeaseOptions{Store: st, Logger: log})
}

func keysRotate(fs *flag.FlagSet) dbRun {
	agentKey := fs.Bool("agent-key", false, "rotate the agents' token key K1 instead of the stored tokens' encryption key")
	return func(ctx context.Context, c config.Config, log *slog.Logger, st *store.Store, stdout io.Writer) error {
		if fs.NArg() > 0 {
			return errors.New("want: keys rotate [--agent-key] [--config FILE]")
		}
		if *agentKey {
			if _, err := keys.RotateAgentKey(ctx, keys.AgentKeyOptions{Path: c.KeyFile, Store: st, Logger: log}); err != nil {
				return fmt.Errorf("key_file: %w", err)
			}
			fmt.Fprintf(stdout, "agents' token key replaced in %s; the old one is kept for subject search.\ncopy %s (mode 0600) to every other collector host, start the collectors, enroll every agent again (it rescans in full), then run `keys retire-agent-keys`.\n", c.KeyFile, c.KeyFile)
			return nil
		}
		res, err := keys.Rotate(ctx, keys.RotateOptions{Path: c.KeyFile, Store: st, Logger: log})
		if err != nil {
			return fmt.Errorf("key_file: %w", err)
		}
		verb := "rotated"
		if res.Resumed {
			verb = "finished the rotation"
		}
		fmt.Fprintf(stdout, "%s: stored tokens moved from key generation %d to %d (%d findings rewritten); the old key is gone from %s.\ncopy %s (mode 0600) to every other collector host of this database before starting them.\n",
			verb, res.From, res.To, res.Findings, c.KeyFile, c.KeyFile)
		return nil
	}
}

func keysRetireAgentKeys(fs *flag.FlagSet) dbRun {
	force := fs.Bool("force", false, "retire even though agents enrolled before the rotation still have findings (they are no longer found by subject search)")
	return func(ctx context.Context, c config.Config, log *slog.Logger, st *store.Store, stdout io.Writer) error {
		if fs.NArg() > 0 {
			return errors.New("want: keys retire-agent-keys [--force] [--config FILE]")
		}
		n, err := keys.RetireAgentKeys(ctx, keys.AgentKeyOptions{Path: c.KeyFile, Store: st, Logger: log, Force: *force})
		if err != nil {
			return fmt.Errorf("key_file: %w", err)
		}
		if n == 0 {
			fmt.Fprintln(stdout, "no previous agent token key to retire")
			return nil
		}
		fmt.Fprintf(stdout, "retired %d previous agent token key(s) from %s; copy it (mode 0600) to every other collector host.\n", n, c.KeyFile)
		return nil
	}
}

func jurisdictions(js []config.Jurisdiction) []datamap.HostRule {
	out := make([]datamap.HostRule, len(js))
	for i, j := range js {
		out[i] = datamap.HostRule{Glob: j.Hosts, Jurisdiction: j.Jurisdiction}
	}
	return out
}

// runRetention drops history past the retention settings once an hour,
// on the collector that holds the build lease (one at a time).
func runRetention(ctx context.Context, st *store.Store, lease *keys.Exclusive, r config.Retention, log *slog.Logger) {
	if r.HistoryAge == 0 && r.AuditAge == 0 {
		return
	}
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if held, err := lease.Hold(ctx); err == nil && held {
			for _, rt := range store.RetentionTables {
				age := r.HistoryAge
				if rt.Kind == "audit" {
					age = r.AuditAge
				}
				if age == 0 {
					continue
				}
				if _, err := st.DropExpired(ctx, rt, time.Now().Add(-age)); err != nil && ctx.Err() == nil {
					log.Warn("retention: dropping old history failed; retrying in an hour", "table", rt.Table, "err", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// overdueRevocations feeds the alerts' overdue_revocation rules from the
// review cycles' tracked removals (ids only, never a value).
type overdueRevocations struct{ c *review.Cycles }

func (o overdueRevocations) OverdueRevocations(ctx context.Context, _ time.Time) ([]alerts.Revocation, error) {
	rs, err := o.c.Revocations(ctx, review.RevocationFilter{States: []string{review.RemovalOverdue}})
	if err != nil {
		return nil, err
	}
	out := make([]alerts.Revocation, 0, len(rs))
	for _, r := range rs {
		out = append(out, alerts.Revocation{ID: r.Item.ItemID, CampaignID: r.Item.CampaignID, Campaign: r.Item.Campaign,
			PrincipalID: r.Item.PrincipalID, ResourceID: r.Item.ResourceID, DueAt: r.Removal.DueAt})
	}
	return out, nil
}

// reviewReminders feeds the alerts' review_reminder rules from the
// reviews' open items, per reviewer and campaign (counts and ids, never a
// principal or resource).
type reviewReminders struct{ st *store.Store }

func (r reviewReminders) ReviewReminders(ctx context.Context, olderThan time.Time) ([]alerts.ReviewReminder, error) {
	rows, err := r.st.ReviewReminders(ctx, olderThan)
	if err != nil {
		return nil, err
	}
	out := make([]alerts.ReviewReminder, len(rows))
	for i, v := range rows {
		out[i] = alerts.ReviewReminder{Reviewer: v.Reviewer, CampaignID: v.CampaignID, Campaign: v.Campaign,
			Open: v.Open, Started: v.CreatedAt, DueAt: v.Due}
	}
	return out, nil
}

// piaReviews feeds the alerts' pia_review rules: the PIAs whose facts the
// current read index no longer bears out.
type piaReviews struct{ p *pia.Service }

func (r piaReviews) PIAsNeedingReview(ctx context.Context) ([]alerts.PIAReview, error) {
	as, err := r.p.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []alerts.PIAReview
	for _, a := range as {
		if a.NeedsReview {
			out = append(out, alerts.PIAReview{ID: a.ID, Systems: a.Systems, FactsAsOf: a.FactsAsOf, Reasons: a.Reasons})
		}
	}
	return out, nil
}
