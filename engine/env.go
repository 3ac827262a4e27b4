package engine

import (
	"context"
	"time"
)

// Env is the vocabulary of rule expressions. Its expr tags are the names a
// rule can use; expressions are type-checked against it when rules load.
type Env struct {
	Event    EventVars         `expr:"event"`
	Content  ContentVars       `expr:"content"`
	Title    string            `expr:"title"`    // content.title
	Metadata map[string]any    `expr:"metadata"` // content.metadata
	Data     map[string]any    `expr:"data"`     // the raw provider payload
	Now      time.Time         `expr:"now"`
	Match    map[string]string `expr:"match"` // in templates: the captures of the rule's `matches`

	// Lists types lists.<name> for the first type check; compilation then
	// replaces each use with the list's values.
	Lists map[string][]string `expr:"lists"`

	Ctx context.Context `expr:"ctx"` // carries the evaluation deadline; not for rules
}

// EventVars is `event` in expressions.
type EventVars struct {
	ID         string    `expr:"id"`
	Provider   string    `expr:"provider"`
	Type       string    `expr:"type"`
	ReceivedAt time.Time `expr:"received_at"`
}

// ContentVars is `content` in expressions.
type ContentVars struct {
	ID         string         `expr:"id"`
	Title      string         `expr:"title"`
	Metadata   map[string]any `expr:"metadata"`
	Folder     string         `expr:"folder"`
	Tags       []string       `expr:"tags"`
	Visibility string         `expr:"visibility"`
}

// Names are the top-level names rules may use, for suggestions.
var Names = []string{"event", "content", "title", "metadata", "data", "now", "lists", "match"}

func newEnv(ctx context.Context, ev *Event, now time.Time) *Env {
	return &Env{
		Event: EventVars{ID: ev.ID, Provider: ev.Provider, Type: ev.Type, ReceivedAt: ev.ReceivedAt},
		Content: ContentVars{ID: ev.Content.ID, Title: ev.Content.Title, Metadata: ev.Content.Metadata,
			Folder: ev.Content.Folder, Tags: ev.Content.Tags, Visibility: ev.Content.Visibility},
		Title:    ev.Content.Title,
		Metadata: ev.Content.Metadata,
		Data:     ev.Data,
		Now:      now,
		Ctx:      ctx,
	}
}
