package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/organizer-dev/organizer/adapters"
	"github.com/organizer-dev/organizer/server"
)

func serveCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve [--config FILE] [--rules PATH] [--addr HOST:PORT] [--data DIR] [--store URL]",
		Short: "Run the service: signed webhooks in, rules decide, actions applied",
		Long: `Run the service: signed webhooks in, rules decide, actions applied.

Settings come from defaults, then the --config YAML file, then the
environment, then these flags. Secrets come only from the environment:
ORGANIZER_<PROVIDER>_WEBHOOK_SECRET (a comma-separated list while
rotating; unset: that provider's webhooks are refused; blank: serve does
not start), ORGANIZER_<PROVIDER>_API_URL and _API_TOKEN (unset:
record-only), ORGANIZER_ADMIN_TOKEN. Logs are JSON on standard error; the
credentials in URLs are logged redacted.`,
		Args: cobra.NoArgs,
	}
	def := server.Defaults()
	configFile := cmd.Flags().String("config", "", "YAML config file")
	rulesPath := cmd.Flags().String("rules", def.Rules, "rule file or directory, watched for edits")
	addr := cmd.Flags().String("addr", def.Addr, "listen address")
	data := cmd.Flags().String("data", def.Data, "directory of the embedded SQLite store")
	store := cmd.Flags().String("store", "", "postgres://… to share a PostgreSQL store between replicas")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg := server.Defaults()
		if *configFile != "" {
			if err := cfg.LoadConfigFile(*configFile); err != nil {
				return failure{err}
			}
		}
		cfg.LoadEnv(os.Getenv, providerNames...)
		// A blank secret is a configuration mistake: refuse to start (exit 2).
		if err := cfg.CheckSecrets(); err != nil {
			return err
		}
		flags := cmd.Flags()
		if flags.Changed("rules") {
			cfg.Rules = *rulesPath
		}
		if flags.Changed("addr") {
			cfg.Addr = *addr
		}
		if flags.Changed("data") {
			cfg.Data = *data
		}
		if flags.Changed("store") {
			cfg.Store = *store
		}
		var level slog.Level
		if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
			return failure{fmt.Errorf("log_level: %w", err)}
		}
		log := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
		reg := registry(func(name string) string { return cfg.Providers[name].Secret })
		clients := map[string]adapters.Client{}
		for name, p := range cfg.Providers {
			if p.APIURL != "" && p.Token != "" {
				if c, ok := newClient(name, p.APIURL, p.Token); ok {
					clients[name] = c
				}
			}
		}
		svc, err := server.New(cmd.Context(), cfg, reg, clients, log)
		if err != nil {
			return failure{redacted(cfg, err)}
		}
		if err := svc.Run(cmd.Context()); err != nil {
			return failure{redacted(cfg, err)}
		}
		return nil
	}
	return cmd
}

// redacted is err with the credentials of cfg's URLs, tokens and secrets
// taken out of its message (a driver's error may quote the store's URL).
// It still unwraps to err.
func redacted(cfg server.Config, err error) error {
	msg := cfg.Redact(err.Error())
	if msg == err.Error() {
		return err
	}
	return redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }
