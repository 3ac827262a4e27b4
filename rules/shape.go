package rules

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/invopop/jsonschema"
	orderedmap "github.com/pb33f/ordered-map/v2"
)

// The shape types describe rule files and rule-test files as written, key by
// key, for the JSON Schema that `organizer schema` prints and editors use.
// The walker reads only the keys these types name (shapeKeys): a key it
// reads that the schema lacks is reported as an internal error, and a test
// checks that it reads every key the schema has.

// RuleFileShape is a rule file.
type RuleFileShape struct {
	Version   int               `json:"version" jsonschema:"required,enum=1" jsonschema_description:"The rule-file format version: 1."`
	Lists     map[string][]Text `json:"lists,omitempty" jsonschema_description:"Named lists of values, used in expressions as lists.<name>."`
	Schedules []ScheduleShape   `json:"schedules,omitempty" jsonschema_description:"Queries to a provider on a timetable; each item becomes an event of type schedule.<name>."`
	Guards    []GuardShape      `json:"guards,omitempty" jsonschema_description:"Conditions on the merged plan that put a decision on hold."`
	Rules     []RuleShape       `json:"rules,omitempty" jsonschema_description:"The rules, evaluated in order."`
}

// JSONSchemaExtend restricts list names to what the loader accepts.
func (RuleFileShape) JSONSchemaExtend(s *jsonschema.Schema) {
	if lists, ok := s.Properties.Get("lists"); ok {
		lists.PropertyNames = &jsonschema.Schema{Type: "string", Pattern: "^[a-z0-9_][a-z0-9_-]*$"}
	}
}

// RuleShape is one rule.
type RuleShape struct {
	Name        Name          `json:"name" jsonschema:"required" jsonschema_description:"Unique across the rule set."`
	Description Text          `json:"description,omitempty"`
	On          EventTypes    `json:"on,omitempty" jsonschema_description:"Event types; * is a wildcard. Omit for every event."`
	Provider    Text          `json:"provider,omitempty" jsonschema_description:"Only this provider's events."`
	When        Text          `json:"when,omitempty" jsonschema_description:"A condition (expression). No when means always."`
	Stop        bool          `json:"stop,omitempty" jsonschema_description:"Stop evaluating later rules when this one matches."`
	Enabled     bool          `json:"enabled,omitempty" jsonschema_description:"false: the rule is never evaluated."`
	Mode        string        `json:"mode,omitempty" jsonschema:"enum=live,enum=shadow" jsonschema_description:"live (default): actions join the plan; shadow: only reported."`
	Actions     *ActionsShape `json:"actions,omitempty"`
}

// JSONSchemaExtend requires actions of a rule that does not stop.
func (RuleShape) JSONSchemaExtend(s *jsonschema.Schema) {
	s.If = &jsonschema.Schema{Required: []string{"stop"}, Properties: properties("stop", &jsonschema.Schema{Const: true})}
	s.Else = &jsonschema.Schema{Required: []string{"actions"}}
}

// JSONSchemaExtend requires the provider of a raw payload.
func (TestCaseShape) JSONSchemaExtend(s *jsonschema.Schema) {
	s.DependentRequired = map[string][]string{"payload": {"provider"}}
}

func properties(name string, s *jsonschema.Schema) *orderedmap.OrderedMap[string, *jsonschema.Schema] {
	m := orderedmap.New[string, *jsonschema.Schema]()
	m.Set(name, s)
	return m
}

// ActionsShape is what a rule does when it matches.
type ActionsShape struct {
	Folder      Text              `json:"folder,omitempty"`
	Visibility  Visibility        `json:"visibility,omitempty"`
	Tags        TextList          `json:"tags,omitempty"`
	RemoveTags  TextList          `json:"remove_tags,omitempty"`
	Permissions []PermissionShape `json:"permissions,omitempty"`
	Metadata    map[string]Value  `json:"metadata,omitempty"`
	Derivatives []DerivativeShape `json:"derivatives,omitempty"`
	Notify      []NotifyShape     `json:"notify,omitempty"`
}

// PermissionShape grants a team or a user access.
type PermissionShape struct {
	Team       Text            `json:"team,omitempty" jsonschema:"oneof_required=team"`
	User       Text            `json:"user,omitempty" jsonschema:"oneof_required=user"`
	Permission PermissionLevel `json:"permission" jsonschema:"required"`
}

// DerivativeShape asks for a derived file: exactly one of transcode or export.
type DerivativeShape struct {
	Transcode *TranscodeShape `json:"transcode,omitempty"`
	Export    *ExportShape    `json:"export,omitempty"`
}

