package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/organizer-dev/organizer/adapters/notify"
)

// Config is every setting of the service. Each has a default that works
// on a laptop (see Defaults); a YAML file overrides the defaults, the
// environment overrides the file, and the command line overrides both.
// Secrets come only from the environment.
type Config struct {
	Addr  string `yaml:"addr"`  // listen address
	Data  string `yaml:"data"`  // directory of the embedded SQLite store
	Store string `yaml:"store"` // postgres://… selects PostgreSQL; empty: SQLite in Data
	Rules string `yaml:"rules"` // rule file or directory, watched

	BodyLimit         int64    `yaml:"body_limit"`          // largest webhook body, bytes
	ReadHeaderTimeout Duration `yaml:"read_header_timeout"` // slow clients are cut off
	ReadTimeout       Duration `yaml:"read_timeout"`
	WriteTimeout      Duration `yaml:"write_timeout"`
	ShutdownTimeout   Duration `yaml:"shutdown_timeout"` // how long SIGTERM waits for in-flight work

	Workers        int           `yaml:"workers"`         // events processed at once
	MaxAttempts    int           `yaml:"max_attempts"`    // tries before an event is dead-lettered
	RetryHorizon   Duration      `yaml:"retry_horizon"`   // an event still failing this long after it arrived is dead-lettered
	RetryBase      Duration      `yaml:"retry_base"`      // first retry delay; doubles, with jitter
	RetryMax       Duration      `yaml:"retry_max"`       // longest retry delay
	SnoozeMax      Duration      `yaml:"snooze_max"`      // cap on a provider's Retry-After
	Breaker        BreakerConfig `yaml:"breaker"`         // pauses a failing provider's events (see BreakerConfig)
	JobTimeout     Duration      `yaml:"job_timeout"`     // one attempt at one event
	RescueAfter    Duration      `yaml:"rescue_after"`    // a crashed attempt is retried after this
	OrderWait      Duration      `yaml:"order_wait"`      // recheck delay while an earlier event of the item is pending
	Retention      Duration      `yaml:"retention"`       // decided events are deleted this long after their last update
	QueueRetention Duration      `yaml:"queue_retention"` // River keeps finished jobs this long
	CommitWindow   Duration      `yaml:"commit_window"`   // the writer waits this long to commit writes together
	MaxBatch       int           `yaml:"max_batch"`       // most writes (webhooks and pipeline writes) in one transaction
	EchoWindow     Duration      `yaml:"echo_window"`     // a content.updated reporting only what organizer wrote this recently is an echo
	LoopLimit      int           `yaml:"loop_limit"`      // an item organizer changed this often within loop_window is held as a probable loop
	LoopWindow     Duration      `yaml:"loop_window"`

	// Providers' API base URLs; the tokens come from the environment.
	// A provider with no URL and token runs record-only.
	Providers map[string]ProviderConfig `yaml:"providers"`

	Notify NotifyConfig `yaml:"notify"`

	AdminToken     string `yaml:"-"` // ORGANIZER_ADMIN_TOKEN
	notifyHostsEnv string // ORGANIZER_NOTIFY_ALLOW_HOSTS, checked by Validate
	LogLevel       string `yaml:"log_level"`
}

// NotifyConfig is where notify actions may post.
type NotifyConfig struct {
	// AllowHosts lists host or host:port entries that may be reached over
	// http or at loopback, private or link-local addresses; by default a
	// notification goes only to https at a public address. The
	// environment's ORGANIZER_NOTIFY_ALLOW_HOSTS (comma-separated) adds to it.
	AllowHosts []string `yaml:"allow_hosts"`
}

// ProviderConfig is one platform's API settings.
type ProviderConfig struct {
	APIURL string `yaml:"api_url"`
	Token  string `yaml:"-"` // ORGANIZER_<PROVIDER>_API_TOKEN
	// Secret is ORGANIZER_<PROVIDER>_WEBHOOK_SECRET as set: one secret, or
	// a comma-separated list while rotating (see Secrets).
	Secret string `yaml:"-"`
}

