package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/adapters/notify"
	"github.com/organizer-dev/organizer/server/rulewatch"
)

// Service is the running organizer: the HTTP intake and admin API, the
// store, the queue and its workers, and the watched rules.
type Service struct {
	cfg      Config
	registry *adapters.Registry
	clients  map[string]adapters.Client
	breakers map[string]*breaker // per provider with a client: pauses its events while it is down
	writes   *recentWrites       // what this replica changed lately, per item: echoes and loops
	notifier sender              // delivers notify actions
	log      *slog.Logger

	backend backend
	store   store // its writer takes the webhooks too
	rules   *rulewatch.Source
	metrics *metrics
	handler http.Handler

	actions atomic.Int64  // action results recorded
	slots   chan struct{} // attempts running inside commits' jobs, at most cfg.Workers

	startup *startup // the phases of the start, until "ready"

	stopWatch context.CancelFunc
	stopOnce  sync.Once
	stopErr   error
}

// New opens the store (creating or migrating its tables), loads the rules
// and prepares the HTTP handler. clients holds the API client of each
// provider that has API settings; a provider without one is record-only.
// Call Run to serve, or Start and Handler to embed the service.
func New(ctx context.Context, cfg Config, registry *adapters.Registry, clients map[string]adapters.Client, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	s := &Service{cfg: cfg, registry: registry, clients: clients, log: log, breakers: newBreakers(cfg.Breaker, clients), startup: newStartup(),
		writes: newRecentWrites(max(cfg.EchoWindow.D(), cfg.LoopWindow.D()))}
	s.metrics = newMetrics(s)
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &eventsWorker{s: s}); err != nil {
		return nil, fmt.Errorf("registering the pipeline's worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &notifyWorker{s: s}); err != nil {
		return nil, fmt.Errorf("registering the notification worker: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &sweepWorker{s: s}); err != nil {
		return nil, fmt.Errorf("registering the schedules' worker: %w", err)
	}
	s.slots = make(chan struct{}, cfg.Workers)
	hosts, err := cfg.notifyAllowHosts()
	if err != nil {
		return nil, err
	}
	s.notifier = notify.NewSender(notify.Policy{AllowHosts: hosts})
	qs := queueSettings{workers: cfg.Workers, maxAttempts: cfg.MaxAttempts, jobTimeout: cfg.JobTimeout.D(),
		rescueAfter: cfg.RescueAfter.D(), queueRetention: cfg.QueueRetention.D(), logger: log.With("component", "river")}
	if cfg.Store != "" {
		s.backend, err = openPostgres(ctx, cfg.Store, qs, workers, s.startup)
	} else {
		s.backend, err = openSQLite(ctx, cfg.SQLitePath(), qs, workers, s.startup)
	}
	if err != nil {
		return nil, err
	}
	s.store = store{b: s.backend, writes: newWriter(s.backend, cfg.CommitWindow.D(), cfg.MaxBatch, log,
		func(n int) { s.metrics.batch.Observe(float64(n)) })}
	s.rules = rulewatch.New(cfg.Rules, registry.CompileOptions()...)
	s.rules.SetLogger(log.With("component", "rules"))
	s.rules.OnLoad(func(ok, changed bool) {
		s.metrics.observeReload(ok, changed)
		s.recordRuleset(ok, changed)
	})
	if _, err := s.rules.Load(); err != nil {
		log.Error("the rules do not load; webhooks are stored and wait until a valid ruleset is in place", "rules", cfg.Rules, "error", err)
	}
	s.startup.done("load_rules")
	if s.handler, err = s.routes(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Handler is the service's HTTP handler.
func (s *Service) Handler() http.Handler { return s.handler }

// Run serves on the configured address until ctx ends, then shuts down
// gracefully.
func (s *Service) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		s.Close()
		return fmt.Errorf("listening on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends. Shutdown stops taking requests,
// finishes those in flight (each answered after its commit), lets the
// workers finish their current attempts, and closes the store, within the
// shutdown timeout.
func (s *Service) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout.D(),
		ReadTimeout:       s.cfg.ReadTimeout.D(),
		WriteTimeout:      s.cfg.WriteTimeout.D(),
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if err := s.Start(ctx); err != nil {
		_ = ln.Close()
		s.Close()
		return err
	}
	s.logStartup(ln.Addr().String())
	s.logReady()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
	}
	s.log.Info("shutting down: finishing in-flight requests and attempts", "timeout", s.cfg.ShutdownTimeout.D().String())
	stopCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout.D())
	defer cancel()
	err := errors.Join(srv.Shutdown(stopCtx), s.Stop(stopCtx))
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(fmt.Errorf("serving: %w", serveErr), err)
	}
	if err == nil {
		s.log.Info("stopped")
	}
	return err
}

