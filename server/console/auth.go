package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"

	"github.com/organizer-dev/organizer/server/internal/loopback"
)

// sessionCookie holds a signed-in browser's session.
const sessionCookie = "organizer_console"

// auth is the console's sign-in. With an admin token, a browser signs in
// once with it and keeps, in an HttpOnly SameSite=Strict cookie, an HMAC
// of the token rather than the token: the cookie opens the console and
// nothing else, and changing the token ends every session. Without a token
// the console answers loopback only, as the admin API does.
type auth struct {
	session string // the cookie's value; "" when no token is set
}

func newAuth(token string) auth {
	if token == "" {
		return auth{}
	}
	return auth{session: sessionFor(token)}
}

func sessionFor(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("organizer console session v1"))
	return hex.EncodeToString(m.Sum(nil))
}

func (a auth) valid(value string) bool {
	return subtle.ConstantTimeCompare([]byte(value), []byte(a.session)) == 1
}

// public paths are served before sign-in: the sign-in page and its styles.
func public(r *http.Request) bool {
	return r.URL.Path == "/login" || strings.HasPrefix(r.URL.Path, "/static/")
}

// allowed reports whether r may be served, answering it itself when not:
// a page asked for without a session goes to the sign-in page; an action
// is refused with 401.
func (h *Handler) allowed(w http.ResponseWriter, r *http.Request) bool {
	if h.auth.session == "" {
		switch {
		case !loopback.Peer(r.RemoteAddr):
			h.pages.error(w, r, http.StatusForbidden,
				"Without ORGANIZER_ADMIN_TOKEN the console is served only to this machine (loopback).")
			return false
		case !loopback.Host(r.Host):
			h.pages.error(w, r, http.StatusForbidden,
				"Without ORGANIZER_ADMIN_TOKEN the console answers only when addressed as localhost, 127.0.0.1 or [::1].")
			return false
		}
		return true
	}
	if public(r) {
		return true
	}
	if c, err := r.Cookie(sessionCookie); err == nil && h.auth.valid(c.Value) {
		return true
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return false
	}
	h.pages.error(w, r, http.StatusUnauthorized, "Sign in first: your session has ended or was never started.")
	return false
}

// loginPage asks for the admin token.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	if h.auth.session == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	h.pages.render(w, r, http.StatusOK, "login", loginView{Next: localPath(r.URL.Query().Get("next"))})
}

type loginView struct {
	Next  string
	Wrong bool
}

// login checks the token and starts a session.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if h.auth.session == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	next := localPath(r.PostFormValue("next"))
	if !h.auth.valid(sessionFor(r.PostFormValue("token"))) {
		h.opts.Log.Warn("console sign-in with a wrong token", "peer", r.RemoteAddr)
		h.pages.render(w, r, http.StatusUnauthorized, "login", loginView{Next: next, Wrong: true})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: h.auth.session, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the browser's session.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// localPath keeps a redirect on this site: a path of its own, or "/".
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	return p
}
