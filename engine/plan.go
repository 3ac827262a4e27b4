package engine

// Decision is the outcome of evaluating one event: the dry-run result, the
// record the service keeps, and what rule tests compare against.
type Decision struct {
	Event   Event        `json:"event"`
	Ruleset string       `json:"ruleset"`
	Matched []string     `json:"matched"`
	Plan    Plan         `json:"plan"`
	Trace   []TraceEntry `json:"trace"`
}

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

// Result is what happened to one rule.
type Result string

// The results a rule can have.
const (
	Matched    Result = "matched"
	NotMatched Result = "not_matched"
	Skipped    Result = "skipped"
	Errored    Result = "error"
)

// TraceEntry says what one rule did with the event and why.
type TraceEntry struct {
	Rule       string         `json:"rule"`
	Position   string         `json:"position"`
	Result     Result         `json:"result"`
	Detail     string         `json:"detail"`
	Values     map[string]any `json:"values"`
	Overridden []string       `json:"overridden"`
}

// newPlan returns a plan whose lists are empty rather than null, as the JSON
// contract wants.
func newPlan() Plan {
	return Plan{Tags: []string{}, RemoveTags: []string{}, Permissions: []Permission{},
		Metadata: map[string]any{}, Derivatives: []Derivative{}, Notify: []Notify{}}
}
