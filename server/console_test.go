package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// consolePage is a console answer as a browser would get it, redirects not followed.
type consolePage struct {
	status int
	header http.Header
	body   string
}

// consoleDo sends a console request, with the session cookie when given.
func (h *harness) consoleDo(method, path string, form url.Values, cookie *http.Cookie, header http.Header) consolePage {
	h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, h.url+path, body)
	require.NoError(h.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return consolePage{resp.StatusCode, resp.Header, string(raw)}
}

const consoleToken = "console-t0ken"

func withToken(c *Config) { c.AdminToken = consoleToken }

// signIn signs in with the admin token and returns the session cookie.
func (h *harness) signIn() *http.Cookie {
	h.t.Helper()
	p := h.consoleDo(http.MethodPost, "/login", url.Values{"token": {consoleToken}, "next": {"/events"}}, nil, nil)
	require.Equal(h.t, http.StatusSeeOther, p.status, p.body)
	cookies := (&http.Response{Header: p.header}).Cookies()
	require.Len(h.t, cookies, 1)
	return cookies[0]
}

// With an admin token the console asks for it once, keeps a session cookie
// that is not the token, and lets the browser sign out.
func TestConsoleSignIn(t *testing.T) {
	h := startHarness(t, recordOnly, withToken)

	p := h.consoleDo(http.MethodGet, "/events?status=dead", nil, nil, nil)
	require.Equal(t, http.StatusSeeOther, p.status)
	require.Equal(t, "/login?next="+url.QueryEscape("/events?status=dead"), p.header.Get("Location"))
	p = h.consoleDo(http.MethodPost, "/dead-letters/replay", url.Values{}, nil, nil)
	require.Equal(t, http.StatusUnauthorized, p.status, "an action without a session is refused")

	p = h.consoleDo(http.MethodGet, "/login", nil, nil, nil)
	require.Equal(t, http.StatusOK, p.status)
	require.Contains(t, p.body, `name="token"`)
	p = h.consoleDo(http.MethodPost, "/login", url.Values{"token": {"wrong"}}, nil, nil)
	require.Equal(t, http.StatusUnauthorized, p.status)
	require.Contains(t, p.body, "That token is not right")
	require.Empty(t, p.header.Values("Set-Cookie"))

	p = h.consoleDo(http.MethodPost, "/login", url.Values{"token": {consoleToken}, "next": {"https://evil.example/"}}, nil, nil)
	require.Equal(t, http.StatusSeeOther, p.status)
	require.Equal(t, "/", p.header.Get("Location"), "sign-in sends back to this site only")
	set := p.header.Get("Set-Cookie")
	require.Contains(t, set, "HttpOnly")
	require.Contains(t, set, "SameSite=Strict")
	require.NotContains(t, set, "Secure", "plain HTTP on loopback: a Secure cookie would never come back")
	require.NotContains(t, set, consoleToken, "the cookie does not hold the token")

	session := h.signIn()
	p = h.consoleDo(http.MethodGet, "/events", nil, session, nil)
	require.Equal(t, http.StatusOK, p.status)
	require.Contains(t, p.body, "Sign out")
	forged := &http.Cookie{Name: session.Name, Value: strings.Repeat("0", len(session.Value))}
	require.Equal(t, http.StatusSeeOther, h.consoleDo(http.MethodGet, "/events", nil, forged, nil).status)

	// The session opens the console, not the API.
	status, _ := h.do(http.MethodGet, "/v1/events", nil, http.Header{"Cookie": {session.String()}})
	require.Equal(t, http.StatusUnauthorized, status)

	p = h.consoleDo(http.MethodPost, "/logout", url.Values{}, session, nil)
	require.Equal(t, http.StatusSeeOther, p.status)
	require.Regexp(t, `organizer_console=; .*Max-Age=0`, p.header.Get("Set-Cookie"))
}

// Every console answer carries a strict Content-Security-Policy and
// nosniff: the static files and the sign-in page too.
func TestConsoleSecurityHeaders(t *testing.T) {
	h := startHarness(t, recordOnly, withToken)
	session := h.signIn()
	for _, path := range []string{"/", "/login", "/playground", "/events", "/static/console.js", "/static/console.css", "/rules"} {
		p := h.consoleDo(http.MethodGet, path, nil, session, nil)
		require.Equal(t, http.StatusOK, p.status, path)
		csp := p.header.Get("Content-Security-Policy")
		require.Contains(t, csp, "default-src 'self'", path)
		require.Contains(t, csp, "script-src 'self'", path)
		require.Contains(t, csp, "frame-ancestors 'none'", path)
		require.NotContains(t, csp, "unsafe-inline", path)
		require.Equal(t, "nosniff", p.header.Get("X-Content-Type-Options"), path)
		if !strings.HasPrefix(path, "/static/") {
			require.NotRegexp(t, `<script>|<script [^>]*>[^<]|\son[a-z]+=|style=`, p.body, "%s has inline script or style", path)
		}
	}
}

