package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/organizer-dev/organizer/adapters/shift72/shift72test"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

func simulateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "simulate vaultstream|shift72|chat",
		Short: "Run a platform's API simulator, seeded with demo content, for demos and load tests",
		Long: `Run a platform's API simulator, seeded with demo content, for demos and load tests.

--seed FILE replaces the demo content with the teams, folders and content of a
JSON file (VaultStream), or its films and bundles (SHIFT72); docs/providers.md
describes both formats.

Faults, for seeing how organizer copes with a slow or failing platform
(the chat simulator takes none):
  --latency D      every request waits D before it is answered.
  --fail-rate F    a fraction F (0 to 1) of the requests, reads and writes
                   alike, chosen at random, fail with 503 and the platform's
                   error body (VaultStream's "unavailable"), changing nothing.
  --rate-limit N   at most N requests a second, by a token bucket of N tokens
                   refilled at N a second: a burst of N passes at once, then
                   one every 1/N s. Over it, 429 with Retry-After (VaultStream's
                   "rate_limited"); a refused request changes nothing.
Every request counts, whatever its path or token; a request the rate limit
lets through may still fail at the fail rate. The command prints the faults
it serves.

simulate chat is a Slack-compatible incoming webhook (POST {"text": …} to
/hooks/NAME) that prints each message it gets: somewhere for the rules'
notify actions to post to while trying organizer.`,
		Args: cobra.ExactArgs(1),
	}
	addr := cmd.Flags().String("addr", "127.0.0.1:9090", "address to listen on")
	token := cmd.Flags().String("token", "", "the API token the simulator accepts (default: the simulator's own)")
	seed := cmd.Flags().String("seed", "", "a JSON file of content to start with, instead of the demo content")
	var faults simFaults
	cmd.Flags().DurationVar(&faults.latency, "latency", 0, "delay every request by D, such as 100ms")
	cmd.Flags().Float64Var(&faults.failRate, "fail-rate", 0, "the fraction of requests, 0 to 1, that fail with 503 at random")
	cmd.Flags().IntVar(&faults.rateLimit, "rate-limit", 0, "at most N requests a second (a token bucket); over it, 429 with Retry-After")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if args[0] == "chat" {
			for _, f := range []string{"latency", "fail-rate", "rate-limit", "seed"} {
				if cmd.Flags().Changed(f) {
					return fmt.Errorf("simulate chat takes no --%s: it is for the platform simulators (vaultstream, shift72)", f)
				}
			}
			listen := *addr
			if !cmd.Flags().Changed("addr") {
				listen = "127.0.0.1:9095"
			}
			return serveChat(cmd, listen)
		}
		if err := faults.check(); err != nil {
			return err
		}
		var data []byte
		if *seed != "" {
			if !slices.Contains(providerNames, args[0]) {
				return fmt.Errorf("unknown simulator %q: want vaultstream or shift72 (chat takes no seed)", args[0])
			}
			var err error
			if data, err = os.ReadFile(*seed); err != nil {
				return failure{fmt.Errorf("cannot read the seed: %w", err)}
			}
		}
		handler, base, tokenEnv, apiToken, summary, err := simulator(args[0], *token, data, faults)
		if err != nil {
			var bad badSeed
			if errors.As(err, &bad) {
				return failure{fmt.Errorf("%s: %w", *seed, bad.err)}
			}
			return err
		}
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return failure{fmt.Errorf("cannot listen on %s: %w", *addr, err)}
		}
		if *seed != "" {
			fmt.Fprintf(cmd.OutOrStdout(), "seeded from %s: %s\n", *seed, summary)
		}
		printSimulator(cmd.OutOrStdout(), args[0], "http://"+ln.Addr().String()+base, tokenEnv, apiToken)
		faults.print(cmd.OutOrStdout())
		return serveUntilDone(cmd, ln, handler)
	}
	return cmd
}

// The demo content `organizer simulate` starts with. It agrees with the
// example rules (examples/rules) and webhooks (examples/payloads): every
// team a rule grants a permission to exists, and every bundle a SHIFT72
// rule files into, so each demo item's webhook ends applied, never dead
// (TestSimulateDemoApplied). VaultStream teams are made by people, never by
// organizer: publish.yaml grants the item's department's team, or General.
var (
	demoTeams   = []string{"Communications", "General", "HR", "Sales", "ÉQUIPE FINANCE"}
	demoContent = []vaultstreamtest.Content{
		{ID: "c_1001", Title: "Onboarding 101: Security basics", Metadata: map[string]any{"department": "HR"}},
		{ID: "c_1002", Title: "Q3 All-Hands and Town Hall", Metadata: map[string]any{"department": "Communications"}},
		{ID: "c_1003", Title: "Budget walkthrough FY27", Metadata: map[string]any{"department": "ÉQUIPE FINANCE"}},
	}
	demoFilms   = []shift72test.Film{{ID: 176, Title: "The Matrix", Genres: []string{"Sci-Fi"}, Published: true}}
	demoBundles = []string{"Ready To Publish"}
)

// simFaults are the faults simulate's flags ask for; the zero value is none.
type simFaults struct {
	latency   time.Duration
	failRate  float64
	rateLimit int
}

// failSource is where the fail rate draws from: nil seeds it at random.
// Tests replace it, to fail the same requests every run.
var failSource = func() rand.Source { return nil }

