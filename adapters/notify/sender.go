package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/organizer-dev/organizer/adapters"
)

// deliveryTimeout bounds a whole delivery: connecting, sending and reading
// the answer.
const deliveryTimeout = 10 * time.Second

// maxAnswer is how much of an answer's body Send reads: enough for a
// webhook's "ok" or error code, so that the connection can be reused, and
// no more.
const maxAnswer = 4 << 10

// maxShown is how much of an error answer's first line an error shows.
const maxShown = 200

// userAgent is the User-Agent of every delivery.
const userAgent = "organizer"

// allowHint tells the reader of a refusal how to lift it.
const allowHint = "list the host in notify.allow_hosts (ORGANIZER_NOTIFY_ALLOW_HOSTS) to allow it"

// Sender posts notifications under a policy.
type Sender struct {
	allow []entry
	// guarded posts to destinations outside the allow list: its dialer
	// checks every address it connects to. open posts to allowed ones.
	guarded, open *http.Client
	timeout       time.Duration // deliveryTimeout, shorter in tests
}

// NewSender returns a Sender that posts under p. It is safe for concurrent
// use. It never uses a proxy (the address it checks is the one it connects
// to) and never follows a redirect.
func NewSender(p Policy) *Sender {
	return &Sender{
		allow:   parseEntries(p.AllowHosts),
		guarded: newClient(dialControl),
		open:    newClient(nil),
		timeout: deliveryTimeout,
	}
}

func newClient(control func(network, address string, c syscall.RawConn) error) *http.Client {
	dialer := &net.Dialer{Timeout: deliveryTimeout, KeepAlive: 30 * time.Second, Control: control}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   deliveryTimeout,
			ResponseHeaderTimeout: deliveryTimeout,
			MaxIdleConns:          16,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Send POSTs {"text": text} as application/json to url. It returns nil on a 2xx answer,
// else a *adapters.CallError: Kind Permanent for a refused destination (never a request), a malformed
// URL, or a 4xx other than 408/429; RateLimited with RetryAfter for 429; Transient for 5xx, 408,
// timeouts and connection errors. The error's message never contains the text, nor the URL's
// query string or userinfo (they may hold tokens).
//
// A 3xx is Permanent too: redirects are not followed. The delivery, answer
// included, takes at most 10 seconds, less if ctx says so.
func (s *Sender) Send(ctx context.Context, url, text string) error {
	u, err := parseURL(url)
	if err != nil {
		return &adapters.CallError{Kind: adapters.Permanent, Message: "malformed notification URL: " + err.Error()}
	}
	sc := scrubber{u: u, text: text}
	client, err := s.client(u)
	if err != nil {
		return sc.callError(&adapters.CallError{Kind: adapters.Permanent,
			Message: fmt.Sprintf("destination %s refused: %v; %s", u.Host, err, allowHint)})
	}

	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(struct {
		Text string `json:"text"`
	}{text}); err != nil {
		return &adapters.CallError{Kind: adapters.Permanent, Message: "encoding the notification: " + err.Error()}
	}
	payload := bytes.TrimSuffix(body.Bytes(), []byte("\n"))

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return &adapters.CallError{Kind: adapters.Permanent, Message: "malformed notification URL: the request cannot be built"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)

	resp, err := client.Do(req)
	if err != nil {
		return sc.callError(s.transportError(ctx, u, err))
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	_ = resp.Body.Close()
	return sc.callError(s.statusError(u, resp, answer, text))
}

// parseURL parses a destination and checks its form: http or https, a
// host, a valid port.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes the URL, which may hold a token.
		return nil, errors.New("it does not parse as a URL")
	}
	switch {
	case u.Scheme == "":
		return nil, errors.New("it has no scheme (write https://…)")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("scheme %q is not http or https", u.Scheme)
	case u.Opaque != "" || u.Host == "":
		return nil, errors.New("it has no host")
	case u.Hostname() == "":
		return nil, errors.New("it has no host name before the port")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("port %q is not a number from 1 to 65535", p)
		}
	}
	return u, nil
}

// port is the port a URL connects to.
func port(u *url.URL) int {
	if n, err := strconv.Atoi(u.Port()); err == nil {
		return n
	}
	if u.Scheme == "http" {
		return 80
	}
	return 443
}

// client chooses how to post to u, or says why it may not be: an allowed
// host is posted to as it is; any other must be https, and a literal
// address must be public (a name's addresses are checked as they are
// dialled).
func (s *Sender) client(u *url.URL) (*http.Client, error) {
	host, p := u.Hostname(), port(u)
	for _, e := range s.allow {
		if e.matches(host, p) {
			return s.open, nil
		}
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("%s is not allowed, only https", u.Scheme)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if err := checkAddr(a); err != nil {
			return nil, err
		}
	}
	return s.guarded, nil
}

