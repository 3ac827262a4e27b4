// Package loadgen is the engine of organizer's load tool: it sends signed,
// distinct, realistic webhooks to an intake with many keep-alive
// connections and reports throughput and latency. Reference is the
// in-memory intake (verify, decode, answer; nothing stored) the durable one
// is compared with.
package loadgen

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options.
const (
	DefaultConcurrency = 64
	DefaultDuration    = 5 * time.Second
	DefaultTimeout     = 10 * time.Second // per request
	maxConcurrency     = 100_000
)

// Target is a webhook endpoint to load.
type Target struct {
	URL      string // base URL, e.g. http://127.0.0.1:8080; requests go to URL + "/webhooks/" + Provider
	Provider string // "vaultstream" or "shift72"
	Secret   string // webhook secret used to sign
}

// Options shape a run.
type Options struct {
	Concurrency int           // parallel senders (default 64)
	Requests    int           // stop after this many counted requests (0: use Duration)
	Duration    time.Duration // stop after this long (default 5s when Requests is 0); with both, whichever comes first
	Warmup      time.Duration // sent before measuring, not counted (default 0)
	Seed        string        // makes bodies distinct between runs (default: random hex)
	Client      *http.Client  // default: keep-alive transport with MaxIdleConnsPerHost = Concurrency, timeout 10s
}

// Report is the outcome of a run. Sent = Accepted + Duplicates + Failed.
type Report struct {
	Name                               string
	Sent, Accepted, Duplicates, Failed int         // Accepted: 2xx with duplicate false; Duplicates: 2xx with duplicate true
	Statuses                           map[int]int // counted responses by status (transport errors have none)
	Elapsed                            time.Duration
	PerSecond                          float64       // Accepted / Elapsed seconds
	P50, P90, P99, Max                 time.Duration // latency of accepted requests
	FirstError                         string        // first non-2xx body or transport error, for diagnosis
}

// String is the report on one line: name, accepted/s, p50/p90/p99/max in
// ms, failures.
func (r Report) String() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %.0f accepted/s, p50/p90/p99/max %s/%s/%s/%s ms, %d accepted, %d duplicates, %d failed of %d sent in %s",
		r.Name, r.PerSecond, ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max),
		r.Accepted, r.Duplicates, r.Failed, r.Sent, r.Elapsed.Round(time.Millisecond))
	if r.FirstError != "" {
		fmt.Fprintf(&b, "; first error: %s", r.FirstError)
	}
	return b.String()
}

// Run loads the target until Options.Requests counted requests were sent or
// Options.Duration passed (after Options.Warmup), then reports. Each sender
// builds body i (a shared counter), signs it, POSTs it, reads and decodes
// the small JSON answer and loops; requests in flight at the end are
// waited for (each is bounded by the client's timeout, or 10s). Cancelling
// ctx stops the run: Run returns what was counted so far and the context's
// error; requests cut short by the cancellation are not counted.
func Run(ctx context.Context, t Target, o Options) (Report, error) {
	endpoint, err := validate(t, &o)
	if err != nil {
		return Report{}, err
	}
	gen, err := newGenerator(t.Provider, o.Seed)
	if err != nil {
		return Report{}, err
	}
	v, err := verifier(t.Provider)
	if err != nil {
		return Report{}, err
	}
	client := o.Client
	if client == nil {
		tr := newTransport(o.Concurrency)
		defer tr.CloseIdleConnections()
		client = &http.Client{Transport: tr, Timeout: DefaultTimeout}
	}

	r := &runner{
		ctx:       ctx,
		endpoint:  endpoint,
		secret:    t.Secret,
		sigHeader: http.CanonicalHeaderKey(v.Header),
		sigPrefix: v.Prefix,
		gen:       gen,
		client:    client,
		requests:  int64(o.Requests),
	}
	if client.Timeout == 0 {
		r.reqTimeout = DefaultTimeout
	}
	start := time.Now()
	r.measureFrom = start.Add(o.Warmup)
	if o.Duration > 0 {
		r.end = r.measureFrom.Add(o.Duration)
	}

	// Per-worker latency slices, preallocated for the expected count.
	per := 1024
	switch {
	case o.Requests > 0:
		per = o.Requests/o.Concurrency + 1
	case o.Duration > 0:
		per = int(o.Duration.Seconds() * 100_000 / float64(o.Concurrency))
	}
	per = min(max(per, 64), 1<<20)

	workers := make([]*worker, o.Concurrency)
	var wg sync.WaitGroup
	for w := range workers {
		workers[w] = &worker{r: r, latencies: make([]time.Duration, 0, per), statuses: map[int]int{}}
		wg.Go(workers[w].loop)
	}
	wg.Wait()
	finished := time.Now()

	rep := Report{Name: t.Provider + "@" + endpoint.Host, Statuses: map[int]int{}}
	if finished.After(r.measureFrom) {
		rep.Elapsed = finished.Sub(r.measureFrom)
	}
	var firstAt time.Time
	var all []time.Duration
	n := 0
	for _, w := range workers {
		n += len(w.latencies)
	}
	all = make([]time.Duration, 0, n)
	for _, w := range workers {
		rep.Sent += w.sent
		rep.Accepted += w.accepted
		rep.Duplicates += w.duplicates
		rep.Failed += w.failed
		for s, c := range w.statuses {
			rep.Statuses[s] += c
		}
		if w.firstErr != "" && (firstAt.IsZero() || w.firstErrAt.Before(firstAt)) {
			rep.FirstError, firstAt = w.firstErr, w.firstErrAt
		}
		all = append(all, w.latencies...)
	}
	if rep.Elapsed > 0 {
		rep.PerSecond = float64(rep.Accepted) / rep.Elapsed.Seconds()
	}
	slices.Sort(all)
	rep.P50, rep.P90, rep.P99 = percentile(all, 50), percentile(all, 90), percentile(all, 99)
	if len(all) > 0 {
		rep.Max = all[len(all)-1]
	}
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("loadgen: run against %s interrupted: %w", endpoint, err)
	}
	return rep, nil
}

