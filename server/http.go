package server

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/organizer-dev/organizer/server/internal/loopback"
)

func init() { gin.SetMode(gin.ReleaseMode) }

// routes builds the HTTP API: webhooks (authenticated by signature only),
// probes and metrics, the admin API under /v1 (bearer token), and the web
// console's pages (console_backend.go).
func (s *Service) routes() (http.Handler, error) {
	r := gin.New()
	r.HandleMethodNotAllowed = true
	_ = r.SetTrustedProxies(nil) // the peer address is the client: no forwarded headers are believed
	r.Use(s.recovery, s.accessLog)
	r.NoRoute(func(c *gin.Context) { apiError(c, codeNotFound, "no such endpoint") })
	r.NoMethod(func(c *gin.Context) {
		apiError(c, codeMethodNotAllowed, "this endpoint does not take "+c.Request.Method)
	})

	r.POST("/webhooks/:provider", s.webhook)
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})))

	v1 := r.Group("/v1", s.admin)
	v1.GET("/events", s.listEvents)
	v1.GET("/events/:id", s.getEvent)
	v1.POST("/events/:id/replay", s.replayEvent)
	v1.POST("/events/:id/revert", s.revertEvent)
	v1.POST("/events/:id/approve", s.approveEvent)
	v1.POST("/events/:id/reject", s.rejectEvent)
	v1.POST("/sweeps/:run_id/revert", s.revertRun)
	v1.GET("/dead-letters", s.listDeadLetters)
	v1.POST("/dead-letters/replay", s.replayDeadLetters)
	v1.GET("/rules", s.getRules)
	v1.POST("/rules/validate", s.validateRules)
	v1.POST("/rules/reload", s.reloadRules)
	v1.POST("/dry-run", s.dryRun)
	v1.POST("/impact", s.impact)
	v1.GET("/schedules", s.listSchedules)
	v1.POST("/schedules/:name/run", s.runSchedule)
	if err := s.mountConsole(r); err != nil {
		return nil, fmt.Errorf("preparing the web console: %w", err)
	}
	return r, nil
}

// admin guards /v1. A browser must not be made to act on it: a cross-site
// request with an unsafe method is refused (Sec-Fetch-Site, or an Origin
// whose host is not the Host), token or not. With ORGANIZER_ADMIN_TOKEN set,
// a request needs it as a bearer token; without one, only loopback peers
// that name a loopback Host are served, so a page whose name was rebound to
// 127.0.0.1 (DNS rebinding) cannot read or change anything.
func (s *Service) admin(c *gin.Context) {
	if err := crossOrigin.Check(c.Request); err != nil {
		apiError(c, codeForbidden,
			"the admin API refuses cross-origin requests from browsers ("+c.Request.Method+" from another site)")
		return
	}
	if s.cfg.AdminToken == "" {
		switch {
		case !isLoopback(c.Request.RemoteAddr):
			apiError(c, codeForbidden,
				"the admin API is served only on loopback while ORGANIZER_ADMIN_TOKEN is not set")
		case !isLoopbackHost(c.Request.Host):
			apiError(c, codeForbidden,
				"the admin API without ORGANIZER_ADMIN_TOKEN answers only requests addressed to localhost, "+
					"127.0.0.1 or [::1], not to "+strconv.Quote(c.Request.Host))
		}
		return
	}
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.AdminToken)) != 1 {
		c.Header("WWW-Authenticate", `Bearer realm="organizer"`)
		apiError(c, codeUnauthorized, "the admin API needs Authorization: Bearer <ORGANIZER_ADMIN_TOKEN>")
	}
}

// crossOrigin is the standard library's CSRF check: GET, HEAD and OPTIONS
// pass; other methods pass when Sec-Fetch-Site is same-origin or none, or,
// without it, when Origin is absent (not a browser) or names the Host.
var crossOrigin = http.NewCrossOriginProtection()

// isLoopback and isLoopbackHost are the loopback rule the console
// applies too.
var isLoopback, isLoopbackHost = loopback.Peer, loopback.Host

// recovery turns a handler's panic into a generic 500: no stack trace or
// secret reaches the client; the log has the panic.
func (s *Service) recovery(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("handler panic", "path", c.FullPath(), "panic", v)
			apiError(c, codeInternal, "internal error")
		}
	}()
	c.Next()
}

// accessLog logs each request without bodies, signatures or tokens:
// successful webhooks at debug (they are many), everything else at info.
func (s *Service) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	status := c.Writer.Status()
	level := slog.LevelInfo
	if status < 300 && strings.HasPrefix(c.Request.URL.Path, "/webhooks/") || c.Request.URL.Path == "/metrics" {
		level = slog.LevelDebug
	}
	if status >= 500 {
		level = slog.LevelWarn
	}
	if !s.log.Enabled(c.Request.Context(), level) {
		return
	}
	s.log.Log(c.Request.Context(), level, "http", "method", c.Request.Method, "path", c.Request.URL.Path,
		"status", status, "duration_ms", float64(time.Since(start).Microseconds())/1000, "peer", c.ClientIP())
}

func (s *Service) healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

// readyz is ready when the store answers and takes writes, and a ruleset
// is loaded. Whether the store takes writes is the outcome of the last
// commit, or of a probe write when that failed or is old (health.go).
func (s *Service) readyz(c *gin.Context) {
	var problems []string
	if err := s.backend.ping(c.Request.Context()); err != nil {
		problems = append(problems, "store unreachable: "+err.Error())
	} else if err := s.store.writes.writable(c.Request.Context()); err != nil {
		problems = append(problems, "store refuses writes: "+err.Error())
	}
	if s.rules.Current() == nil {
		problems = append(problems, "no valid ruleset loaded (see GET /v1/rules)")
	}
	if len(problems) > 0 {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "problems": problems})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "store": s.backend.kind(), "ruleset": s.rules.Current().Digest()})
}
