package console

import (
	"context"
	"errors"
	"time"

	"github.com/organizer-dev/organizer/engine"
	"github.com/organizer-dev/organizer/rules"
)

// Backend is what the console needs of the service. The service
// implements it; the console holds no state of its own besides it.
type Backend interface {
	// Events lists events newest first, one page at a time.
	Events(ctx context.Context, q EventQuery) (EventPage, error)
	// Event returns one event with its payload and decision, or nil.
	Event(ctx context.Context, id string) (*EventDetail, error)
	// Replay evaluates an event again with the rules in force; found is
	// false when there is no such event.
	Replay(ctx context.Context, id string) (found bool, err error)
	// Approve applies the plan of a held event, Reject drops it, and
	// Revert puts back what the event changed, each as the event's next
	// decision. ErrNotFound when there is no such event; an error that
	// wraps ErrConflict (its message says why) when its state does not
	// allow it.
	Approve(ctx context.Context, id string) error
	Reject(ctx context.Context, id string) error
	Revert(ctx context.Context, id string) error
	// ReplayDead replays the dead letters of a provider (all when "").
	ReplayDead(ctx context.Context, provider string) (int, error)
	// Rules describes the ruleset in force and the last load.
	Rules() RulesStatus
	// DryRun decides an event, or a provider's raw payload, with the rules
	// sent (or the rules in force when none are), storing nothing, as
	// POST /v1/dry-run does. Problems in the rules come back as problems;
	// err is a problem with the event.
	DryRun(ctx context.Context, in DryRunInput) (engine.Decision, rules.ErrorList, error)
	// Impact previews what proposed rules would change over the logged
	// events, as POST /v1/impact does: problems in the rules come back as
	// problems; a *BadInputError is a window it cannot use, or no rules in
	// force to compare with.
	Impact(ctx context.Context, in ImpactInput) (*ImpactReport, rules.ErrorList, error)
	// Schedules lists the schedules of the rules in force.
	Schedules(ctx context.Context) ([]Schedule, error)
	// RunSchedule asks for a run of a schedule now; ErrNotFound when the
	// rules in force have no such schedule.
	RunSchedule(ctx context.Context, name string) (runID string, err error)
	// Activity counts the events received since since, per hour and status.
	Activity(ctx context.Context, since time.Time) ([]HourCount, error)
	// Attention counts what needs a person: dead letters, held events.
	Attention(ctx context.Context) (Attention, error)
	// Providers names the providers the service knows.
	Providers() []string
	// Statuses names the statuses an event may have.
	Statuses() []string
}

// ErrNotFound is what a Backend answers for something that does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is what a Backend answers for an action the event's state
// does not allow, wrapped in an error that says why.
var ErrConflict = errors.New("not allowed now")

// EventQuery selects a page of events. Empty fields do not filter.
type EventQuery struct {
	ContentID string
	Status    string
	Rule      string // a rule the event's decision matched
	Provider  string
	Type      string
	Before    int64 // the Next of the previous page
	Limit     int
}

// EventPage is one page of events.
type EventPage struct {
	Items []EventSummary
	// Next is the Before of the following page; 0 when this is the last.
	Next int64
	// Searched is set when a filter that no index serves (rule, type)
	// stopped after looking at that many events: the page may be short,
	// and Next continues the search with older events.
	Searched int
}

// EventSummary is one event as a list shows it.
type EventSummary struct {
	Seq        int64
	ID         string
	Provider   string
	Type       string
	ContentID  string
	Status     string
	Attempts   int
	Error      string
	ReceivedAt time.Time
	UpdatedAt  time.Time
}

// EventDetail is one event with everything the service keeps of it.
type EventDetail struct {
	EventSummary
	Replays  int
	Payload  []byte
	Decision *engine.Decision // nil until decided
	// Trace is every rule's verdict on the decided event, recomputed with
	// the rules in force (a stored decision keeps only what went wrong);
	// SameRules tells whether those are the rules that decided.
	Trace     []engine.TraceEntry
	SameRules bool
	Results   []ActionResult
	// History is every decision, oldest first, when the service keeps
	// more than the latest.
	History []HistoryEntry
}

// ActionResult is what became of one action of a plan.
type ActionResult struct {
	Action   string
	Kind     string
	Outcome  string
	Attempts int
	Calls    int
	Error    string
}

// HistoryEntry is one decision of an event.
type HistoryEntry struct {
	Generation int
	Ruleset    string
	DecidedAt  time.Time
	Reason     string
	Status     string
	Matched    []string
	HeldBy     []string
}

// RulesStatus is the ruleset in force and the last load attempt.
type RulesStatus struct {
	Path      string
	Digest    string
	LoadedAt  time.Time
	CheckedAt time.Time
	OK        bool
	Errors    rules.ErrorList
	Reloads   int
	Failures  int
	Rules     []engine.RuleInfo // of the ruleset in force
}

// Files lists the files the rules in force come from, in order.
func (s RulesStatus) Files() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range s.Rules {
		f := fileOf(r.Position)
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// DryRunInput is what the playground sends: rule files (name → text; none
// means the rules in force), and an event or a provider's raw payload.
type DryRunInput struct {
	Files    map[string]string
	Event    *engine.Event
	Provider string
	Payload  []byte
}

// Schedule is one schedule of the rules in force.
type Schedule struct {
	Name     string
	Cron     string
	Timezone string
	Provider string
	Source   string
	NextRun  time.Time
	LastRun  *ScheduleRun
}

// ScheduleRun is what a schedule's latest run did.
type ScheduleRun struct {
	RunID     string
	Status    string
	StartedAt *time.Time
	Items     int
	Changed   int
	Failed    int
	Message   string
}

// HourCount is the events received in one hour, by status.
type HourCount struct {
	Start  time.Time
	Counts map[string]int
}

// Attention is what needs a person.
type Attention struct {
	Dead int
	Held int
}
