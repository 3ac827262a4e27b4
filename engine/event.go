package engine

import "time"

// Event is a provider's webhook (or a scheduled query's item) in the form
// rules see: who sent it, what happened, and the content it is about.
type Event struct {
	ID         string         `json:"id"`
	Provider   string         `json:"provider"`
	Type       string         `json:"type"`
	ReceivedAt time.Time      `json:"received_at,omitzero"`
	Content    Content        `json:"content"`
	Data       map[string]any `json:"data"`
}

// Content is the item an event is about, as known after enrichment.
type Content struct {
	ID         string         `json:"id"`
	Title      string         `json:"title"`
	Metadata   map[string]any `json:"metadata"`
	Folder     string         `json:"folder,omitempty"`
	Tags       []string       `json:"tags,omitempty"`
	Visibility string         `json:"visibility,omitempty"`
}
