package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
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

simulate chat is a Slack-compatible incoming webhook (POST {"text": …} to
/hooks/NAME) that prints each message it gets: somewhere for the rules'
notify actions to post to while trying organizer.`,
		Args: cobra.ExactArgs(1),
	}
	addr := cmd.Flags().String("addr", "127.0.0.1:9090", "address to listen on")
	token := cmd.Flags().String("token", "", "the API token the simulator accepts (default: the simulator's own)")
	seed := cmd.Flags().String("seed", "", "a JSON file of content to start with, instead of the demo content")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if args[0] == "chat" {
			listen := *addr
			if !cmd.Flags().Changed("addr") {
				listen = "127.0.0.1:9095"
			}
			return serveChat(cmd, listen)
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
		handler, base, tokenEnv, apiToken, summary, err := simulator(args[0], *token, data)
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

// badSeed is a seed file that cannot be read as its simulator's seed.
type badSeed struct{ err error }

func (b badSeed) Error() string { return b.err.Error() }

// simulator builds a simulator and says where its API lives. Without seed
// it holds the demo content; with seed (JSON), that content instead, and
// summary says how much. A seed that does not parse is a badSeed.
func simulator(name, token string, seed []byte) (handler http.Handler, base, tokenEnv, apiToken, summary string, err error) {
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