// JSONSchemaExtend makes a derivative exactly one key.
func (DerivativeShape) JSONSchemaExtend(s *jsonschema.Schema) {
	one := uint64(1)
	s.MinProperties, s.MaxProperties = &one, &one
}

// TranscodeShape is a transcode derivative.
type TranscodeShape struct {
	Profile      Text `json:"profile" jsonschema:"required"`
	OutputFormat Text `json:"output_format" jsonschema:"required"`
}

// ExportShape is an export derivative.
type ExportShape struct {
	Format          Text    `json:"format" jsonschema:"required"`
	StartSeconds    Integer `json:"start_seconds,omitempty"`
	DurationSeconds Integer `json:"duration_seconds,omitempty"`
	Width           Integer `json:"width,omitempty"`
}

// NotifyShape posts a message to a URL.
type NotifyShape struct {
	URL  Text `json:"url" jsonschema:"required"`
	Text Text `json:"text" jsonschema:"required"`
}

// GuardShape is one guard.
type GuardShape struct {
	Name    Name `json:"name" jsonschema:"required" jsonschema_description:"Unique across the rule set."`
	When    Text `json:"when" jsonschema:"required" jsonschema_description:"A condition that may read plan; true puts the decision on hold."`
	Message Text `json:"message,omitempty" jsonschema_description:"Why the decision is held."`
}

// ScheduleShape is one schedule.
type ScheduleShape struct {
	Name       Name            `json:"name" jsonschema:"required"`
	Cron       Text            `json:"cron" jsonschema:"required" jsonschema_description:"Five-field cron expression."`
	Timezone   Text            `json:"timezone,omitempty" jsonschema_description:"IANA time zone; default UTC."`
	Provider   Text            `json:"provider" jsonschema:"required"`
	Source     Text            `json:"source" jsonschema:"required"`
	MaxChanges int             `json:"max_changes,omitempty" jsonschema:"minimum=1" jsonschema_description:"How many items one run may change; default 100."`
	Params     map[string]Text `json:"params,omitempty"`
}

// TestFileShape is a *_test.yaml file.
type TestFileShape struct {
	Tests []TestCaseShape `json:"tests,omitempty"`
}

// TestCaseShape is one rule test.
type TestCaseShape struct {
	Name     Text        `json:"name" jsonschema:"required"`
	Now      Text        `json:"now,omitempty" jsonschema_description:"RFC 3339 time for now."`
	Event    *EventShape `json:"event,omitempty" jsonschema:"oneof_required=event"`
	Provider Text        `json:"provider,omitempty"`
	Payload  any         `json:"payload,omitempty" jsonschema:"oneof_required=payload" jsonschema_description:"A raw provider payload; needs provider."`
	Expect   ExpectShape `json:"expect" jsonschema:"required"`
}

// EventShape is a normalized event.
type EventShape struct {
	ID         Text           `json:"id,omitempty"`
	Provider   Text           `json:"provider,omitempty"`
	Type       Text           `json:"type,omitempty"`
	ReceivedAt Text           `json:"received_at,omitempty"`
	Content    *ContentShape  `json:"content,omitempty"`
	Data       map[string]any `json:"data,omitempty"`
}

// ContentShape is the content an event is about.
type ContentShape struct {
	ID         Text           `json:"id,omitempty"`
	Title      Text           `json:"title,omitempty"`
	Metadata   map[string]any `json:"metadata,omitempty"`
	Folder     Text           `json:"folder,omitempty"`
	Tags       []Text         `json:"tags,omitempty"`
	Visibility Text           `json:"visibility,omitempty"`
}

// ExpectShape is what a rule test expects; only the keys present are checked.
type ExpectShape struct {
	Matched     any `json:"matched,omitempty"`
	Errors      any `json:"errors,omitempty"`
	Folder      any `json:"folder,omitempty"`
	Visibility  any `json:"visibility,omitempty"`
	Tags        any `json:"tags,omitempty"`
	RemoveTags  any `json:"remove_tags,omitempty"`
	Permissions any `json:"permissions,omitempty"`
	Metadata    any `json:"metadata,omitempty"`
	Derivatives any `json:"derivatives,omitempty"`
	Notify      any `json:"notify,omitempty"`
	HeldBy      any `json:"held_by,omitempty"`
}

// Text is a scalar: YAML reads an unquoted 2024 or true as a number or a
// boolean, and the loader takes it as text.
type Text string

var scalarTypes = []*jsonschema.Schema{{Type: "string"}, {Type: "number"}, {Type: "boolean"}}

// JSONSchema implements jsonschema's custom schema.
func (Text) JSONSchema() *jsonschema.Schema { return &jsonschema.Schema{AnyOf: scalarTypes} }