// A form sent from another site is refused: the session cookie is
// SameSite=Strict, and the console checks where unsafe requests come from.
func TestConsoleRefusesCrossOriginPost(t *testing.T) {
	h := startHarness(t)
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_1", Title: "Marketing reel"})
	require.NoError(t, h.sim.Fail(vaultstreamtest.Fault{Match: "PATCH /content/", Status: http.StatusForbidden, Times: vaultstreamtest.Forever}))
	_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_1", "title": "Marketing reel"}))
	id := resp["event_id"].(string)
	h.waitFor(id, 5*time.Second, StatusDead)

	for _, hdr := range []http.Header{{"Sec-Fetch-Site": {"cross-site"}}, {"Origin": {"http://evil.example"}}} {
		p := h.consoleDo(http.MethodPost, "/events/"+id+"/replay", url.Values{}, nil, hdr)
		require.Equal(t, http.StatusForbidden, p.status, "%v", hdr)
		p = h.consoleDo(http.MethodPost, "/dead-letters/replay", url.Values{"provider": {"vaultstream"}}, nil, hdr)
		require.Equal(t, http.StatusForbidden, p.status, "%v", hdr)
	}
	require.Equal(t, 0, h.event(id).Replays, "nothing was replayed")

	p := h.consoleDo(http.MethodPost, "/events/"+id+"/replay", url.Values{}, nil, http.Header{"Sec-Fetch-Site": {"same-origin"}})
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Equal(t, 1, h.event(id).Replays)
}

// Without a token the console answers as the admin API does: loopback
// peers naming a loopback host.
func TestConsoleLoopbackOnlyWithoutToken(t *testing.T) {
	h := startHarness(t, recordOnly)
	p := h.consoleDo(http.MethodGet, "/", nil, nil, nil)
	require.Equal(t, http.StatusOK, p.status)
	require.NotContains(t, p.body, "Sign out")
	status, _ := h.doHost(http.MethodGet, "/events", "evil.example", nil)
	require.Equal(t, http.StatusForbidden, status)
	status, _ = h.doHost(http.MethodGet, "/", "rebound.evil.example:80", nil)
	require.Equal(t, http.StatusForbidden, status)
}

// hostile is a title and content id that would run script if a page
// printed them as they are.
const (
	hostileTitle = `<script>document.title='pwned'</script><img src=x onerror="document.title='pwned'">`
	hostileID    = `c"><img src=x onerror=alert(1)>`
)

// sendRaw posts a webhook body as it is (the JSON encoder of the tests'
// helpers would escape < and > itself).
func (h *harness) sendRaw(body string) string {
	h.t.Helper()
	status, resp := h.send([]byte(body))
	require.Equal(h.t, http.StatusAccepted, status, "%v", resp)
	return resp["event_id"].(string)
}

func hostileWebhook(contentID, title string) string {
	return `{"type": "content.uploaded", "data": {"content_id": ` + jsonString(contentID) + `, "title": ` + jsonString(title) + `}}`
}

// jsonString quotes s for JSON without escaping < > &.
func jsonString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Titles, content ids and payloads come from outside: every page escapes
// them.
func TestConsoleEscapesHostileText(t *testing.T) {
	h := startHarness(t, recordOnly)
	id := h.sendRaw(hostileWebhook(hostileID, hostileTitle+" training"))
	h.waitFor(id, 5*time.Second, StatusRecorded)

	for _, path := range []string{"/events/" + url.PathEscape(id), "/events", "/events?content_id=" + url.QueryEscape(hostileID)} {
		p := h.consoleDo(http.MethodGet, path, nil, nil, nil)
		require.Equal(t, http.StatusOK, p.status, path)
		require.NotContains(t, p.body, "<script>document", path)
		require.NotContains(t, p.body, "<img src=x", path)
		require.Contains(t, p.body, "&lt;img src=x onerror=alert(1)&gt;", path)
	}
	p := h.consoleDo(http.MethodGet, "/events/"+url.PathEscape(id), nil, nil, nil)
	require.Contains(t, p.body, "&lt;script&gt;document.title=", "the payload and the decision show the title, escaped")

	p = h.consoleDo(http.MethodPost, "/playground", url.Values{
		"rules": {"version: 1\nrules:\n  - name: x\n    on: [content.uploaded]\n    actions: {folder: \"{{ title }}\"}\n"},
		"event": {`{"type": "content.uploaded", "content": {"id": "c", "title": ` + jsonString(hostileTitle) + `}}`},
	}, nil, nil)
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.NotContains(t, p.body, "<script>document")
	require.Contains(t, p.body, "&lt;script&gt;document.title=")
}

