package engine

import "encoding/json"

// Decision is the outcome of evaluating one event: the dry-run result, the
// record the service keeps, and what rule tests compare against.
type Decision struct {
	Event   Event        `json:"event"`
	Ruleset string       `json:"ruleset"`
	Matched []string     `json:"matched"`
	Plan    Plan         `json:"plan"`
	Sources Sources      `json:"sources"`
	Trace   []TraceEntry `json:"trace"`
	// HeldBy names the guards that put the decision on hold, in order;
	// Holds says why. A held decision's plan is not applied.
	HeldBy []string `json:"held_by"`
	Holds  []Hold   `json:"holds"`

	// credits says which rule put each tag of the plan's Tags and
	// RemoveTags there, by rule id into names: four bytes a tag rather than
	// a Source, written out only when asked for (Provenance, JSON).
	credits tagCredits
}

// Held reports whether a guard put the decision on hold.
func (d *Decision) Held() bool { return len(d.HeldBy) > 0 }

// Plan is every action the matching rules ask for, merged.
type Plan struct {
	Folder      string         `json:"folder"`
	Visibility  string         `json:"visibility"`
	Tags        []string       `json:"tags"`
	RemoveTags  []string       `json:"remove_tags"`
	Permissions []Permission   `json:"permissions"`
	Metadata    map[string]any `json:"metadata"`
	Derivatives []Derivative   `json:"derivatives"`
	Notify      []Notify       `json:"notify"`
}

// Permission grants a team or a user access.
type Permission struct {
	Team       string `json:"team,omitempty"`
	User       string `json:"user,omitempty"`
	Permission string `json:"permission"`
}

// Derivative is a request for a derived file: a transcode (profile,
// output_format) or an export (format, start_seconds, duration_seconds, width).
type Derivative struct {
	Kind            string `json:"kind"`
	Profile         string `json:"profile,omitempty"`
	OutputFormat    string `json:"output_format,omitempty"`
	Format          string `json:"format,omitempty"`
	StartSeconds    *int   `json:"start_seconds,omitempty"`
	DurationSeconds *int   `json:"duration_seconds,omitempty"`
	Width           *int   `json:"width,omitempty"`
}

// Notify is a Slack-compatible message to post.
type Notify struct {
	URL  string `json:"url"`
	Text string `json:"text"`
}

// Verdict is what became of one rule in an evaluation: it matched, did not
// match, was skipped, could not be evaluated, is disabled, or matched in
// shadow mode. (What applying an action did is the adapters' business, not
// a verdict.)
type Verdict string

// The verdicts a rule can have.
const (
	Matched    Verdict = "matched"
	NotMatched Verdict = "not_matched"
	Skipped    Verdict = "skipped"
	Errored    Verdict = "error"
	// Disabled is a rule with enabled: false: it is never evaluated.
	Disabled Verdict = "disabled"
	// Shadow is a rule in shadow mode that matched: what it would have
	// contributed is in the entry's Would, never in the plan.
	Shadow Verdict = "shadow"
)

// TraceEntry says what one rule did with the event and why.
type TraceEntry struct {
	Rule       string         `json:"rule"`
	Position   string         `json:"position"`
	Verdict    Verdict        `json:"result"`
	Detail     string         `json:"detail"`
	Values     map[string]any `json:"values"`
	Overridden []string       `json:"overridden"`
	// Would is what a shadow rule that matched would have contributed,
	// on its own; nil for every other entry.
	Would *Plan `json:"would,omitempty"`
}

// newPlan returns a plan whose lists are empty rather than nil. Metadata
// stays nil until a rule sets a field; JSON shows it as {}.
func newPlan() Plan {
	return Plan{Tags: []string{}, RemoveTags: []string{}, Permissions: []Permission{},
		Derivatives: []Derivative{}, Notify: []Notify{}}
}

// MarshalJSON writes empty lists and maps as [] and {}, never null, as the
// JSON contract wants.
func (p Plan) MarshalJSON() ([]byte, error) {
	type plain Plan
	q := plain(p)
	if q.Metadata == nil {
		q.Metadata = map[string]any{}
	}
	q.Tags, q.RemoveTags = orEmpty(q.Tags), orEmpty(q.RemoveTags)
	q.Permissions, q.Derivatives, q.Notify = orEmpty(q.Permissions), orEmpty(q.Derivatives), orEmpty(q.Notify)
	return json.Marshal(q)
}

// MarshalJSON writes an empty match list or trace as [], and the sources
// whole (Provenance).
func (d Decision) MarshalJSON() ([]byte, error) {
	type plain Decision
	q := plain(d)
	q.Sources = d.Provenance()
	q.Matched, q.Trace = orEmpty(q.Matched), orEmpty(q.Trace)
	q.HeldBy, q.Holds = orEmpty(q.HeldBy), orEmpty(q.Holds)
	if q.Event.Data == nil {
		q.Event.Data = map[string]any{}
	}
	if q.Event.Content.Metadata == nil {
		q.Event.Content.Metadata = map[string]any{}
	}
	return json.Marshal(q)
}

// MarshalJSON writes empty values and overrides as {} and [].
func (e TraceEntry) MarshalJSON() ([]byte, error) {
	type plain TraceEntry
	q := plain(e)
	if q.Values == nil {
		q.Values = map[string]any{}
	}
	q.Overridden = orEmpty(q.Overridden)
	return json.Marshal(q)
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