// percentile is the nearest-rank p-th percentile of sorted.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (len(sorted)*p + 99) / 100 // ceil(n*p/100)
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// validate checks the target and options, fills in the defaults and returns
// the endpoint's URL, parsed once for the whole run.
func validate(t Target, o *Options) (*url.URL, error) {
	if _, err := verifier(t.Provider); err != nil {
		return nil, err
	}
	if t.Secret == "" {
		return nil, errNoSecret
	}
	u, err := url.Parse(t.URL)
	if err != nil {
		return nil, fmt.Errorf("loadgen: target URL %q: %w", t.URL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("loadgen: target URL %q: want http://host[:port] or https://host[:port]", t.URL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("loadgen: target URL %q: want a base URL without query or fragment", t.URL)
	}
	switch {
	case o.Concurrency < 0 || o.Concurrency > maxConcurrency:
		return nil, fmt.Errorf("loadgen: concurrency %d: want 1 to %d (0: %d)", o.Concurrency, maxConcurrency, DefaultConcurrency)
	case o.Requests < 0:
		return nil, fmt.Errorf("loadgen: requests %d: want 0 (use the duration) or more", o.Requests)
	case o.Duration < 0:
		return nil, fmt.Errorf("loadgen: duration %s: want 0 or more", o.Duration)
	case o.Warmup < 0:
		return nil, fmt.Errorf("loadgen: warmup %s: want 0 or more", o.Warmup)
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Requests == 0 && o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.Seed == "" {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		o.Seed = hex.EncodeToString(b[:])
	}
	endpoint, err := url.Parse(strings.TrimRight(u.String(), "/") + "/webhooks/" + url.PathEscape(t.Provider))
	if err != nil { // a valid base URL and an escaped segment: cannot happen
		return nil, fmt.Errorf("loadgen: target URL %q: %w", t.URL, err)
	}
	return endpoint, nil
}

// newTransport is tuned for many keep-alive connections to one host.
func newTransport(concurrency int) *http.Transport {
	return &http.Transport{
		Proxy:                 nil, // the target is addressed directly
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          concurrency,
		MaxIdleConnsPerHost:   concurrency,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: 0,
		DisableCompression:    true,
		WriteBufferSize:       16 << 10,
		ReadBufferSize:        8 << 10,
	}
}

// runner is what the workers share; only the counters change.
type runner struct {
	ctx         context.Context
	endpoint    *url.URL // shared by every request, never modified
	secret      string
	sigHeader   string
	sigPrefix   string
	gen         *generator
	client      *http.Client
	reqTimeout  time.Duration // per request, when the client has no timeout
	measureFrom time.Time     // requests started before are warmup
	end         time.Time     // zero: no time limit
	requests    int64         // 0: no count limit

	next    atomic.Int64 // index of the next body
	claimed atomic.Int64 // counted requests started
}

// worker is one sender; what it counts is its own until the run merges it.
type worker struct {
	r                                  *runner
	mac                                hash.Hash
	sig                                []byte
	sum                                [sha256.Size]byte
	resp                               bytes.Buffer
	latencies                          []time.Duration
	statuses                           map[int]int
	sent, accepted, duplicates, failed int
	firstErr                           string
	firstErrAt                         time.Time
}

var contentTypeJSON = []string{"application/json"}

// maxErrorBody is how much of an error answer FirstError keeps.
const maxErrorBody = 512

func (w *worker) loop() {
	r := w.r
	w.mac = hmac.New(sha256.New, []byte(r.secret))
	w.sig = make([]byte, 0, len(r.sigPrefix)+2*sha256.Size)
	var ans accepted
	for {
		now := time.Now()
		if (!r.end.IsZero() && !now.Before(r.end)) || r.ctx.Err() != nil {
			return
		}
		counted := !now.Before(r.measureFrom)
		if counted && r.requests > 0 && r.claimed.Add(1) > r.requests {
			return
		}
		i := int(r.next.Add(1) - 1)

		// A fresh body per request: the transport may still be writing
		// the previous one after its response arrived.
		body := r.gen.append(make([]byte, 0, r.gen.sizeHint), i)
		w.mac.Reset()
		w.mac.Write(body)
		w.sig = append(w.sig[:0], r.sigPrefix...)
		w.sig = hex.AppendEncode(w.sig, w.mac.Sum(w.sum[:0]))

		ctx, cancel := r.ctx, context.CancelFunc(func() {})
		if r.reqTimeout > 0 {
			ctx, cancel = context.WithTimeout(r.ctx, r.reqTimeout)
		}
		req := r.newRequest(ctx, body, string(w.sig))

		began := time.Now()
		resp, err := r.client.Do(req)
		if err != nil {
			cancel()
			if r.ctx.Err() != nil {
				return // cut short by the caller: not counted
			}
			w.fail(counted, err.Error())
			continue
		}
		w.resp.Reset()
		_, rerr := w.resp.ReadFrom(io.LimitReader(resp.Body, 64<<10))
		_, _ = io.Copy(io.Discard, resp.Body) // drain so the connection is reused
		_ = resp.Body.Close()
		cancel()
		latency := time.Since(began)
		if rerr != nil && r.ctx.Err() != nil {
			return
		}
		if !counted {
			continue
		}
		w.statuses[resp.StatusCode]++
		switch {
		case rerr != nil:
			w.fail(true, fmt.Sprintf("%d: reading the answer: %v", resp.StatusCode, rerr))
		case resp.StatusCode < 200 || resp.StatusCode > 299:
			w.fail(true, fmt.Sprintf("%d: %s", resp.StatusCode, clip(w.resp.Bytes())))
		default:
			ans = accepted{}
			if err := json.Unmarshal(w.resp.Bytes(), &ans); err != nil || ans.EventID == "" {
				w.fail(true, fmt.Sprintf("%d: want {\"event_id\": \"...\", \"duplicate\": false}, got %s", resp.StatusCode, clip(w.resp.Bytes())))
				continue
			}
			w.sent++
			if ans.Duplicate {
				w.duplicates++
				continue
			}
			w.accepted++
			w.latencies = append(w.latencies, latency)
		}
	}
}

// newRequest is the POST of body to the endpoint, as
// http.NewRequestWithContext makes it but on the URL parsed once by
// validate instead of parsing the endpoint again for every request.
func (r *runner) newRequest(ctx context.Context, body []byte, sig string) *http.Request {
	req := &http.Request{
		Method:        http.MethodPost,
		URL:           r.endpoint,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": contentTypeJSON, r.sigHeader: {sig}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		GetBody:       func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil },
		ContentLength: int64(len(body)),
		Host:          r.endpoint.Host,
	}
	return req.WithContext(ctx)
}

// fail counts a failed request and remembers the first error.
func (w *worker) fail(counted bool, msg string) {
	if !counted {
		return
	}
	w.sent++
	w.failed++
	if w.firstErr == "" {
		w.firstErr, w.firstErrAt = oneLine(msg), time.Now()
	}
}

func clip(b []byte) string {
	if len(b) > maxErrorBody {
		return string(b[:maxErrorBody]) + "..."
	}
	if len(b) == 0 {
		return "(empty body)"
	}
	return string(b)
}

// oneLine folds whitespace so that the error fits Report.String's line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