// Start starts the intake, the workers and the rules watcher, without
// serving HTTP: for Serve, and for tests that mount Handler themselves.
func (s *Service) Start(ctx context.Context) error {
	// River's start context is its lifetime; Stop ends it gently instead.
	if err := s.backend.start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("starting the workers: %w", err)
	}
	s.startup.done("river_start")
	watchCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stopWatch = cancel
	go s.runScheduler(watchCtx)
	go s.runRetention(watchCtx, min(time.Minute, max(time.Second, s.cfg.Retention.D()/4)))
	go func() {
		if err := s.rules.Watch(watchCtx); err != nil {
			s.log.Error("cannot watch the rules; use POST /v1/rules/reload after an edit", "rules", s.cfg.Rules, "error", err)
		}
	}()
	return nil
}

// Stop ends what Start started: the workers finish their attempts (until
// ctx ends), the writer commits what it holds, the store closes. Call it
// after the HTTP server has stopped taking requests.
func (s *Service) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		if s.stopWatch != nil {
			s.stopWatch()
		}
		if err := s.backend.stop(ctx); err != nil {
			s.stopErr = fmt.Errorf("stopping the workers: %w", err)
		}
		s.store.writes.close()
		s.backend.close()
	})
	return s.stopErr
}

// Close releases a service that was never started.
func (s *Service) Close() {
	s.stopOnce.Do(func() {
		s.store.writes.close()
		s.backend.close()
	})
}

func (s *Service) logStartup(addr string) {
	st := s.rules.Status()
	s.log.Info("organizer is serving", "addr", addr, "store", s.backend.kind(), "rules", s.cfg.Rules,
		"ruleset", st.Digest, "rule_count", st.Rules, "workers", s.cfg.Workers)
	if s.cfg.AdminToken == "" {
		s.log.Warn("ORGANIZER_ADMIN_TOKEN is not set: the admin API (/v1/*) answers only requests from loopback")
	}
	for _, name := range s.registry.Names() {
		p := s.cfg.Providers[name]
		switch {
		case len(p.Secrets()) == 0:
			s.log.Warn("no webhook secret: every webhook of this provider is refused", "provider", name,
				"set", "ORGANIZER_"+strings.ToUpper(name)+"_WEBHOOK_SECRET")
		case s.clients[name] == nil:
			s.log.Info("no API settings: decisions are recorded, not applied (record-only)", "provider", name)
		default:
			s.log.Info("decisions are applied through the provider's API", "provider", name, "api", RedactURL(p.APIURL))
		}
	}
}

// logReady logs how long the start took, by phase, and sets the
// organizer_startup_seconds gauge.
func (s *Service) logReady() {
	s.metrics.startup.Set(s.startup.total().Seconds())
	s.log.Info("ready", s.startup.attrs()...)
}

// Stats are counts of what the service has done, for benchmarks and
// operators' scripts.
type Stats struct {
	Events  map[Status]int // stored events by status
	Actions int            // action results recorded since the service started
}

// Stats counts the stored events by status.
func (s *Service) Stats(ctx context.Context) (Stats, error) {
	n, err := s.store.countByStatus(ctx)
	return Stats{Events: n, Actions: int(s.actions.Load())}, err
}
