package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
)

// receiver is a webhook endpoint on loopback that records what it receives
// and answers with handle (200 "ok" when nil).
type receiver struct {
	*httptest.Server
	hits atomic.Int64

	mu          sync.Mutex
	body        []byte
	contentType string
	userAgent   string
	method      string
}

func newReceiver(t *testing.T, tls bool, handle http.HandlerFunc) *receiver {
	t.Helper()
	r := &receiver{}
	h := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.Add(1)
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.body, r.contentType, r.userAgent, r.method = body, req.Header.Get("Content-Type"), req.UserAgent(), req.Method
		r.mu.Unlock()
		if handle != nil {
			handle(w, req)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	if tls {
		r.Server = httptest.NewTLSServer(h)
	} else {
		r.Server = httptest.NewServer(h)
	}
	t.Cleanup(r.Close)
	return r
}

// hostPort is the receiver's "127.0.0.1:port".
func (r *receiver) hostPort() string {
	return strings.TrimPrefix(strings.TrimPrefix(r.URL, "http://"), "https://")
}

func (r *receiver) port() string {
	_, p, _ := net.SplitHostPort(r.hostPort())
	return p
}

// callError asserts that err is a *adapters.CallError of kind k.
func callError(t *testing.T, err error, k adapters.Kind) *adapters.CallError {
	t.Helper()
	require.Error(t, err)
	var ce *adapters.CallError
	require.True(t, errors.As(err, &ce), "%T: %v", err, err)
	require.Equal(t, k, ce.Kind, "%v", err)
	return ce
}

func TestSendDeliversToAnAllowedHost(t *testing.T) {
	r := newReceiver(t, false, nil)
	s := NewSender(Policy{AllowHosts: []string{"127.0.0.1"}})
	text := `Budget "FY27" <finance> & Équipe` + "\n" + `line two \ done`

	require.NoError(t, s.Send(context.Background(), r.URL+"/hooks/abc", text))

	require.EqualValues(t, 1, r.hits.Load())
	r.mu.Lock()
	defer r.mu.Unlock()
	require.Equal(t, http.MethodPost, r.method)
	require.Equal(t, "application/json", r.contentType)
	require.Equal(t, "organizer", r.userAgent)
	require.Equal(t, `{"text":"Budget \"FY27\" <finance> & Équipe\nline two \\ done"}`, string(r.body))
}

func TestSendDeliversOnAnAllowedPortOnly(t *testing.T) {
	r := newReceiver(t, false, nil)
	s := NewSender(Policy{AllowHosts: []string{"127.0.0.1:" + r.port()}})
	require.NoError(t, s.Send(context.Background(), r.URL, "hello"))

	other := NewSender(Policy{AllowHosts: []string{"127.0.0.1:1"}})
	ce := callError(t, other.Send(context.Background(), r.URL, "hello"), adapters.Permanent)
	require.Contains(t, ce.Message, "refused")
	require.EqualValues(t, 1, r.hits.Load(), "the refused delivery reached the server")
}

// Without an allow-list entry, loopback is refused whatever the scheme, and
// nothing reaches the server.
func TestSendRefusesLoopbackWhenNotAllowed(t *testing.T) {
	plain := newReceiver(t, false, nil)
	secure := newReceiver(t, true, nil)
	s := NewSender(Policy{AllowHosts: []string{"chat.internal", "127.0.0.2"}})

	ce := callError(t, s.Send(context.Background(), plain.URL, "hello"), adapters.Permanent)
	require.Equal(t, 0, ce.Status)
	require.Contains(t, ce.Error(), "http is not allowed")
	require.Contains(t, ce.Error(), "ORGANIZER_NOTIFY_ALLOW_HOSTS")

	ce = callError(t, s.Send(context.Background(), secure.URL, "hello"), adapters.Permanent)
	require.Contains(t, ce.Error(), "127.0.0.1 is a loopback address")

	ce = callError(t, s.Send(context.Background(), "https://[::ffff:127.0.0.1]:"+secure.port()+"/", "hello"), adapters.Permanent)
	require.Contains(t, ce.Error(), "loopback")

	// The host is what the URL parser says, whatever the userinfo claims.
	ce = callError(t, s.Send(context.Background(), "https://chat.internal@"+secure.hostPort()+"/", "hello"), adapters.Permanent)
	require.Contains(t, ce.Error(), "loopback")

	require.Zero(t, plain.hits.Load())
	require.Zero(t, secure.hits.Load())
}

// A name is checked on the address it resolves to, when dialling: localhost
// passes the URL check and is refused by the dialer.
func TestSendRefusesANameResolvingToLoopback(t *testing.T) {
	secure := newReceiver(t, true, nil)
	s := NewSender(Policy{})
	ce := callError(t, s.Send(context.Background(), "https://localhost:"+secure.port()+"/hook", "hello"), adapters.Permanent)
	require.Contains(t, ce.Message, "destination localhost:"+secure.port()+" refused: it resolves to")
	require.Contains(t, ce.Message, "loopback")
	var r *refusal
	require.True(t, errors.As(ce.Err, &r), "the refusal comes from the dialer")
	require.Zero(t, secure.hits.Load())

	plain := newReceiver(t, false, nil)
	allowed := NewSender(Policy{AllowHosts: []string{"LOCALHOST"}})
	require.NoError(t, allowed.Send(context.Background(), "http://localhost:"+plain.port()+"/hook", "hello"))
	require.EqualValues(t, 1, plain.hits.Load())
}

func TestSendClassifiesAnswers(t *testing.T) {
	cases := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		kind       adapters.Kind
		retryAfter time.Duration
		shows      string
	}{
		{name: "429 with Retry-After", status: 429, header: map[string]string{"Retry-After": "7"}, kind: adapters.RateLimited, retryAfter: 7 * time.Second, shows: "Too Many Requests"},
		{name: "429 without Retry-After", status: 429, kind: adapters.RateLimited},
		{name: "500", status: 500, body: "internal trouble\nstack...", kind: adapters.Transient, shows: "answered: internal trouble"},
		{name: "503", status: 503, kind: adapters.Transient, shows: "Service Unavailable"},
		{name: "408", status: 408, kind: adapters.Transient},
		{name: "404", status: 404, body: "no_service", kind: adapters.Permanent, shows: "answered: no_service"},
		{name: "400", status: 400, body: "invalid_payload", kind: adapters.Permanent, shows: "invalid_payload"},
		{name: "403", status: 403, kind: adapters.Permanent},
		{name: "410", status: 410, kind: adapters.Permanent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := newReceiver(t, false, func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range c.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(c.status)
				_, _ = io.WriteString(w, c.body)
			})
			s := NewSender(Policy{AllowHosts: []string{"127.0.0.1"}})
			ce := callError(t, s.Send(context.Background(), r.URL, "hello"), c.kind)
			require.Equal(t, c.status, ce.Status)
			require.Equal(t, c.retryAfter, ce.RetryAfter)
			require.Contains(t, ce.Message, c.shows)
			require.NotContains(t, ce.Message, "stack")
		})
	}
}

