package adapters

import (
	"io"
	"net/http"
	"time"
)

// DefaultTimeout bounds each call of a provider's API client unless
// WithTimeout or WithHTTPClient says otherwise.
const DefaultTimeout = 10 * time.Second

// ClientOption configures the HTTP side of a provider's API client.
type ClientOption func(*clientConfig)

type clientConfig struct {
	timeout    time.Duration
	timeoutSet bool
	httpClient *http.Client
	pageSize   int
}

// WithPageSize sets how many items a Querier asks the platform for per page
// (each page its each sees holds at most that many); 0 or less keeps the
// client's default, and a platform may cap it (see docs/providers.md).
func WithPageSize(n int) ClientOption {
	return func(c *clientConfig) { c.pageSize = max(n, 0) }
}

// PageSize returns the page size the options set, or def when they set none.
func PageSize(def int, opts ...ClientOption) int {
	var cfg clientConfig
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.pageSize > 0 {
		return cfg.pageSize
	}
	return def
}

// WithTimeout bounds each call (connection, request and the whole answer);
// 0 means no bound. With WithHTTPClient, it applies to a copy of that client.
func WithTimeout(d time.Duration) ClientOption {
	return func(c *clientConfig) { c.timeout, c.timeoutSet = d, true }
}

// WithHTTPClient sends the calls with hc, as it is configured (its own
// Timeout included, unless WithTimeout is given too).
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *clientConfig) { c.httpClient = hc }
}

// HTTPClient returns the *http.Client the options describe.
func HTTPClient(opts ...ClientOption) *http.Client {
	cfg := clientConfig{timeout: DefaultTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case cfg.httpClient == nil:
		return &http.Client{Timeout: cfg.timeout}
	case cfg.timeoutSet:
		c := *cfg.httpClient
		c.Timeout = cfg.timeout
		return &c
	}
	return cfg.httpClient
}

// DrainClose reads what is left of an answer's body (a little of it) and
// closes it, so that the connection can be reused.
func DrainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}
