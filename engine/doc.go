// Package engine loads rule files into an immutable [Ruleset] and evaluates
// events against it.
//
// Loading is three steps, each apart from the others: [Load] reads the rule
// files at a path (or [LoadFiles] takes them as text), package rules parses
// and validates them, and the engine compiles them. Compilation
// type-checks every condition and template with expr-lang/expr against the
// rule language's vocabulary (event, content, title, metadata, data, now,
// lists, match and the helper functions) and maps every problem to the rule
// file's line and column. The loader is the only place the engine touches
// the file system.
//
// A rule file may also hold schedules: queries to a provider that run on a
// timetable. The loader compiles them with the rules (cron expression, time
// zone, the provider's sources and their params, declared with
// [ProviderSources]); [Ruleset.Schedules] lists them, and each
// [Schedule] gives its next runs and its rendered params for a time the
// caller passes. Every item such a query returns is evaluated like a
// webhook's event, of type schedule.<name>.
//
// [Ruleset.Evaluate] is a pure function of the ruleset, the event and the
// time it is given: it performs no I/O and never reads the clock.
// Evaluation follows the documented semantics: rules run in file order;
// every matching rule contributes; the first rule to set a single-valued
// action (folder, visibility, a metadata field) wins and later different
// values are recorded as overridden; tags, permissions, derivatives and
// notifications accumulate without duplicates; stop ends evaluation after a
// matching rule. Each rule's [Verdict] is in the decision's trace.
//
// A rule file may also hold guards: conditions that read the merged plan as
// plan, checked after every rule. A guard that holds, or fails, puts the
// decision on hold ([Decision.HeldBy], [Hold]) without changing its plan.
//
// With [PayloadFields], loading also warns ([Loaded.Warnings]) about a rule
// reading a data field that no documented payload of its event types has.
//
// For speed, each condition is also compiled into native Go closures where
// its shape allows (field reads, comparisons, keyword and regular-expression
// tests), falling back to the expr VM whenever a value is not of the expected
// type, and rules are indexed by event type, by equality on fields, by
// keywords of the title and by numeric thresholds, so that an event only runs
// the rules that can match it (package engine/internal/fastpath).
package engine
