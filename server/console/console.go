// Package console is the web console that organizer serve shows at /:
// server-rendered pages over the service's decision log, a playground
// that decides an event with pasted rules, and forms for the few actions
// a content manager takes (replay, run a schedule). Templates, styles and
// the little JavaScript it has are embedded; every page works without
// JavaScript.
//
// The console reaches the service only through Backend, which the server
// package implements; the server mounts Handler's Routes.
package console

import (
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure the console.
type Options struct {
	// AdminToken, when set, is asked for once at /login; without it only
	// loopback peers addressing a loopback host are served.
	AdminToken string
	Log        *slog.Logger
}

// Handler serves the console.
type Handler struct {
	b     Backend
	opts  Options
	pages *pages
	mux   *http.ServeMux
	auth  auth
}

// Route is one path the console answers, in net/http pattern syntax
// ("GET /events/{id}").
type Route struct {
	Method string
	Path   string
}

// New returns the console over b.
func New(b Backend, opts Options) (*Handler, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	p, err := parsePages()
	if err != nil {
		return nil, err
	}
	p.log = opts.Log
	h := &Handler{b: b, opts: opts, pages: p, mux: http.NewServeMux(), auth: newAuth(opts.AdminToken)}
	for _, r := range h.routes() {
		h.mux.Handle(r.Method+" "+r.Path, r.h)
	}
	return h, nil
}

type route struct {
	Route
	h http.Handler
}

func (h *Handler) routes() []route {
	static, _ := fs.Sub(staticFS, "static")
	fn := func(m, p string, f http.HandlerFunc) route { return route{Route{m, p}, f} }
	return []route{
		{Route{http.MethodGet, "/static/{file}"}, http.StripPrefix("/static/", http.FileServerFS(static))},
		fn(http.MethodGet, "/login", h.loginPage),
		fn(http.MethodPost, "/login", h.login),
		fn(http.MethodPost, "/logout", h.logout),
		fn(http.MethodGet, "/{$}", h.home),
		fn(http.MethodGet, "/playground", h.playgroundPage),
		fn(http.MethodPost, "/playground", h.playground),
		fn(http.MethodGet, "/events", h.events),
		fn(http.MethodGet, "/events/{id...}", h.event),
		fn(http.MethodPost, "/events/{action...}", h.eventAction),
		fn(http.MethodGet, "/dead-letters", h.deadLetters),
		fn(http.MethodPost, "/dead-letters/replay", h.replayDead),
		fn(http.MethodGet, "/rules", h.rulesPage),
		fn(http.MethodGet, "/schedules", h.schedules),
		fn(http.MethodPost, "/schedules/{name}/run", h.runSchedule),
		fn(http.MethodGet, "/impact", h.impactPage),
		fn(http.MethodPost, "/impact", h.impact),
	}
}

// Routes lists the paths to send to the handler.
func (h *Handler) Routes() []Route {
	rs := h.routes()
	out := make([]Route, len(rs))
	for i, r := range rs {
		out[i] = r.Route
	}
	return out
}

// ServeHTTP sets the security headers, refuses cross-origin unsafe
// requests, checks the session, and serves the page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header())
	if err := crossOrigin.Check(r); err != nil {
		h.pages.error(w, r, http.StatusForbidden, "This form was sent from another site; the console refuses it.")
		return
	}
	if !h.allowed(w, r) {
		return
	}
	h.mux.ServeHTTP(w, r)
}

// crossOrigin refuses unsafe methods sent from another origin.
var crossOrigin = http.NewCrossOriginProtection()

// contentSecurityPolicy allows the console's own files and nothing else:
// no inline script or style, no framing, forms to this origin only.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}
