// Package server is the running organizer service: signed webhooks in,
// durable queue, workers, decision log and admin API. It arrives with
// issue 4; until then organizer runs as the command-line tools.
package server