// Secrets are the webhook secrets in Secret: the comma-separated entries,
// each with the spaces around it removed. A webhook signed with any of them
// is accepted. Empty when Secret is unset (every webhook is refused); a
// blank entry is left out here and reported by Validate (CheckSecrets).
func (p ProviderConfig) Secrets() []string {
	return SplitSecrets(p.Secret)
}

// SplitSecrets splits a webhook secret setting into its secrets: the
// comma-separated entries, trimmed, blank ones left out.
func SplitSecrets(setting string) []string {
	var out []string
	for _, s := range strings.Split(setting, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// secretEnv is the variable that holds a provider's webhook secrets.
func secretEnv(provider string) string {
	return "ORGANIZER_" + strings.ToUpper(provider) + "_WEBHOOK_SECRET"
}

// CheckSecrets reports webhook secret settings that are set but blank:
// whitespace only, or a list with a blank entry ("a,,b", "a,", " , b").
// Such a setting is a mistake (a variable filled from a missing one, a
// stray comma) rather than a wish to refuse the provider's webhooks, which
// is what leaving the variable unset (or empty) does. Each error names the
// variable and never quotes the secrets.
func (c *Config) CheckSecrets() error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(c.Providers)) {
		setting := c.Providers[name].Secret
		if setting == "" {
			continue
		}
		entries := strings.Split(setting, ",")
		for i, e := range entries {
			if strings.TrimSpace(e) != "" {
				continue
			}
			if len(entries) == 1 {
				errs = append(errs, fmt.Errorf("%s is blank (only whitespace): set the webhook secret configured on %s, or unset the variable to refuse its webhooks",
					secretEnv(name), name))
			} else {
				errs = append(errs, fmt.Errorf("%s: entry %d of %d in the comma-separated list is blank: remove the stray comma",
					secretEnv(name), i+1, len(entries)))
			}
			break
		}
	}
	return errors.Join(errs...)
}

// Defaults returns the settings used when nothing overrides them.
func Defaults() Config {
	return Config{
		Addr:              "127.0.0.1:8080",
		Data:              "./data",
		Rules:             "", // no default: a guess could pick the wrong directory
		BodyLimit:         1 << 20,
		ReadHeaderTimeout: Duration(5 * time.Second),
		ReadTimeout:       Duration(30 * time.Second),
		WriteTimeout:      Duration(30 * time.Second),
		ShutdownTimeout:   Duration(30 * time.Second),
		Workers:           400,
		MaxAttempts:       200, // with retry_max 10m, about a day and a half: the horizon decides first
		RetryHorizon:      Duration(24 * time.Hour),
		RetryBase:         Duration(time.Second),
		RetryMax:          Duration(10 * time.Minute),
		SnoozeMax:         Duration(time.Hour),
		Breaker:           BreakerConfig{Failures: 5, Window: Duration(time.Minute), OpenFor: Duration(30 * time.Second), MaxOpenFor: Duration(5 * time.Minute)},
		JobTimeout:        Duration(time.Minute),
		RescueAfter:       Duration(3 * time.Minute),
		OrderWait:         Duration(100 * time.Millisecond),
		Retention:         Duration(30 * 24 * time.Hour),
		QueueRetention:    Duration(7 * 24 * time.Hour),
		CommitWindow:      Duration(time.Millisecond),
		MaxBatch:          1000,
		EchoWindow:        Duration(5 * time.Minute),
		LoopLimit:         10,
		LoopWindow:        Duration(10 * time.Minute),
		Providers:         map[string]ProviderConfig{},
		LogLevel:          "info",
	}
}

