package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func revertCommand() *cobra.Command {
	var run, event, service string
	cmd := &cobra.Command{
		Use:   "revert (--run ID | --event ID) [--service URL]",
		Short: "Put back what a sweep run or an event changed, through the running service",
		Long: `revert asks the running service to undo what organizer applied: every item of a
schedule's run (--run, the run_id of POST /v1/schedules/NAME/run or GET /v1/schedules),
or one event (--event). Each is recorded as a new decision with reason revert and
applied like any other; a field someone else changed since is left alone and
reported as a conflict. The admin token is read from ORGANIZER_ADMIN_TOKEN.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (run == "") == (event == "") {
				return errors.New("give --run ID or --event ID")
			}
			path := "/v1/sweeps/" + url.PathEscape(run) + "/revert"
			if event != "" {
				path = "/v1/events/" + url.PathEscape(event) + "/revert"
			}
			body, err := postAdmin(cmd.Context(), service, path)
			if err != nil {
				return failure{err}
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), strings.TrimSpace(string(body)))
			return err
		},
	}
	cmd.Flags().StringVar(&run, "run", "", "the run_id of a schedule's run")
	cmd.Flags().StringVar(&event, "event", "", "an event id")
	cmd.Flags().StringVar(&service, "service", "http://127.0.0.1:8080", "the service's address")
	return cmd
}

// postAdmin POSTs to the admin API of a running service, with the admin
// token when one is set, and returns the answer's body, or an error with
// the API's message.
func postAdmin(ctx context.Context, service, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(service, "/")+path, bytes.NewReader(nil))
	if err != nil {
		return nil, fmt.Errorf("--service: %w", err)
	}
	if token := os.Getenv("ORGANIZER_ADMIN_TOKEN"); token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("asking the service: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the service's answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
			return nil, fmt.Errorf("the service answered %d: %s", resp.StatusCode, e.Error.Message)
		}
		return nil, fmt.Errorf("the service answered %d", resp.StatusCode)
	}
	return body, nil
}