// Name is the name of a rule, guard or schedule: a-z, 0-9, _ and -. YAML
// reads an unquoted 42 as a number, which the loader takes as the name "42".
type Name string

// JSONSchema implements jsonschema's custom schema.
func (Name) JSONSchema() *jsonschema.Schema {
	zero := json.Number("0")
	return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{
		{Type: "string", Pattern: namePattern.String()}, {Type: "integer", Minimum: zero}}}
}

// Value is a metadata value: a scalar, or nothing.
type Value struct{}

// JSONSchema implements jsonschema's custom schema.
func (Value) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{AnyOf: append(scalarTypes[:len(scalarTypes):len(scalarTypes)], &jsonschema.Schema{Type: "null"})}
}

// TextList is a list of scalars, or one scalar taken as a list of one.
type TextList []Text

// JSONSchema implements jsonschema's custom schema.
func (TextList) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{AnyOf: append(scalarTypes[:len(scalarTypes):len(scalarTypes)],
		&jsonschema.Schema{Type: "array", Items: &jsonschema.Schema{AnyOf: scalarTypes}})}
}

// EventTypes is one event-type pattern or a list of them.
type EventTypes []string

// JSONSchema implements jsonschema's custom schema.
func (EventTypes) JSONSchema() *jsonschema.Schema {
	one := &jsonschema.Schema{Type: "string", Pattern: eventPattern.String()}
	min := uint64(1)
	return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{one, {Type: "array", Items: one, MinItems: &min}}}
}

// templatePattern matches a value holding a {{ }} template, checked when it
// is rendered rather than when it loads.
const templatePattern = `\{\{`

func enumOrTemplate(values []string) *jsonschema.Schema {
	enum := make([]any, len(values))
	for i, v := range values {
		enum[i] = v
	}
	return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Enum: enum}, {Type: "string", Pattern: templatePattern}}}
}

// Visibility is one of Visibilities, or a template.
type Visibility string

// JSONSchema implements jsonschema's custom schema.
func (Visibility) JSONSchema() *jsonschema.Schema { return enumOrTemplate(Visibilities) }

// PermissionLevel is one of PermissionLevels, or a template.
type PermissionLevel string

// JSONSchema implements jsonschema's custom schema.
func (PermissionLevel) JSONSchema() *jsonschema.Schema { return enumOrTemplate(PermissionLevels) }

// Integer is a whole number, or a template.
type Integer string

// JSONSchema implements jsonschema's custom schema.
func (Integer) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{AnyOf: []*jsonschema.Schema{{Type: "integer"}, {Type: "string", Pattern: templatePattern}}}
}

// Schema kinds that RuleSchema prints.
const (
	SchemaRules = "rules"
	SchemaTests = "tests"
)

// Schema returns the JSON Schema (draft 2020-12) of rule files (kind
// "rules") or rule-test files ("tests"), indented.
func Schema(kind string) ([]byte, error) {
	var (
		v     any
		title string
	)
	switch kind {
	case SchemaRules:
		v, title = RuleFileShape{}, "organizer rule file"
	case SchemaTests:
		v, title = TestFileShape{}, "organizer rule-test file"
	default:
		return nil, fmt.Errorf("no schema for %q (known: %s, %s)", kind, SchemaRules, SchemaTests)
	}
	r := &jsonschema.Reflector{RequiredFromJSONSchemaTags: true, ExpandedStruct: true,
		Namer: func(t reflect.Type) string { return strings.TrimSuffix(t.Name(), "Shape") }}
	s := r.Reflect(v)
	s.Title = title
	s.ID = ""
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	return append(b, '\n'), nil
}

// shapeKeys are the keys of each mapping the walker reads, by the name the
// walker gives it, from the shape types' json tags.
var shapeKeys = map[string][]string{
	"rule file":  keysOf(RuleFileShape{}),
	"rule":       keysOf(RuleShape{}),
	"action":     keysOf(ActionsShape{}),
	"permission": keysOf(PermissionShape{}),
	"transcode":  keysOf(TranscodeShape{}),
	"export":     keysOf(ExportShape{}),
	"notify":     keysOf(NotifyShape{}),
	"guard":      keysOf(GuardShape{}),
	"schedule":   keysOf(ScheduleShape{}),
	"test file":  keysOf(TestFileShape{}),
	"test":       keysOf(TestCaseShape{}),
	"event":      keysOf(EventShape{}),
	"content":    keysOf(ContentShape{}),
	"expect":     keysOf(ExpectShape{}),
}

// keysOf returns the json names of a struct's fields, in order.
func keysOf(v any) []string {
	t := reflect.TypeOf(v)
	out := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}