// LoadConfigFile reads a YAML config file over c. Unknown keys are errors,
// so a misspelled setting is not silently ignored.
func (c *Config) LoadConfigFile(path string) error {
	text, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(text))
	dec.KnownFields(true)
	// An empty file (io.EOF) means all defaults.
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// LoadEnv reads the secrets, and the API URLs of the named providers, from
// the environment: ORGANIZER_ADMIN_TOKEN and, per provider,
// ORGANIZER_<P>_WEBHOOK_SECRET, ORGANIZER_<P>_API_URL, ORGANIZER_<P>_API_TOKEN.
func (c *Config) LoadEnv(getenv func(string) string, providers ...string) {
	c.AdminToken = getenv("ORGANIZER_ADMIN_TOKEN")
	c.notifyHostsEnv = getenv("ORGANIZER_NOTIFY_ALLOW_HOSTS")
	if c.Providers == nil {
		c.Providers = map[string]ProviderConfig{}
	}
	for _, name := range providers {
		prefix := "ORGANIZER_" + strings.ToUpper(name) + "_"
		p := c.Providers[name]
		p.Secret = getenv(secretEnv(name))
		p.Token = getenv(prefix + "API_TOKEN")
		if url := getenv(prefix + "API_URL"); url != "" {
			p.APIURL = url
		}
		c.Providers[name] = p
	}
}

