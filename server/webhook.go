package server

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/organizer-dev/organizer/adapters"
)

// webhook is POST /webhooks/{provider}: read the body within the limit,
// verify the signature over the raw bytes before anything else, decode,
// then store the event and its job durably and only then answer 202. A
// redelivery answers 200 with the first delivery's id and changes nothing.
// Nothing is stored for a request that is refused.
func (s *Service) webhook(c *gin.Context) {
	start := time.Now()
	name := c.Param("provider")
	p, ok := s.registry.Lookup(name)
	if !ok {
		s.refuse(c, "unknown", start, codeUnknownProvider,
			fmt.Sprintf("no provider %q (known: %v)", name, s.registry.Names()))
		return
	}
	body, ok := s.readBody(c)
	if !ok {
		s.metrics.observeWebhook(name, c.Writer.Status(), time.Since(start))
		return
	}
	ev, err := p.Decode(c.Request.Header, body)
	switch {
	case adapters.IsSignatureError(err):
		s.refuse(c, name, start, codeInvalidSignature, err.Error())
		return
	case err != nil:
		s.refuse(c, name, start, codeMalformedBody, err.Error())
		return
	}
	status := StatusQueued
	if !slices.Contains(p.EventTypes(), ev.Type) {
		status = StatusIgnored // kept for the record; no rule is written for it
	}
	dup, err := s.store.writes.submit(c.Request.Context(), &newEvent{
		id: ev.ID, provider: name, typ: ev.Type, contentID: ev.Content.ID,
		payload: body, receivedAt: start.UTC(), status: status,
	})
	if err != nil {
		c.Header("Retry-After", "1")
		s.refuse(c, name, start, codeUnavailable,
			"the event could not be stored; send it again")
		return
	}
	code := http.StatusAccepted
	if dup {
		code = http.StatusOK
	}
	c.JSON(code, gin.H{"event_id": ev.ID, "duplicate": dup})
	s.metrics.observeWebhook(name, code, time.Since(start))
}

func (s *Service) refuse(c *gin.Context, provider string, start time.Time, code apiCode, message string) {
	apiError(c, code, message)
	s.metrics.observeWebhook(provider, apiStatus[code], time.Since(start))
}
