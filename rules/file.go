package rules

// Version is the only rule-file format version there is.
const Version = 1

// File is one rule file as written.
type File struct {
	Path      string
	Source    []byte // the file's text
	Lists     []*List
	Schedules []*Schedule
	Rules     []*Rule
	Guards    []*Guard
}

// List is a named list of values, usable in expressions as lists.<name>.
type List struct {
	Name   Scalar
	Values []Scalar
}

// Schedule is one entry of a rule file's schedules: a query to a provider
// that runs on a timetable, each item it returns becoming an event of type
// schedule.<name>.
type Schedule struct {
	Name       Scalar
	Cron       Scalar
	Timezone   *Scalar // nil means UTC
	Provider   Scalar
	Source     Scalar
	MaxChanges *Scalar // nil means DefaultMaxChanges; when set, a whole number of at least 1
	Params     []*Param
	Pos        Pos // where the schedule's mapping starts
}

// DefaultMaxChanges is a schedule's change budget when it sets no max_changes.
const DefaultMaxChanges = 100

// Rule is one rule as written.
type Rule struct {
	Name        Scalar
	NameKey     Pos // where `name:` is written: the rule's position in traces
	Description string
	On          []Scalar // event-type patterns; empty means every event
	Provider    *Scalar  // nil means every provider
	When        *Scalar  // nil means always
	Stop        bool
	Enabled     bool // false: the rule is never evaluated (enabled: false)
	Mode        Mode // live (the default) or shadow
	Actions     Actions
	Pos         Pos // where the rule's mapping starts
}

// Mode says whether a matching rule's actions join the plan (live) or are
// only reported, as what it would have contributed (shadow).
type Mode string

// The modes a rule can have.
const (
	Live   Mode = "live"
	Shadow Mode = "shadow"
)

// Modes are the values of a rule's mode.
var Modes = []string{string(Live), string(Shadow)}

// Actions is what a rule does when it matches. Every string is a template.
type Actions struct {
	Folder      *Template
	Visibility  *Template
	Tags        []*Template
	RemoveTags  []*Template
	Permissions []*Permission
	Metadata    []*MetadataField
	Derivatives []*Derivative
	Notify      []*Notify
}

// Empty reports whether no action is set.
func (a *Actions) Empty() bool {
	return a.Folder == nil && a.Visibility == nil && len(a.Tags) == 0 && len(a.RemoveTags) == 0 &&
		len(a.Permissions) == 0 && len(a.Metadata) == 0 && len(a.Derivatives) == 0 && len(a.Notify) == 0
}

// Permission grants a team or a user access to the content.
type Permission struct {
	Team       *Template
	User       *Template
	Permission *Template
	Pos        Pos
}

// MetadataField sets one metadata field. A value written as a YAML number or
// boolean keeps its type; a string is a template.
type MetadataField struct {
	Key   Scalar
	Value *Template
	Typed any // set for non-string scalars
}

// Derivative asks the provider to produce a derived file (Pattern 4).
type Derivative struct {
	Kind   Scalar // transcode or export
	Params []*Param
}

// Param is one named parameter of a derivative or of a schedule's query.
type Param struct {
	Key   Scalar
	Value *Template
}

// Notify posts a Slack-compatible {"text": ...} message to a URL.
type Notify struct {
	URL  *Template
	Text *Template
	Pos  Pos
}

// DerivativeParams lists, per derivative kind, its parameters and whether
// each is required and numeric.
var DerivativeParams = map[string][]ParamSpec{
	"transcode": {{Name: "profile", Required: true}, {Name: "output_format", Required: true}},
	"export": {
		{Name: "format", Required: true},
		{Name: "start_seconds", Integer: true},
		{Name: "duration_seconds", Integer: true},
		{Name: "width", Integer: true},
	},
}

// ParamSpec describes one derivative parameter.
type ParamSpec struct {
	Name     string
	Required bool
	Integer  bool
}

// Visibilities are the values the visibility action takes.
var Visibilities = []string{"private", "team", "org", "public"}

// PermissionLevels are the values a permission takes.
var PermissionLevels = []string{"view", "edit", "admin"}