func TestSendDoesNotFollowRedirects(t *testing.T) {
	target := newReceiver(t, false, nil)
	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		origin := newReceiver(t, false, func(w http.ResponseWriter, req *http.Request) {
			http.Redirect(w, req, target.URL+"/elsewhere", status)
		})
		s := NewSender(Policy{AllowHosts: []string{"127.0.0.1"}})
		ce := callError(t, s.Send(context.Background(), origin.URL, "hello"), adapters.Permanent)
		require.Equal(t, status, ce.Status)
		require.Contains(t, ce.Message, "redirect, which is not followed")
		require.NotContains(t, ce.Message, "elsewhere")
		require.EqualValues(t, 1, origin.hits.Load())
	}
	require.Zero(t, target.hits.Load(), "the redirect's target received a request")
}

func TestSendGivesUpOnASlowServer(t *testing.T) {
	release := make(chan struct{})
	r := newReceiver(t, false, func(w http.ResponseWriter, req *http.Request) {
		select {
		case <-release:
		case <-req.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // before the server closes: cleanups run last first
	s := NewSender(Policy{AllowHosts: []string{"127.0.0.1"}})
	s.timeout = 200 * time.Millisecond

	start := time.Now()
	ce := callError(t, s.Send(context.Background(), r.URL, "hello"), adapters.Transient)
	require.Less(t, time.Since(start), 5*time.Second)
	require.Equal(t, 0, ce.Status)
	require.Contains(t, ce.Message, "did not answer in time")
	require.True(t, errors.Is(ce, context.DeadlineExceeded), "%v", ce.Err)
}

// A slow body after a 2xx answer is not waited on past the timeout, and the
// delivery counts: the answer said it was received.
func TestSendBoundsTheAnswer(t *testing.T) {
	release := make(chan struct{})
	r := newReceiver(t, false, func(w http.ResponseWriter, req *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-req.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })
	s := NewSender(Policy{AllowHosts: []string{"127.0.0.1"}})
	s.timeout = 200 * time.Millisecond
	start := time.Now()
	require.NoError(t, s.Send(context.Background(), r.URL, "hello"))
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestSendTransportFailures(t *testing.T) {
	s := NewSender(Policy{AllowHosts: []string{"127.0.0.1"}})

	// A port nobody listens on.
	l, e := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, e)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	ce := callError(t, s.Send(context.Background(), "http://"+addr+"/", "hello"), adapters.Transient)
	require.Contains(t, ce.Message, "could not be reached")

	// A cancelled caller.
	r := newReceiver(t, false, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ce = callError(t, s.Send(ctx, r.URL, "hello"), adapters.Transient)
	require.Contains(t, ce.Message, "cancelled")
	require.Zero(t, r.hits.Load())
}

func TestSendRejectsMalformedURLs(t *testing.T) {
	s := NewSender(Policy{AllowHosts: []string{"127.0.0.1", "chat.internal"}})
	cases := map[string]string{
		"":                             "no scheme",
		"hooks.slack.com/services":     "no scheme",
		"ftp://chat.internal/x":        `scheme "ftp"`,
		"file:///etc/passwd":           `scheme "file"`,
		"gopher://127.0.0.1:70/":       `scheme "gopher"`,
		"https:chat.internal":          "no host",
		"https:///path":                "no host",
		"https://:443/":                "no host name",
		"https://chat.internal:0/":     `port "0"`,
		"https://chat.internal:99999/": `port "99999"`,
		"https://chat internal/":       "does not parse",
		"http://[::1/":                 "does not parse",
	}
	for raw, want := range cases {
		ce := callError(t, s.Send(context.Background(), raw, "hello"), adapters.Permanent)
		require.Equal(t, 0, ce.Status, "%q", raw)
		require.Contains(t, ce.Message, "malformed notification URL", "%q", raw)
		require.Contains(t, ce.Message, want, "%q", raw)
	}
}

// No error shows the text, nor the URL's query, userinfo or path token,
// however it is printed or unwrapped: not when refusing, not when the
// server is unreachable, not when the server echoes everything back.
func TestSendErrorsHoldNoSecrets(t *testing.T) {
	const (
		text     = "Salary review for Jane Doe: confidential"
		token    = "tok_0123456789abcdef"
		password = "hunter2-secret"
		pathTok  = "XXXXXXXXXXXXXXXXXXXXXXXX"
	)
	echo := newReceiver(t, false, func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "you sent %s to %s with %s", body, req.URL.RequestURI(), req.Header.Get("Authorization"))
	})
	echoQuery := newReceiver(t, false, func(w http.ResponseWriter, req *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "bad token %s in %s", req.URL.Query().Get("token"), req.URL.Path)
	})
	echoTail := newReceiver(t, false, func(w http.ResponseWriter, req *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, "cannot post: Jane Doe: conf")
	})
	l, e := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, e)
	closed := l.Addr().String()
	require.NoError(t, l.Close())

	withSecrets := func(base string) string {
		u, e := url.Parse(base)
		require.NoError(t, e)
		u.User = url.UserPassword("bot", password)
		u.Path = "/services/T000/B000/" + pathTok
		u.RawQuery = "token=" + token
		return u.String()
	}
	allowed := NewSender(Policy{AllowHosts: []string{"127.0.0.1"}})
	strict := NewSender(Policy{})
	cases := map[string]struct {
		s   *Sender
		url string
	}{
		"echoed answer":         {allowed, withSecrets(echo.URL)},
		"echoed query":          {allowed, withSecrets(echoQuery.URL)},
		"part of the text":      {allowed, withSecrets(echoTail.URL)},
		"unreachable":           {allowed, withSecrets("http://" + closed)},
		"refused http":          {strict, withSecrets(echo.URL)},
		"refused address":       {strict, withSecrets("https://169.254.169.254")},
		"refused by the dialer": {strict, withSecrets("https://localhost:" + echo.port())},
		"malformed":             {strict, "https://chat internal/?token=" + token},
		"bad scheme":            {strict, "ftp://bot:" + password + "@x/?token=" + token},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := c.s.Send(context.Background(), c.url, text)
			require.Error(t, err)
			var shown []string
			for e := err; e != nil; e = errors.Unwrap(e) {
				shown = append(shown, e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e))
			}
			for _, s := range shown {
				for _, secret := range []string{text, "Jane Doe", token, password, pathTok, "B000/"} {
					require.NotContains(t, s, secret)
				}
			}
		})
	}
	require.EqualValues(t, 1, echo.hits.Load(), "only the allowed delivery reached the echo")
}

// Of an answer Send reads a few KiB, and an error shows the start of its
// first line only.
func TestSendReadsLittleOfTheAnswer(t *testing.T) {
	long := strings.Repeat("é", 1<<20)
	r := newReceiver(t, false, func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/fail" {
			w.WriteHeader(http.StatusBadRequest)
		}
		_, _ = io.WriteString(w, long)
	})
	s := NewSender(Policy{AllowHosts: []string{"127.0.0.1"}})
	require.NoError(t, s.Send(context.Background(), r.URL, "hello"))

	ce := callError(t, s.Send(context.Background(), r.URL+"/fail", "hello"), adapters.Permanent)
	require.Less(t, len(ce.Message), 300)
	require.True(t, strings.HasSuffix(ce.Message, "é…"), ce.Message)
}

func TestSendRefusesZonedLinkLocal(t *testing.T) {
	s := NewSender(Policy{})
	ce := callError(t, s.Send(context.Background(), "https://[fe80::1%25eth0]:8443/", "hello"), adapters.Permanent)
	require.Contains(t, ce.Message, "link-local")
}
