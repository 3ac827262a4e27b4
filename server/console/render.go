package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// pages holds each page's template: the layout with the page's content.
type pages struct {
	byName map[string]*template.Template
	log    *slog.Logger
}

// view is what the layout renders around a page's content.
type view struct {
	Title    string
	Nav      string // the navigation entry of the page
	SignedIn bool   // a session exists: show "Sign out"
	Page     any
}

var pageTitles = map[string]string{
	"home": "Home", "login": "Sign in", "playground": "Playground", "events": "Events",
	"event": "Event", "dead-letters": "Dead letters", "rules": "Rules", "schedules": "Schedules", "impact": "Impact preview", "error": "Problem",
}

func parsePages() (*pages, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("listing the console's templates: %w", err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, file := range names {
		name := strings.TrimSuffix(path.Base(file), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html", file)
		if err != nil {
			return nil, fmt.Errorf("parsing the console's template %s: %w", file, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// render writes a page with status code. The page is rendered to memory
// first, so a failing template answers 500, not half a page.
func (p *pages) render(w http.ResponseWriter, r *http.Request, code int, name string, data any) {
	p.execute(w, code, name, "layout", view{Title: pageTitles[name], Nav: name, SignedIn: signedIn(r), Page: data})
}

// fragment writes one named template of a page alone, for the script that
// updates part of a page in place.
func (p *pages) fragment(w http.ResponseWriter, code int, page, name string, data any) {
	p.execute(w, code, page, name, data)
}

func (p *pages) execute(w http.ResponseWriter, code int, page, name string, data any) {
	var buf bytes.Buffer
	t := p.byName[page]
	if t == nil {
		http.Error(w, "no page "+page, http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		if p.log != nil {
			p.log.Error("console page failed to render", "page", page, "error", err)
		}
		http.Error(w, "the page could not be rendered; see the service's log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// error writes the problem page.
func (p *pages) error(w http.ResponseWriter, r *http.Request, code int, message string) {
	p.render(w, r, code, "error", errorView{Code: code, Status: http.StatusText(code), Message: message})
}

type errorView struct {
	Code    int
	Status  string
	Message string
}

func signedIn(r *http.Request) bool {
	_, err := r.Cookie(sessionCookie)
	return err == nil
}

var funcs = template.FuncMap{
	"when":     formatTime,
	"eventURL": eventURL,
	"pretty":   prettyJSON,
	"join":     strings.Join,
	"fileOf":   fileOf,
	"json":     compactJSON,
}

func formatTime(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return "—"
		}
		return v.UTC().Format("2006-01-02 15:04:05 UTC")
	case *time.Time:
		if v == nil {
			return "—"
		}
		return formatTime(*v)
	}
	return ""
}

// eventURL is the path of an event's page. An event id may hold slashes
// (a sweep's events end with the content id, such as /film/176): each
// segment is escaped, the slashes kept, and the route takes the rest of
// the path.
func eventURL(id string) string {
	segs := strings.Split(id, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "/events/" + strings.Join(segs, "/")
}

// prettyJSON indents a JSON document for reading; what is not JSON is
// shown as it is. The template escapes it either way.
func prettyJSON(raw []byte) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return string(raw)
	}
	return buf.String()
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// fileOf is the file of a "file:line:col" position.
func fileOf(pos string) string {
	for range 2 {
		if i := strings.LastIndexByte(pos, ':'); i > 0 {
			pos = pos[:i]
		}
	}
	return pos
}