// Validate reports settings that cannot work, all at once.
func (c *Config) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(c.Addr != "", "addr must be set")
	if _, err := c.notifyAllowHosts(); err != nil {
		errs = append(errs, err)
	}
	check(c.Rules != "", "no rules: pass --rules PATH (a rule file, or a directory of *.yaml rule files), or set rules: in the config file")
	check(c.Store != "" || c.Data != "", "data or store must be set")
	check(c.Store == "" || isPostgresURL(c.Store), "store must be a postgres:// URL (or empty for SQLite in the data directory), not %q", RedactURL(c.Store))
	check(c.BodyLimit > 0, "body_limit must be positive")
	check(c.Workers > 0, "workers must be positive")
	check(c.MaxAttempts > 0, "max_attempts must be positive")
	check(c.RetryHorizon > 0, "retry_horizon must be positive")
	check(c.MaxBatch > 0, "max_batch must be positive")
	check(c.RetryBase > 0 && c.RetryMax >= c.RetryBase, "retry_base must be positive and at most retry_max")
	check(c.JobTimeout > 0, "job_timeout must be positive")
	check(c.Breaker.Failures >= 0, "breaker.failures must be 0 (no breaker) or more")
	check(c.Breaker.Failures == 0 || (c.Breaker.Window > 0 && c.Breaker.OpenFor > 0 && c.Breaker.MaxOpenFor >= c.Breaker.OpenFor),
		"breaker.window and breaker.open_for must be positive, and breaker.max_open_for at least breaker.open_for")
	check(c.Retention.D() >= time.Second, "retention must be at least 1s")
	check(c.QueueRetention.D() >= time.Second, "queue_retention must be at least 1s")
	check(c.EchoWindow >= 0, "echo_window must not be negative (0 turns echo detection off)")
	check(c.LoopLimit >= 0 && c.LoopWindow >= 0, "loop_limit and loop_window must not be negative (0 turns the loop check off)")
	check(c.RescueAfter.D() > 2*c.JobTimeout.D()+5*time.Second,
		"rescue_after must be longer than twice job_timeout plus 5s (the longest run of a commit's job), or running work would be rescued")
	for name, p := range c.Providers {
		check(p.APIURL == "" || validAPIURL(p.APIURL), "provider %s: the API URL %q is not an http:// or https:// URL", name, RedactURL(p.APIURL))
		check((p.APIURL == "") == (p.Token == ""), "provider %s: set both its API URL and ORGANIZER_%s_API_TOKEN, or neither (record-only)", name, strings.ToUpper(name))
	}
	if err := c.CheckSecrets(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// notifyAllowHosts is notify.allow_hosts with ORGANIZER_NOTIFY_ALLOW_HOSTS.
func (c *Config) notifyAllowHosts() ([]string, error) {
	extra, err := notify.ParseAllowHosts(c.notifyHostsEnv)
	if err != nil {
		return nil, fmt.Errorf("ORGANIZER_NOTIFY_ALLOW_HOSTS: %w", err)
	}
	if _, err := notify.ParseAllowHosts(strings.Join(c.Notify.AllowHosts, ",")); err != nil {
		return nil, fmt.Errorf("notify.allow_hosts: %w", err)
	}
	return append(slices.Clone(c.Notify.AllowHosts), extra...), nil
}

// SQLitePath is the embedded store's file.
func (c *Config) SQLitePath() string { return filepath.Join(c.Data, sqliteFile) }

// sqliteFile is the embedded store's file name inside the data directory.
const sqliteFile = "organizer.db"

func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

func validAPIURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// redactedURL replaces a credential in a URL: the password of its
// userinfo, the value of a query parameter that looks like one.
const redactedURL = "xxxxx"

// RedactURL returns rawURL fit for a log or an error message: without a
// password (https://user:xxxxx@host), without a user name that stands alone
// in an http(s) URL (https://xxxxx@host: such a name is usually a token),
// and with the value of every query parameter whose name suggests a
// credential (token, key, secret, password, auth, signature…) replaced by
// xxxxx. A string that does not parse as a URL is replaced as a whole, as
// it may still hold one.
func RedactURL(rawURL string) string {
	if rawURL == "" {
		return ""
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "[redacted: not a valid URL]"
	}
	if u.User != nil {
		if _, hasPassword := u.User.Password(); hasPassword {
			u.User = url.UserPassword(u.User.Username(), redactedURL)
		} else if !isPostgresURL(rawURL) {
			u.User = url.User(redactedURL)
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for key := range q {
			if credentialParam(key) {
				for i := range q[key] {
					q[key][i] = redactedURL
				}
			}
		}
		u.RawQuery = q.Encode()
	}
	if u.Fragment != "" {
		u.Fragment = redactedURL
	}
	return u.String()
}

// credentialParam reports whether a query parameter's name suggests its
// value is a credential.
func credentialParam(name string) bool {
	name = strings.ToLower(name)
	for _, hint := range []string{"token", "key", "secret", "pass", "pwd", "auth", "sig", "credential", "session"} {
		if strings.Contains(name, hint) {
			return true
		}
	}
	return false
}

// Redact returns s with the credentials in this configuration's URLs (the
// store's, the providers' API URLs) and its tokens and secrets replaced:
// for an error that may quote one of them, such as the PostgreSQL driver's.
func (c *Config) Redact(s string) string {
	var creds []string
	addURL := func(raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			if raw != "" {
				creds = append(creds, raw)
			}
			return
		}
		if u.User != nil {
			if p, ok := u.User.Password(); ok {
				creds = append(creds, p, url.QueryEscape(p), url.PathEscape(p))
			}
		}
		for key, vals := range u.Query() {
			if credentialParam(key) {
				for _, v := range vals {
					creds = append(creds, v, url.QueryEscape(v))
				}
			}
		}
		if RedactURL(raw) != raw {
			s = strings.ReplaceAll(s, raw, RedactURL(raw))
		}
	}
	addURL(c.Store)
	creds = append(creds, c.AdminToken)
	for _, name := range slices.Sorted(maps.Keys(c.Providers)) {
		p := c.Providers[name]
		addURL(p.APIURL)
		creds = append(creds, p.Token)
		creds = append(creds, p.Secrets()...)
	}
	// Longest first, so that a credential containing another is replaced whole.
	slices.SortFunc(creds, func(a, b string) int { return len(b) - len(a) })
	for _, cred := range creds {
		if len(cred) >= 4 { // too short to hide, and would garble the message
			s = strings.ReplaceAll(s, cred, redactedURL)
		}
	}
	return s
}

// Duration is a time.Duration written as "250ms", "30s" or "2m" in YAML.
type Duration time.Duration

// D returns the duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 250ms, 30s or 2m", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML implements yaml.Marshaler.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }
