package server

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

// browser is a headless Chromium tab that records what a person would
// notice went wrong: uncaught exceptions, dialogs (a script that should
// not have run) and the Content-Security-Policy refusing something.
type browser struct {
	t        *testing.T
	ctx      context.Context
	mu       sync.Mutex
	problems []string
}

// newBrowser starts headless Chromium, or skips the test when there is
// none (fails it when ORGANIZER_REQUIRE_BROWSER=1, as in CI).
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("ORGANIZER_REQUIRE_BROWSER") == "1" {
			t.Fatal("no Chromium found (chromium, chromium-browser, google-chrome) and ORGANIZER_REQUIRE_BROWSER=1")
		}
		t.Skip("no Chromium found: the console's browser tests need it (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-gpu", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx}
	messages := chromedp.Console(ctx)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				b.problem(m.String())
			}
		}
	}()
	go func() {
		for d, err := range dialogs {
			if err != nil {
				return
			}
			b.problem("a dialog opened: " + d.Message)
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return b
}

func (b *browser) problem(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, s)
}

// do runs steps within a time limit.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	require.NoError(b.t, chromedp.Do(ctx, steps...))
}

// text returns the text of the first element sel finds.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(b.t, err, sel)
	return s
}

// await waits until the page, whichever it is by then, has an element sel
// finds: a click that loads another page leaves a wait begun on the old
// one waiting for ever, so this asks afresh each time.
func (b *browser) await(sel string) {
	b.t.Helper()
	js := `document.querySelector(` + strconv.Quote(sel) + `) !== null && document.readyState === "complete"`
	require.Eventually(b.t, func() bool {
		ctx, cancel := context.WithTimeout(b.ctx, time.Second)
		defer cancel()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		return err == nil && ok
	}, 20*time.Second, 20*time.Millisecond, "no %s on the page", sel)
}

func (b *browser) eval(js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	require.NoError(b.t, err, js)
	return s
}

// noProblems fails the test for any exception, dialog or policy refusal
// seen so far.
func (b *browser) noProblems() {
	b.t.Helper()
	b.do(chromedp.Sleep(100 * time.Millisecond)) // let the last console messages arrive
	b.mu.Lock()
	defer b.mu.Unlock()
	require.Empty(b.t, b.problems)
}

// A content manager's session in a real browser: sign in, try rules in the
// playground (a plan, then a misspelt key at its position), find an event
// by content id and read its trace, replay a dead letter, read an event
// whose title is hostile markup without running it, sign out.
func TestConsoleInBrowser(t *testing.T) {
	b := newBrowser(t)
	h := startHarness(t, withToken)
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_train", Title: "Onboarding training"})
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_dead", Title: "Marketing reel"})
	h.sim.AddContent(vaultstreamtest.Content{ID: "c_evil", Title: hostileTitle + " training"})
	require.NoError(t, h.sim.Fail(vaultstreamtest.Fault{Match: "PATCH /content/c_dead", Status: http.StatusForbidden, Times: vaultstreamtest.Forever}))
	_, resp := h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_train", "title": "Onboarding training"}))
	trained := resp["event_id"].(string)
	_, resp = h.send(webhook(t, "content.uploaded", map[string]any{"content_id": "c_dead", "title": "Marketing reel"}))
	dead := resp["event_id"].(string)
	evil := h.sendRaw(hostileWebhook("c_evil", hostileTitle+" training"))
	h.waitFor(trained, 5*time.Second, StatusApplied)
	h.waitFor(dead, 5*time.Second, StatusDead)
	h.waitFor(evil, 5*time.Second, StatusApplied)

	// Sign in once; the session cookie is out of the page's reach.
	b.do(chromedp.Navigate(h.url+"/events"), chromedp.WaitVisible(chromedp.CSS(`input[name=token]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=token]`), consoleToken),
		chromedp.Click(chromedp.CSS(`form.login button[type=submit]`)))
	b.await(`form.filters`)
	require.Equal(t, "", b.eval(`document.cookie`))

	// The playground decides in place: a plan with the rule's position.
	b.do(chromedp.Navigate(h.url+"/playground"), chromedp.Click(chromedp.CSS(`a[href="/playground?sample=training"]`)))
	b.await(`textarea[name=rules]:not(:empty)`)
	require.Contains(t, b.eval(`document.querySelector("textarea[name=rules]").value`), "name: training")
	b.eval(`window.stayed = "yes"`)
	b.do(chromedp.Click(chromedp.CSS(`button[type=submit]`)))
	b.await(`#result dl.plan`)
	result := b.text(`#result`)
	require.Contains(t, result, "Folder\nTraining")
	require.Contains(t, result, "rules.yaml:14:5")
	require.Equal(t, "yes", b.eval(`window.stayed`), "the result came without reloading the page")

	// A misspelt key: every problem at its position.
	b.do(chromedp.SetValue(chromedp.CSS(`textarea[name=rules]`), "version: 1\nrules:\n  - nmae: training\n    on: [content.uploaded]\n    actions: {folder: Training}\n"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)))
	b.await(`#result ul.problems`)
	result = b.text(`#result`)
	require.Contains(t, result, `rules.yaml:3:5: unknown rule field "nmae"`)
	require.Contains(t, result, "rules.yaml:3:5: rule needs a name")

	// Find an event by content id, open it, read its trace.
	b.do(chromedp.Navigate(h.url+"/events"), chromedp.SendKeys(chromedp.CSS(`input[name=content_id]`), "c_train"),
		chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)))
	b.await(`input[name=content_id][value=c_train]`)
	require.NotContains(t, b.text(`table`), "c_dead")
	b.do(chromedp.Click(chromedp.CSS(`a[href="/events/` + trained + `"]`)))
	b.await(`table.trace`)
	trace := b.text(`table.trace`)
	require.Contains(t, trace, "training")
	require.Contains(t, trace, "media.yaml:5:5")
	require.Contains(t, trace, "matched")

	// Replay a dead letter once its cause is gone.
	h.sim.ClearFaults()
	b.do(chromedp.Navigate(h.url+"/dead-letters"), chromedp.Click(chromedp.CSS(`button[aria-label="Replay `+dead+`"]`)))
	b.await(`p.notice`)
	require.Contains(t, b.eval(`location.pathname`), "/events/"+dead)
	e := h.waitFor(dead, 5*time.Second, StatusApplied)
	require.Equal(t, 1, e.Replays)

	// Hostile markup in a title is shown, not run.
	b.do(chromedp.Navigate(h.url+"/events/"+url.PathEscape(evil)), chromedp.WaitVisible(chromedp.CSS(`pre.payload`)))
	require.Contains(t, b.text(`pre.payload`), "<script>document.title='pwned'</script>")
	b.do(chromedp.Navigate(h.url+"/events?content_id=c_evil"), chromedp.WaitVisible(chromedp.CSS(`form.filters`)))
	require.Equal(t, "0", b.eval(`String(document.querySelectorAll("main img, main script").length)`))
	require.NotEqual(t, "pwned", b.eval(`document.title`))

	// Sign out: the console asks for the token again.
	b.do(chromedp.Click(chromedp.CSS(`form.logout button`)))
	b.await(`input[name=token]`)
	b.do(chromedp.Navigate(h.url + "/rules"))
	b.await(`input[name=token]`)
	b.noProblems()
}
