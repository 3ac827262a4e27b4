// Package rules reads organizer rule files and rule-test files.
//
// It is the first of three steps: rules parses and validates what a content
// manager wrote, engine compiles it into an immutable ruleset, and the
// ruleset evaluates events. Package rules knows YAML and nothing else: it
// does not compile expressions and performs no I/O; it parses the text it
// is given (engine.Load reads the files).
//
// Every value keeps the position it was written at, and every problem is
// reported as a [*Error] whose text reads "file:line:col: message". Parsing
// does not stop at the first problem: [Set.Add] and [Validate] return all
// of them.
//
// A rule file looks like this:
//
//	version: 1
//	lists:
//	  training_words: [training, module, onboarding, compliance]
//	schedules:
//	  - name: stale-content
//	    cron: "0 2 * * *"
//	    provider: vaultstream
//	    source: content-usage
//	    params:
//	      last_accessed_before: "{{ daysAgo(90) }}"
//	rules:
//	  - name: training
//	    description: Training content goes to the Training folder
//	    on: [content.transcoded]
//	    provider: vaultstream
//	    when: containsAny(lower(title), lists.training_words)
//	    stop: true
//	    actions:
//	      folder: Training
//	      tags: [training]
//
// A schedule is a query to a provider on a timetable; each item it returns
// is an event of type schedule.<name> (see [Schedule]). Package rules reads
// its fields; the engine checks what they mean.
//
// Files whose name ends in _test.yaml (or _test.yml) hold rule tests instead;
// see [TestFile].
package rules
