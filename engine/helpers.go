package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/expr-lang/expr"

	"github.com/organizer-dev/organizer/engine/internal/strfuncs"
)

// maxStringLen bounds the strings that repeat, replace and join may build.
const maxStringLen = 1 << 20

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

func tooLong(name string, n int) error {
	if n > maxStringLen {
		return fmt.Errorf("%s would build a string of %d bytes, over the %d-byte limit", name, n, maxStringLen)
	}
	return nil
}

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
			if err := tooLong("repeat", len(s)*n); err != nil {
				return nil, err
			}
			return strings.Repeat(s, n), nil
		}, new(func(string, int) string)),
		expr.Function("replace", func(p ...any) (any, error) {
			s, old, repl := p[0].(string), p[1].(string), p[2].(string)
			n := strings.Count(s, old)
			if err := tooLong("replace", len(s)+n*(len(repl)-len(old))); err != nil {
				return nil, err
			}
			return strings.ReplaceAll(s, old, repl), nil
		}, new(func(string, string, string) string)),
		expr.Function("join", func(p ...any) (any, error) {
			items, ok := strfuncs.Strings(p[0])
			if !ok {
				return nil, fmt.Errorf("join: %v is not a list of strings", p[0])
			}
			sep := ""
			if len(p) > 1 {
				sep = p[1].(string)
			}
			size := len(sep) * len(items)
			for _, s := range items {
				size += len(s)
			}
			if err := tooLong("join", size); err != nil {
				return nil, err
			}
			return strings.Join(items, sep), nil
		}, new(func([]string, string) string), new(func([]any, string) string), new(func([]string) string), new(func([]any) string)),
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
