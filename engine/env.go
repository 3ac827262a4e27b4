package engine

import (
	"context"
	"time"
)

// exprEnv is the vocabulary of rule expressions. Its expr tags are the names a
// rule can use; expressions are type-checked against it when rules load.
type exprEnv struct {
	Event    eventVars         `expr:"event"`
	Content  contentVars       `expr:"content"`
	Title    string            `expr:"title"`    // content.title
	Metadata map[string]any    `expr:"metadata"` // content.metadata
	Data     map[string]any    `expr:"data"`     // the raw provider payload
	Now      time.Time         `expr:"now"`
	Match    map[string]string `expr:"match"` // in templates: the captures of the rule's `matches`
	Plan     planVars          `expr:"plan"`  // in guards: the merged plan

	// Lists types lists.<name> for the first type check; compilation then
	// replaces each use with the list's values.
	Lists map[string][]string `expr:"lists"`

	Ctx context.Context `expr:"ctx"` // carries the evaluation deadline; not for rules

	// Budget counts the bytes helpers build for the event; the patcher
	// passes it to them. Not for rules.
	Budget *renderBudget `expr:"__budget"`
}

// eventVars is `event` in expressions.
type eventVars struct {
	ID         string    `expr:"id"`
	Provider   string    `expr:"provider"`
	Type       string    `expr:"type"`
	ReceivedAt time.Time `expr:"received_at"`
}

// contentVars is `content` in expressions.
type contentVars struct {
	ID         string         `expr:"id"`
	Title      string         `expr:"title"`
	Metadata   map[string]any `expr:"metadata"`
	Folder     string         `expr:"folder"`
	Tags       []string       `expr:"tags"`
	Visibility string         `expr:"visibility"`
}

// envNames are the top-level names rules may use, for suggestions.
var envNames = []string{"event", "content", "title", "metadata", "data", "now", "lists", "match"}

func newEnv(ctx context.Context, ev *Event, now time.Time, budget *renderBudget) *exprEnv {
	return &exprEnv{
		Event: eventVars{ID: ev.ID, Provider: ev.Provider, Type: ev.Type, ReceivedAt: ev.ReceivedAt},
		Content: contentVars{ID: ev.Content.ID, Title: ev.Content.Title, Metadata: ev.Content.Metadata,
			Folder: ev.Content.Folder, Tags: ev.Content.Tags, Visibility: ev.Content.Visibility},
		Title:    ev.Content.Title,
		Metadata: ev.Content.Metadata,
		Data:     ev.Data,
		Now:      now,
		Ctx:      ctx,
		Budget:   budget,
	}
}

// planVars is `plan` in guards: the merged plan, as its JSON shows it.
type planVars struct {
	Folder      string           `expr:"folder"`
	Visibility  string           `expr:"visibility"`
	Tags        []string         `expr:"tags"`
	RemoveTags  []string         `expr:"remove_tags"`
	Permissions []permissionVars `expr:"permissions"`
	Metadata    map[string]any   `expr:"metadata"`
}

// permissionVars is one of plan.permissions.
type permissionVars struct {
	Team       string `expr:"team"`
	User       string `expr:"user"`
	Permission string `expr:"permission"`
}

// noMetadata is plan.metadata when no rule set a field; expressions never
// write to it.
var noMetadata = map[string]any{}

// newPlanVars returns the plan as guards read it: lists empty, never nil.
func newPlanVars(p *Plan) planVars {
	perms := make([]permissionVars, len(p.Permissions))
	for i, perm := range p.Permissions {
		perms[i] = permissionVars(perm)
	}
	metadata := p.Metadata
	if metadata == nil {
		metadata = noMetadata
	}
	return planVars{Folder: p.Folder, Visibility: p.Visibility, Tags: orEmpty(p.Tags), RemoveTags: orEmpty(p.RemoveTags),
		Permissions: perms, Metadata: metadata}
}
