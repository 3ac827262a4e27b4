package adapters

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/organizer-dev/organizer/engine"
)

// Client is a platform's API as organizer uses it: it fetches an item's
// current state for enrichment and applies a plan's actions to it.
type Client interface {
	// Fetch returns the content's current title, metadata, folder, tags and
	// visibility. A missing item is a *CallError of kind Permanent.
	Fetch(ctx context.Context, contentID string) (engine.Content, error)
	// Apply performs the actions on one item, in order, and returns one
	// result per action. It reads the item's state once and writes only what
	// differs from it, so applying the same actions twice writes nothing the
	// second time. An action the platform cannot perform is Unsupported.
	Apply(ctx context.Context, contentID string, actions []Action) []Result
}

// StateReader is a Client that can apply actions to the state it read for
// enrichment, so that an attempt reads the item once rather than twice
// (Fetch, then Apply's own read). ReadState is Fetch that also returns the
// state; ApplyState is Apply from that state, which must be fresh: read in
// the same attempt, just before. A State is used once.
type StateReader interface {
	ReadState(ctx context.Context, contentID string) (engine.Content, State, error)
	ApplyState(ctx context.Context, st State, actions []Action) []Result
}

// State is what a StateReader read of an item, as only it understands.
type State any

// ActionKind names what an action does.
type ActionKind string

// The kinds of action, in the order Actions lists them.
const (
	SetFolder     ActionKind = "folder"
	SetVisibility ActionKind = "visibility"
	AddTag        ActionKind = "tag"
	RemoveTag     ActionKind = "remove_tag"
	Grant         ActionKind = "permission"
	SetMetadata   ActionKind = "metadata"
	Derive        ActionKind = "derivative"
)

// Action is one step of a plan for one content item.
type Action struct {
	Kind       ActionKind
	Value      string            // folder, visibility or tag
	Permission engine.Permission // for Grant
	Key        string            // for SetMetadata
	Metadata   any               // for SetMetadata
	Derivative engine.Derivative // for Derive
}

func (a Action) String() string {
	switch a.Kind {
	case Grant:
		who := "team " + a.Permission.Team
		if a.Permission.User != "" {
			who = "user " + a.Permission.User
		}
		return fmt.Sprintf("permission %s: %s", who, a.Permission.Permission)
	case SetMetadata:
		return fmt.Sprintf("metadata.%s = %v", a.Key, a.Metadata)
	case Derive:
		return "derivative " + a.Derivative.Kind
	}
	return fmt.Sprintf("%s %q", a.Kind, a.Value)
}

// Actions lists a plan's actions for the platform, in a fixed order: folder,
// visibility, tags, removed tags, permissions, metadata (by key), derivatives.
// Notifications are not platform actions and are not listed.
func Actions(p engine.Plan) []Action {
	var out []Action
	if p.Folder != "" {
		out = append(out, Action{Kind: SetFolder, Value: p.Folder})
	}
	if p.Visibility != "" {
		out = append(out, Action{Kind: SetVisibility, Value: p.Visibility})
	}
	for _, t := range p.Tags {
		out = append(out, Action{Kind: AddTag, Value: t})
	}
	for _, t := range p.RemoveTags {
		out = append(out, Action{Kind: RemoveTag, Value: t})
	}
	for _, perm := range p.Permissions {
		out = append(out, Action{Kind: Grant, Permission: perm})
	}
	keys := make([]string, 0, len(p.Metadata))
	for k := range p.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, Action{Kind: SetMetadata, Key: k, Metadata: p.Metadata[k]})
	}
	for _, d := range p.Derivatives {
		out = append(out, Action{Kind: Derive, Derivative: d})
	}
	return out
}

// Outcome is what happened to one action.
type Outcome string

// The outcomes of an action.
const (
	Applied     Outcome = "applied"     // the platform changed
	Unchanged   Outcome = "unchanged"   // it already was so: nothing written
	Unsupported Outcome = "unsupported" // the platform cannot do this
	Failed      Outcome = "failed"      // see Err, a *CallError when the platform answered
)

// Result is the outcome of one action.
type Result struct {
	Action  Action
	Outcome Outcome
	Calls   int   // API calls made for this action (reads and writes)
	Writes  int   // of which writes
	Err     error // for Failed, and the reason for Unsupported
}

// FailedResults is a Failed result with err for each action: the answer of
// an Apply that could not start, such as when the item cannot be read.
func FailedResults(actions []Action, err error) []Result {
	results := make([]Result, len(actions))
	for i, a := range actions {
		results[i] = Result{Action: a, Outcome: Failed, Err: err}
	}
	return results
}

// ErrUnsupported marks an action a platform cannot perform.
var ErrUnsupported = errors.New("the platform cannot perform this action")

// Item is one row of a provider query: the content as the platform has it,
// and the source row.
type Item struct {
	Content engine.Content // id, title, metadata, folder, tags, visibility as the platform has them
	Row     map[string]any // the source row as the platform returned it (rules see it as data)
}

// Querier is implemented by API clients that can list content for sweeps.
type Querier interface {
	// Query pages through every result of source with params, calling each with every page in order;
	// an error from each stops the query and is returned.
	Query(ctx context.Context, source string, params map[string]string, each func(page []Item) error) error
}

// ErrBadQuery marks a query the provider cannot run as asked: an unknown
// source, an unknown param or a param value of the wrong form. No call was
// made, and asking again will fail again.
var ErrBadQuery = errors.New("bad query")

// CheckQuery checks a query's source and param names against the sources a
// provider declares (source → the params it takes); an error wraps
// ErrBadQuery and names what is known.
func CheckQuery(provider string, sources map[string][]string, source string, params map[string]string) error {
	known, ok := sources[source]
	if !ok {
		names := slices.Sorted(maps.Keys(sources))
		return fmt.Errorf("%s has no query source %q (known: %s): %w", provider, source, strings.Join(names, ", "), ErrBadQuery)
	}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		if slices.Contains(known, k) {
			continue
		}
		if len(known) == 0 {
			return fmt.Errorf("%s query %s takes no params, not %q: %w", provider, source, k, ErrBadQuery)
		}
		return fmt.Errorf("%s query %s has no param %q (known: %s): %w", provider, source, k, strings.Join(known, ", "), ErrBadQuery)
	}
	return nil
}