// check refuses faults that cannot be served, as a usage error.
func (f simFaults) check() error {
	switch {
	case f.latency < 0:
		return fmt.Errorf("--latency %v: want 0 or more, such as 100ms", f.latency)
	case !(f.failRate >= 0 && f.failRate <= 1):
		return fmt.Errorf("--fail-rate %v: want a fraction from 0 to 1, such as 0.1", f.failRate)
	case f.rateLimit < 0:
		return fmt.Errorf("--rate-limit %d: want 0 (none) or more requests a second", f.rateLimit)
	}
	return nil
}

// faultable is what both simulators offer for simulate's faults.
type faultable interface {
	SetLatency(time.Duration)
	SetFailRate(float64, rand.Source) error
	SetRateLimit(int) error
}

// apply sets the faults on a simulator; check has passed.
func (f simFaults) apply(s faultable) error {
	s.SetLatency(f.latency)
	if f.failRate > 0 {
		if err := s.SetFailRate(f.failRate, failSource()); err != nil {
			return err
		}
	}
	return s.SetRateLimit(f.rateLimit)
}

// print says which faults the simulator serves, one line each, or nothing
// when it serves none.
func (f simFaults) print(w io.Writer) {
	var lines []string
	if f.latency > 0 {
		lines = append(lines, fmt.Sprintf("latency %v: every request waits %v before it is answered", f.latency, f.latency))
	}
	if f.failRate > 0 {
		lines = append(lines, fmt.Sprintf("fail rate %v: about %.4g%% of requests, reads and writes alike, fail at random with 503", f.failRate, f.failRate*100))
	}
	if f.rateLimit > 0 {
		lines = append(lines, fmt.Sprintf("rate limit %d/s: a token bucket of %d, refilled at %d a second; over it, 429 with Retry-After", f.rateLimit, f.rateLimit, f.rateLimit))
	}
	if len(lines) > 0 {
		fmt.Fprintf(w, "faults:\n  %s\n", strings.Join(lines, "\n  "))
	}
}

// badSeed is a seed file that cannot be read as its simulator's seed.
type badSeed struct{ err error }

func (b badSeed) Error() string { return b.err.Error() }

// simulator builds a simulator and says where its API lives. Without seed
// it holds the demo content; with seed (JSON), that content instead, and
// summary says how much. A seed that does not parse is a badSeed. It
// serves the faults.
func simulator(name, token string, seed []byte, faults simFaults) (handler http.Handler, base, tokenEnv, apiToken, summary string, err error) {
	switch name {
	case "vaultstream":
		var opts []vaultstreamtest.Option
		if token != "" {
			opts = append(opts, vaultstreamtest.WithToken(token))
		}
		s := vaultstreamtest.New(opts...)
		if seed != nil {
			sd, err := vaultstreamtest.ParseSeed(seed)
			if err != nil {
				return nil, "", "", "", "", badSeed{err}
			}
			s.Load(sd)
			summary = fmt.Sprintf("%d content items, %d folders, %d teams", len(sd.Content), len(s.Folders()), len(s.Teams()))
		} else {
			for _, team := range demoTeams {
				s.AddTeam(team)
			}
			for _, c := range demoContent {
				s.AddContent(c)
			}
		}
		if err := faults.apply(s); err != nil {
			return nil, "", "", "", "", err
		}
		return s.Handler(), "/v1", "ORGANIZER_VAULTSTREAM", s.Token(), summary, nil
	case "shift72":
		if token == "" {
			token = shift72test.AdminToken
		}
		s := shift72test.NewUnstartedServer(shift72test.WithAdminToken(token))
		if seed != nil {
			sd, err := shift72test.ParseSeed(seed)
			if err != nil {
				return nil, "", "", "", "", badSeed{err}
			}
			s.Load(sd)
			summary = fmt.Sprintf("%d films, %d bundles", len(sd.Films), len(sd.Bundles))
		} else {
			for _, f := range demoFilms {
				s.AddFilm(f)
			}
			for _, b := range demoBundles {
				s.AddBundle(b, shift72test.StatusDraft)
			}
		}
		if err := faults.apply(s); err != nil {
			return nil, "", "", "", "", err
		}
		return s.Handler(), "", "ORGANIZER_SHIFT72", token, summary, nil
	}
	return nil, "", "", "", "", fmt.Errorf("unknown simulator %q: want vaultstream, shift72 or chat", name)
}

func printSimulator(w io.Writer, name, url, env, token string) {
	fmt.Fprintf(w, "%s simulator listening on %s\n", name, url)
	fmt.Fprintf(w, "point organizer at it with:\n  export %s_API_URL=%s\n  export %s_API_TOKEN=%s\n", env, url, env, token)
}

// serveChat runs a Slack-compatible incoming webhook that prints what it
// gets, until the command's context ends.
func serveChat(cmd *cobra.Command, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return failure{fmt.Errorf("cannot listen on %s: %w", addr, err)}
	}
	out := cmd.OutOrStdout()
	host := ln.Addr().String()
	fmt.Fprintf(out, "chat simulator listening on http://%s/hooks/NAME\n", host)
	fmt.Fprintf(out, "let organizer post to it with:\n  export ORGANIZER_NOTIFY_ALLOW_HOSTS=%s\n", host)
	var mu sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/{name}", func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			Text *string `json:"text"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&msg); err != nil || msg.Text == nil {
			http.Error(w, "invalid_payload", http.StatusBadRequest) // Slack's answer to a body without text
			return
		}
		mu.Lock()
		fmt.Fprintf(out, "#%s: %s\n", r.PathValue("name"), *msg.Text)
		mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	})
	return serveUntilDone(cmd, ln, mux)
}

// serveUntilDone serves a simulator on ln until the command's context ends.
func serveUntilDone(cmd *cobra.Command, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-cmd.Context().Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return failure{err}
	}
	return nil
}