var nextLink = regexp.MustCompile(`href="(/events\?[^"]*before=\d+[^"]*)" rel="next"`)

// The events list pages by arrival, newest first, keeps its filters from
// page to page, and filters by content id, status and matched rule.
func TestConsoleEventsPaging(t *testing.T) {
	h := startHarness(t, recordOnly)
	var last string
	for i := range 120 {
		title := "Marketing reel"
		if i%3 == 0 {
			title = "Training module"
		}
		_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": fmt.Sprintf("c_%d", i%7), "title": title, "n": i}))
		last = resp["event_id"].(string)
	}
	h.waitFor(last, 10*time.Second, StatusRecorded)
	require.Eventually(t, func() bool {
		st, err := h.svc.Stats(t.Context())
		return err == nil && st.Events[StatusRecorded] == 120
	}, 10*time.Second, 20*time.Millisecond)

	rows := regexp.MustCompile(`<tr>\s*<td>[^<]*</td>\s*<td><a href="/events/`)
	seen := map[string]bool{}
	path, pages := "/events", 0
	for path != "" {
		p := h.consoleDo(http.MethodGet, path, nil, nil, nil)
		require.Equal(t, http.StatusOK, p.status, p.body)
		for _, m := range regexp.MustCompile(`<td><a href="/events/([^"]+)">`).FindAllStringSubmatch(p.body, -1) {
			require.False(t, seen[m[1]], "event %s on two pages", m[1])
			seen[m[1]] = true
		}
		require.LessOrEqual(t, len(rows.FindAllString(p.body, -1)), 50)
		path, pages = "", pages+1
		if m := nextLink.FindStringSubmatch(p.body); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	require.Equal(t, 3, pages)
	require.Len(t, seen, 120)

	// Filters: content id (served by the index without a provider), and
	// the rule an event matched, kept on the next page.
	p := h.consoleDo(http.MethodGet, "/events?content_id=c_3", nil, nil, nil)
	require.Len(t, rows.FindAllString(p.body, -1), 17) // i = 3, 10, …, 115
	p = h.consoleDo(http.MethodGet, "/events?rule=training", nil, nil, nil)
	require.Len(t, rows.FindAllString(p.body, -1), 40)
	require.NotContains(t, p.body, "Marketing")
	p = h.consoleDo(http.MethodGet, "/events?rule=marketing&status=recorded", nil, nil, nil)
	require.Len(t, rows.FindAllString(p.body, -1), 50)
	m := nextLink.FindStringSubmatch(p.body)
	require.NotNil(t, m)
	require.Contains(t, m[1], "rule=marketing")
	require.Contains(t, m[1], "status=recorded")
	p = h.consoleDo(http.MethodGet, strings.ReplaceAll(m[1], "&amp;", "&"), nil, nil, nil)
	require.Len(t, rows.FindAllString(p.body, -1), 30)
	require.Contains(t, p.body, `<a href="/events?rule=marketing&amp;status=recorded">Newest</a>`)
	p = h.consoleDo(http.MethodGet, "/events?status=dead", nil, nil, nil)
	require.Contains(t, p.body, "No events.")

	// The home page counts them, in the chart and in its table.
	p = h.consoleDo(http.MethodGet, "/", nil, nil, nil)
	require.Contains(t, p.body, `<td><span class="status status-recorded">recorded</span></td><td>120</td>`)
	require.Contains(t, p.body, `120 recorded</title></rect>`)
}

// The playground works as a plain form, without script, and decides as
// POST /v1/dry-run does: the same plan and positions for the same rules.
func TestConsolePlaygroundWithoutScript(t *testing.T) {
	h := startHarness(t, recordOnly)
	rulesText := "version: 1\nrules:\n  - name: training\n    on: [content.uploaded]\n    when: title contains \"Training\"\n    actions: {folder: Training}\n"
	event := `{"type": "content.uploaded", "provider": "vaultstream", "content": {"id": "c_1", "title": "Training day"}}`
	p := h.consoleDo(http.MethodPost, "/playground", url.Values{"rules": {rulesText}, "event": {event}}, nil, nil)
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, p.body, "<dt>Folder</dt><dd>Training</dd>")
	require.Contains(t, p.body, `<code class="position">rules.yaml:3:5</code>`)

	req, err := json.Marshal(map[string]any{"files": map[string]string{"rules.yaml": rulesText}, "event": json.RawMessage(event)})
	require.NoError(t, err)
	status, api := h.do(http.MethodPost, "/v1/dry-run", req, nil)
	require.Equal(t, http.StatusOK, status, "%v", api)
	require.Equal(t, "rules.yaml:3:5", api["trace"].([]any)[0].(map[string]any)["position"])

	p = h.consoleDo(http.MethodPost, "/playground", url.Values{"rules": {strings.Replace(rulesText, "name:", "nmae:", 1)}, "event": {event}}, nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, p.status)
	require.Contains(t, p.body, `<code class="position">rules.yaml:3:5</code>: unknown rule field &#34;nmae&#34;`)

	// Empty rules: the rules in force decide.
	p = h.consoleDo(http.MethodPost, "/playground", url.Values{"rules": {""}, "event": {event}}, nil, nil)
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, p.body, "Decided with the rules in force")
	require.Contains(t, p.body, "media.yaml:5:5")

	// A provider's raw webhook body, decoded by the provider.
	raw := string(webhook(t, "content.uploaded", map[string]any{"content_id": "c_2", "title": "Training again"}))
	p = h.consoleDo(http.MethodPost, "/playground", url.Values{"rules": {rulesText}, "event": {raw}, "provider": {"vaultstream"}}, nil, nil)
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, p.body, "<dt>Folder</dt><dd>Training</dd>")
}

// A sweep's event ids end with the content id, which may hold slashes
// (/film/176): the event's page and its replay still work.
func TestConsoleEventIDWithSlashes(t *testing.T) {
	h := startHarness(t, recordOnly)
	id := sweepEventID("manual:films@2026-12-03T00:00:00Z", "/film/176?x#y")
	err := h.svc.backend.inTx(t.Context(), func(q querier, _ enqueueFunc) error {
		_, err := insertEvents(t.Context(), q, []*newEvent{{id: id, provider: "shift72", typ: "schedule.films",
			contentID: "/film/176?x#y", payload: []byte(`{}`), receivedAt: time.Now(), status: StatusDead}})
		return err
	})
	require.NoError(t, err)

	p := h.consoleDo(http.MethodGet, "/dead-letters", nil, nil, nil)
	m := regexp.MustCompile(`<td><a href="(/events/[^"]+)">`).FindStringSubmatch(p.body)
	require.NotNil(t, m, p.body)
	link := strings.ReplaceAll(m[1], "&amp;", "&")
	require.Equal(t, "/events/sweep:manual:films@2026-12-03T00:00:00Z:/film/176%3Fx%23y", link)
	p = h.consoleDo(http.MethodGet, link, nil, nil, nil)
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, p.body, "<dd><code>"+id+"</code></dd>")

	p = h.consoleDo(http.MethodPost, link+"/replay", url.Values{}, nil, nil)
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Equal(t, link+"?done=replayed", p.header.Get("Location"))
	e, err := h.svc.store.get(t.Context(), id)
	require.NoError(t, err)
	require.Equal(t, 1, e.Replays)

	require.Equal(t, http.StatusNotFound, h.consoleDo(http.MethodPost, link+"/explode", url.Values{}, nil, nil).status)
}

