package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr"

	"github.com/organizer-dev/organizer/engine/internal/strfuncs"
)

// daysSince returns the whole days from t to now. t is a time or a string
// in RFC 3339 or YYYY-MM-DD form.
func daysSince(t any, now time.Time) (int, error) {
	var at time.Time
	switch v := t.(type) {
	case time.Time:
		at = v
	case string:
		var err error
		if at, err = parseTime(v); err != nil {
			return 0, err
		}
	case nil:
		return 0, errors.New("daysSince: the date is missing")
	default:
		return 0, fmt.Errorf("daysSince: %v is not a date", t)
	}
	return int(now.Sub(at).Hours() / 24), nil
}

// maxDaysAgo bounds daysAgo's argument, well inside what a time.Duration holds.
const maxDaysAgo = 1_000_000

// daysAgo returns now minus n days of 24 hours, so that
// daysSince(daysAgo(n)) is n.
func daysAgo(n int, now time.Time) (time.Time, error) {
	if n > maxDaysAgo || n < -maxDaysAgo {
		return time.Time{}, fmt.Errorf("daysAgo: %d days is out of range (at most %d)", n, maxDaysAgo)
	}
	return now.Add(-time.Duration(n) * 24 * time.Hour), nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("daysSince: %q is not a date (want RFC 3339 or YYYY-MM-DD)", s)
}

func stringArg(name string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		if v == nil {
			return "", fmt.Errorf("%s: the value is missing (nil)", name)
		}
		return "", fmt.Errorf("%s: %v (%T) is not a string", name, v, v)
	}
	return s, nil
}

// budgeted are the helpers whose calls the patcher gives the evaluation's
// render budget as a last argument (see budget.go). lower, upper, titleCase
// and slug are not among them, so the fast path still reads their calls:
// they build at most a few times their argument, which they bound instead.
var budgeted = map[string]int{"repeat": 2, "replace": 3, "join": 2, "toJSON": 1, "toBase64": 1, "string": 1}

// functions are the helpers rules may call, with the types the checker sees.
// lower, upper, repeat, replace and join replace expr's builtins: the first
// two with Python's semantics, the others with a bound on what they build.
func functions() []expr.Option {
	str1 := func(name string, f func(string) string) expr.Option {
		return expr.Function(name, func(p ...any) (any, error) {
			s, err := stringArg(name, p[0])
			if err != nil {
				return nil, err
			}
			if len(s) > maxValueLen {
				return nil, fmt.Errorf("%s: the string is %d bytes, more than the 64 KiB a value may hold", name, len(s))
			}
			return f(s), nil
		}, new(func(string) string))
	}
	return []expr.Option{
		str1("lower", strfuncs.Lower),
		str1("upper", strfuncs.Upper),
		str1("titleCase", strfuncs.TitleCase),
		str1("slug", strfuncs.Slug),
		expr.Function("containsAny", func(p ...any) (any, error) {
			s, err := stringArg("containsAny", p[0])
			if err != nil {
				return nil, err
			}
			words, ok := strfuncs.Strings(p[1])
			if !ok {
				return nil, fmt.Errorf("containsAny: %v is not a list of strings", p[1])
			}
			return strfuncs.ContainsAny(s, words), nil
		}, new(func(string, []string) bool), new(func(string, []any) bool)),
		expr.Function("daysSince", func(p ...any) (any, error) {
			return daysSince(p[0], p[1].(time.Time))
		}, new(func(any, time.Time) int), new(func(any) int)),
		expr.Function("daysAgo", func(p ...any) (any, error) {
			return daysAgo(p[0].(int), p[1].(time.Time))
		}, new(func(int, time.Time) time.Time), new(func(int) time.Time)),
		expr.Function("repeat", func(p ...any) (any, error) {
			s, n := p[0].(string), p[1].(int)
			if n < 0 {
				return nil, errors.New("repeat: negative count")
			}
			if err := budgetArg(p).charge("repeat", mulLen(len(s), n)); err != nil {
				return nil, err
			}
			return strings.Repeat(s, n), nil
		}, new(func(string, int) string), new(func(string, int, *renderBudget) string)),
		expr.Function("replace", func(p ...any) (any, error) {
			s, old, repl := p[0].(string), p[1].(string), p[2].(string)
			n := strings.Count(s, old)
			if old == "" {
				n = utf8.RuneCountInString(s) + 1
			}
			grow := mulLen(n, len(repl)-len(old))
			if len(repl) < len(old) {
				grow = 0
			}
			if grow < 0 {
				grow = -1 << 40
			}
			if err := budgetArg(p).charge("replace", len(s)+grow); err != nil {
				return nil, err
			}
			return strings.ReplaceAll(s, old, repl), nil
		}, new(func(string, string, string) string), new(func(string, string, string, *renderBudget) string)),
		expr.Function("join", func(p ...any) (any, error) {
			items, ok := strfuncs.Strings(p[0])
			if !ok {
				return nil, fmt.Errorf("join: %v is not a list of strings", p[0])
			}
			sep := ""
			if len(p) > 1 {
				sep, _ = p[1].(string)
			}
			size := mulLen(len(sep), len(items))
			for _, s := range items {
				if size < 0 || size > maxValueLen {
					break
				}
				size += len(s)
			}
			if err := budgetArg(p).charge("join", size); err != nil {
				return nil, err
			}
			return strings.Join(items, sep), nil
		}, new(func([]string, string) string), new(func([]any, string) string), new(func([]string) string), new(func([]any) string),
			new(func([]string, string, *renderBudget) string), new(func([]any, string, *renderBudget) string),
			new(func([]string, *renderBudget) string), new(func([]any, *renderBudget) string)),
		expr.Function("toJSON", func(p ...any) (any, error) {
			return toJSON(p[0], budgetArg(p))
		}, new(func(any) string), new(func(any, *renderBudget) string)),
		expr.Function("toBase64", func(p ...any) (any, error) {
			s, err := stringArg("toBase64", p[0])
			if err != nil {
				return nil, err
			}
			return toBase64(s, budgetArg(p))
		}, new(func(string) string), new(func(string, *renderBudget) string)),
		expr.Function("string", func(p ...any) (any, error) {
			return stringOf(p[0], budgetArg(p))
		}, new(func(any) string), new(func(any, *renderBudget) string)),
		expr.Function("__concat", func(p ...any) (any, error) {
			return concat(p[0].(string), p[1].(string), budgetArg(p))
		}, new(func(string, string, *renderBudget) string)),
		expr.Function("__tick", func(p ...any) (any, error) {
			if ctx, ok := p[0].(context.Context); ok && ctx != nil {
				if err := ctx.Err(); err != nil {
					return nil, fmt.Errorf("evaluation deadline exceeded: %w", err)
				}
			}
			return true, nil
		}, new(func(context.Context) bool)),
	}
}

// functionNames are the helpers rules may call, for suggestions.
var functionNames = []string{"containsAny", "titleCase", "slug", "daysSince", "daysAgo", "lower", "upper"}
