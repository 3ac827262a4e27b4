package server

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/organizer-dev/organizer/engine"
)

// metrics are the service's Prometheus series, on a registry of its own.
type metrics struct {
	reg           *prometheus.Registry
	webhooks      *prometheus.CounterVec
	intake        *prometheus.HistogramVec
	batch         prometheus.Histogram
	matches       *prometheus.CounterVec
	shadow        *prometheus.CounterVec
	decisions     prometheus.Counter
	actions       *prometheus.CounterVec
	outcomes      *prometheus.CounterVec
	deadLetters   *prometheus.CounterVec
	reloads       *prometheus.CounterVec
	rulesetLoaded prometheus.Gauge
	breakerOpen   *prometheus.GaugeVec
	startup       prometheus.Gauge
}

func newMetrics(s *Service) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "organizer_webhooks_total", Help: "Webhooks received, by provider and HTTP status answered.",
		}, []string{"provider", "status"}),
		intake: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "organizer_intake_seconds", Help: "Time from a webhook's arrival to its answer (verify, decode, durable commit).",
			Buckets: []float64{.001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5},
		}, []string{"provider"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "organizer_intake_batch_size", Help: "Webhooks committed per intake transaction (group commit).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}),
		matches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "organizer_rule_matches_total", Help: "Rule matches, by rule.",
		}, []string{"rule"}),
		shadow: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "organizer_shadow_matches_total", Help: "Matches of rules in shadow mode (mode: shadow), by rule: what they would have done is in the decision log.",
		}, []string{"rule"}),
		decisions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "organizer_decisions_total", Help: "Events evaluated against the rules.",
		}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "organizer_actions_total", Help: "Action results, by provider, kind and outcome.",
		}, []string{"provider", "kind", "outcome"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "organizer_event_attempts_total", Help: "Processing attempts, by the status they left the event in.",
		}, []string{"status"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "organizer_dead_letters_total", Help: "Events dead-lettered, by provider.",
		}, []string{"provider"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "organizer_ruleset_reloads_total", Help: "Rule reload attempts, by result (ok, error).",
		}, []string{"result"}),
		rulesetLoaded: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "organizer_ruleset_loaded_timestamp_seconds", Help: "When the ruleset in force was loaded.",
		}),
		breakerOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "organizer_provider_breaker_open", Help: "1 while a provider's circuit breaker pauses its events (the provider is failing), else 0.",
		}, []string{"provider"}),
		startup: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "organizer_startup_seconds", Help: "How long the last start took, from opening the store to serving.",
		}),
	}
	for name := range s.breakers {
		m.breakerOpen.WithLabelValues(name).Set(0)
	}
	// count reads the events per status once, for the statuses given.
	count := func(sts ...Status) func() float64 {
		return func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := s.store.countByStatus(ctx)
			if err != nil {
				return -1
			}
			var sum int
			for _, st := range sts {
				sum += n[st]
			}
			return float64(sum)
		}
	}
	m.reg.MustRegister(m.webhooks, m.intake, m.batch, m.matches, m.shadow, m.decisions, m.actions, m.outcomes,
		m.deadLetters, m.reloads, m.rulesetLoaded, m.breakerOpen, m.startup,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "organizer_queue_depth", Help: "Events waiting to be processed (queued or retrying)."},
			count(StatusQueued, StatusRetrying)),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "organizer_dead_letters_current", Help: "Events in the dead letters now (organizer_dead_letters_total counts those ever dead-lettered)."}, count(StatusDead)),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

func (m *metrics) observeWebhook(provider string, status int, took time.Duration) {
	m.webhooks.WithLabelValues(provider, strconv.Itoa(status)).Inc()
	if status < 300 {
		m.intake.WithLabelValues(provider).Observe(took.Seconds())
	}
}

func (m *metrics) observeDecision(d engine.Decision) {
	m.decisions.Inc()
	for _, name := range d.Matched {
		m.matches.WithLabelValues(name).Inc()
	}
	for _, e := range d.Trace {
		if e.Verdict == engine.Shadow {
			m.shadow.WithLabelValues(e.Rule).Inc()
		}
	}
}

func (m *metrics) observeAction(provider string, r ActionResult) {
	m.actions.WithLabelValues(provider, r.Kind, r.Outcome).Inc()
}

func (m *metrics) observeOutcome(e *Event) {
	m.outcomes.WithLabelValues(string(e.Status)).Inc()
	if e.Status == StatusDead {
		m.deadLetters.WithLabelValues(e.Provider).Inc()
	}
}

func (m *metrics) observeReload(ok, changed bool) {
	if !ok {
		m.reloads.WithLabelValues("error").Inc()
		return
	}
	if changed {
		m.reloads.WithLabelValues("ok").Inc()
		m.rulesetLoaded.SetToCurrentTime()
	}
}