// transportError classifies a delivery that got no answer.
func (s *Sender) transportError(ctx context.Context, u *url.URL, err error) *adapters.CallError {
	// The *url.Error around err quotes the whole URL: keep what it wraps.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var refused *refusal
	if errors.As(err, &refused) {
		what := "an address that cannot be checked"
		if refused.Addr.IsValid() {
			what = refused.Addr.String() + ", " + refused.Why
		}
		return &adapters.CallError{Kind: adapters.Permanent, Err: err,
			Message: fmt.Sprintf("destination %s refused: it resolves to %s; %s", u.Host, what, allowHint)}
	}
	e := &adapters.CallError{Kind: adapters.Transient, Err: err}
	var netErr net.Error
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled):
		e.Message = fmt.Sprintf("the delivery to %s was cancelled", u.Host)
	case ctx.Err() != nil, errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		e.Message = fmt.Sprintf("%s did not answer in time", u.Host)
	default:
		e.Message = fmt.Sprintf("%s could not be reached: %v", u.Host, err)
	}
	return e
}

// statusError classifies an answer: nil for a 2xx.
func (s *Sender) statusError(u *url.URL, resp *http.Response, answer []byte, text string) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	e := &adapters.CallError{Kind: adapters.Permanent, Status: code}
	switch {
	case code >= 300 && code < 400:
		e.Message = fmt.Sprintf("%s answered with a redirect, which is not followed", u.Host)
		return e
	case code == http.StatusTooManyRequests:
		e.Kind = adapters.RateLimited
		e.RetryAfter = adapters.RetryAfter(resp.Header.Get("Retry-After"), time.Now())
	case code == http.StatusRequestTimeout || code >= 500:
		e.Kind = adapters.Transient
	}
	e.Message = fmt.Sprintf("%s answered: %s", u.Host, shown(answer, code, text))
	return e
}

// shown is what an error says of an answer's body: its first line, cut
// short, unless it repeats part of the notification's text.
func shown(answer []byte, code int, text string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(strings.ToValidUTF8(string(answer), "?")), "\n")
	line = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(line))
	if len(line) > maxShown {
		cut := maxShown
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		line = line[:cut] + "…"
	}
	switch {
	case line == "":
		return http.StatusText(code)
	case echoes(line, text):
		return "(its answer is not shown: it repeats part of the notification)"
	}
	return line
}

// echoRun is the length of a run of bytes an answer may share with the
// text before it counts as repeating it.
const echoRun = 8

// echoes reports whether line holds the text or a run of echoRun bytes of it.
func echoes(line, text string) bool {
	if text == "" {
		return false
	}
	if len(text) < echoRun {
		return strings.Contains(line, text)
	}
	for i := 0; i+echoRun <= len(line); i++ {
		if strings.Contains(text, line[i:i+echoRun]) {
			return true
		}
	}
	return false
}

// scrubber removes from an error what it must never show: the text, and
// the URL's userinfo, query, fragment and path (a Slack webhook's token is
// its path).
type scrubber struct {
	u    *url.URL
	text string
}

func (sc scrubber) secrets() []string {
	var out []string
	// Short pieces are left alone (they would garble the message and are
	// no tokens), but the text, the query and the userinfo go whole.
	add := func(s string, min int) {
		if s != "" && len(s) >= min {
			out = append(out, s)
		}
	}
	add(sc.text, 1)
	if ui := sc.u.User; ui != nil {
		add(ui.String(), 1)
		add(ui.Username(), 4)
		if p, ok := ui.Password(); ok {
			add(p, 4)
		}
	}
	add(sc.u.RawQuery, 1)
	if q, err := url.ParseQuery(sc.u.RawQuery); err == nil {
		for _, vs := range q {
			for _, v := range vs {
				add(v, 6)
			}
		}
	}
	add(sc.u.Fragment, 6)
	if len(sc.u.Path) > 1 {
		add(sc.u.EscapedPath(), 2)
		add(sc.u.Path, 2)
		for seg := range strings.SplitSeq(sc.u.Path, "/") {
			add(seg, 16)
		}
	}
	// Longer first, so that a secret inside another is not left in pieces.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && len(out[j]) > len(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// callError returns e with its message and transport error scrubbed, or nil
// for a nil e.
func (sc scrubber) callError(e error) error {
	var ce *adapters.CallError
	if e == nil || !errors.As(e, &ce) {
		return e
	}
	for _, secret := range sc.secrets() {
		ce.Message = adapters.RedactString(ce.Message, secret)
		if ce.Err != nil && strings.Contains(ce.Err.Error(), secret) {
			ce.Err = scrubbed{msg: adapters.RedactString(ce.Err.Error(), secret), err: ce.Err}
		}
	}
	return ce
}

// scrubbed is an error whose message had secrets removed; it unwraps to the
// original, for errors.Is and errors.As.
type scrubbed struct {
	msg string
	err error
}

func (e scrubbed) Error() string { return e.msg }
func (e scrubbed) Unwrap() error { return e.err }
