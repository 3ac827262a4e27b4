package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/organizer-dev/organizer/adapters/shift72/shift72test"
	"github.com/organizer-dev/organizer/adapters/vaultstream/vaultstreamtest"
)

func simulateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "simulate vaultstream|shift72",
		Short: "Run a platform's API simulator, seeded with demo content, for demos and load tests",
		Args:  cobra.ExactArgs(1),
	}
	addr := cmd.Flags().String("addr", "127.0.0.1:9090", "address to listen on")
	token := cmd.Flags().String("token", "", "the API token the simulator accepts (default: the simulator's own)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		handler, base, tokenEnv, apiToken, err := simulator(args[0], *token)
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			return failure{fmt.Errorf("cannot listen on %s: %w", *addr, err)}
		}
		printSimulator(cmd.OutOrStdout(), args[0], "http://"+ln.Addr().String()+base, tokenEnv, apiToken)
		srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			<-cmd.Context().Done()
			_ = srv.Close()
		}()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return failure{err}
		}
		return nil
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

// simulator builds a seeded simulator and says where its API lives.
func simulator(name, token string) (handler http.Handler, base, tokenEnv, apiToken string, err error) {
	switch name {
	case "vaultstream":
		var opts []vaultstreamtest.Option
		if token != "" {
			opts = append(opts, vaultstreamtest.WithToken(token))
		}
		s := vaultstreamtest.New(opts...)
		for _, team := range demoTeams {
			s.AddTeam(team)
		}
		for _, c := range demoContent {
			s.AddContent(c)
		}
		return s.Handler(), "/v1", "ORGANIZER_VAULTSTREAM", s.Token(), nil
	case "shift72":
		if token == "" {
			token = shift72test.AdminToken
		}
		s := shift72test.NewUnstartedServer(shift72test.WithAdminToken(token))
		for _, f := range demoFilms {
			s.AddFilm(f)
		}
		for _, b := range demoBundles {
			s.AddBundle(b, shift72test.StatusDraft)
		}
		return s.Handler(), "", "ORGANIZER_SHIFT72", token, nil
	}
	return nil, "", "", "", fmt.Errorf("unknown simulator %q: want vaultstream or shift72", name)
}

func printSimulator(w io.Writer, name, url, env, token string) {
	fmt.Fprintf(w, "%s simulator listening on %s\n", name, url)
	fmt.Fprintf(w, "point organizer at it with:\n  export %s_API_URL=%s\n  export %s_API_TOKEN=%s\n", env, url, env, token)
}
