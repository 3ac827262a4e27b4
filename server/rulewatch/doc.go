// Package rulewatch is the service's source of the current rule set.
//
// A [Source] loads the rule files at a path (a file or a directory) with
// [engine.Load], the loader every entry point shares, and swaps the
// compiled [engine.Ruleset] in atomically, so that [Source.Current] is
// lock-free and always returns a complete ruleset. A load that fails — a
// syntax error, an unknown field, an expression that does not type-check,
// every rule file deleted — keeps the last good ruleset in force; its
// problems, each with a file:line:col position, are kept for
// [Source.Status] and returned by [Source.Load].
//
// [Source.Watch] reloads when the files change. It watches the path and its
// parent directory with fsnotify, so that editors' rename-on-save, a
// `git pull` replacing several files at once and a directory swapped by
// renaming a symlink over it are all seen, and it debounces bursts of events
// into one reload. Because file-system notifications can be lost, it also
// polls: every poll interval it compares a fingerprint of the rule files
// (names, sizes, modification times; stat only) with the one taken at the
// last load, and reloads only when it differs. A load whose files give the
// digest of the ruleset in force leaves that ruleset in place and does not
// count as a reload.
//
// The package only watches and swaps: reading, parsing, validating and
// compiling the files are engine.Load's.
package rulewatch