// The schedules page lists the schedules of the rules in force, and Run now
// asks for a run at once.
func TestConsoleSchedules(t *testing.T) {
	h := startHarness(t)
	p := h.consoleDo(http.MethodGet, "/schedules", nil, nil, nil)
	require.Contains(t, p.body, "The rules in force have no schedules.")

	require.NoError(t, os.WriteFile(filepath.Join(h.rules, "stale.yaml"), []byte(`version: 1
schedules:
  - name: stale-content
    cron: "0 2 * * *"
    timezone: Europe/Paris
    provider: vaultstream
    source: catalog
rules:
  - name: archive-stale
    on: [schedule.stale-content]
    actions: {folder: Archive}
`), 0o600))
	status, body := h.do(http.MethodPost, "/v1/rules/reload", nil, nil)
	require.Equal(t, http.StatusOK, status, "%v", body)

	p = h.consoleDo(http.MethodGet, "/schedules", nil, nil, nil)
	require.Equal(t, http.StatusOK, p.status)
	require.Contains(t, p.body, "<td>stale-content</td>")
	require.Contains(t, p.body, "<code>0 2 * * *</code> (Europe/Paris)")
	require.Contains(t, p.body, "never")

	p = h.consoleDo(http.MethodPost, "/schedules/stale-content/run", url.Values{}, nil, nil)
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.True(t, strings.HasPrefix(p.header.Get("Location"), "/schedules?run=manual%3Astale-content%40"), p.header.Get("Location"))
	require.Eventually(t, func() bool {
		p = h.consoleDo(http.MethodGet, "/schedules", nil, nil, nil)
		return !strings.Contains(p.body, "never")
	}, 10*time.Second, 20*time.Millisecond, "the run did not show: %s", p.body)

	require.Equal(t, http.StatusNotFound, h.consoleDo(http.MethodPost, "/schedules/nope/run", url.Values{}, nil, nil).status)
}

// A held event's page offers approve and reject; approving applies the
// held plan and the history shows both decisions; an applied event offers
// revert, which puts the item back.
func TestConsoleApproveAndRevert(t *testing.T) {
	h := startHarness(t)
	id := h.heldLaunch()

	link := "/events/" + id
	p := h.consoleDo(http.MethodGet, link, nil, nil, nil)
	require.Contains(t, p.body, `action="`+link+`/approve"`)
	require.Contains(t, p.body, `action="`+link+`/reject"`)
	require.Contains(t, p.body, "unapproved-public")
	require.NotContains(t, p.body, `action="`+link+`/revert"`, "a held event changed nothing to revert")

	p = h.consoleDo(http.MethodPost, link+"/revert", url.Values{}, nil, nil)
	require.Equal(t, http.StatusConflict, p.status, "nothing applied yet: nothing to revert")

	p = h.consoleDo(http.MethodPost, link+"/approve", url.Values{}, nil, nil)
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Equal(t, link+"?done=approved", p.header.Get("Location"))
	h.waitFor(id, 5*time.Second, StatusApplied)
	c, _ := h.sim.Content("c_1")
	require.Equal(t, "public", c.Visibility)

	p = h.consoleDo(http.MethodGet, link+"?done=approved", nil, nil, nil)
	require.Contains(t, p.body, "Approved: the held plan will be applied.")
	require.Regexp(t, `(?s)received.*held.*held by unapproved-public.*approve.*applied`, p.body, "the history shows both decisions")
	require.Contains(t, p.body, `action="`+link+`/revert"`)

	p = h.consoleDo(http.MethodPost, link+"/revert", url.Values{}, nil, nil)
	require.Equal(t, http.StatusSeeOther, p.status, p.body)
	require.Eventually(t, func() bool {
		c, _ := h.sim.Content("c_1")
		return c.Visibility == "private"
	}, 5*time.Second, 10*time.Millisecond, "the revert did not put the item back")
}

// The impact page previews an edit over the logged events, as POST
// /v1/impact does, and shows every problem of broken rules at its place.
func TestConsoleImpact(t *testing.T) {
	h := startHarness(t, withImpactRules(t))
	h.logTownHalls()
	require.Equal(t, http.StatusOK, h.consoleDo(http.MethodGet, "/impact", nil, nil, nil).status)

	p := h.consoleDo(http.MethodPost, "/impact", url.Values{"rules": {impactEdit}, "since": {"24h"}}, nil, nil)
	require.Equal(t, http.StatusOK, p.status, p.body)
	require.Contains(t, p.body, "10 of 20 events would change")
	require.Regexp(t, `<td>folder</td><td>Leadership → Executive</td><td>10</td>`, p.body)
	require.Regexp(t, `<td>executive</td><td>0</td><td>10</td>`, p.body)
	require.NotContains(t, p.body, "<td>marketing</td>", "a rule whose matches do not change is not listed")

	p = h.consoleDo(http.MethodPost, "/impact", url.Values{"rules": {"version: 1\nrules:\n  - nmae: x\n"}, "since": {"24h"}}, nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, p.status)
	require.Contains(t, p.body, "rules.yaml:3:5")

	p = h.consoleDo(http.MethodPost, "/impact", url.Values{"rules": {impactEdit}, "since": {"forever"}}, nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, p.status)
}
