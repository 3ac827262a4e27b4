package engine

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Limits on what templates and string helpers build, so that a rule cannot
// make one evaluation allocate without bound: each value is at most
// maxValueLen bytes, and everything the templates render and the helpers
// build for one event at most maxRenderedPerEvent bytes. Helpers check
// before they allocate.
const (
	maxValueLen         = 64 << 10 // bytes in one rendered value or helper result
	maxRenderedPerEvent = 1 << 20  // bytes rendered and built per event
)

// renderBudget counts the bytes built for one event.
type renderBudget struct {
	used int
}

func (b *renderBudget) reset() { b.used = 0 }

// charge counts n bytes that name is about to build, failing when the value
// or the event's total would exceed its limit. A nil budget checks only the
// value.
func (b *renderBudget) charge(name string, n int) error {
	if n > maxValueLen || n < 0 {
		return fmt.Errorf("%s would build %s, more than the 64 KiB a value may hold", name, size(n))
	}
	if b == nil {
		return nil
	}
	if b.used+n > maxRenderedPerEvent {
		return fmt.Errorf("%s would build %s, over the 1 MiB rendered per event (%s used so far)", name, size(n), size(b.used))
	}
	b.used += n
	return nil
}

// templateCharge counts a rendered template value.
func (b *renderBudget) templateCharge(n int) error {
	if n > maxValueLen {
		return fmt.Errorf("template renders more than 64 KiB (%s)", size(n))
	}
	if b.used+n > maxRenderedPerEvent {
		return fmt.Errorf("templates render more than 1 MiB for this event")
	}
	b.used += n
	return nil
}

func size(n int) string {
	if n < 0 {
		return "too many bytes"
	}
	return fmt.Sprintf("%d bytes", n)
}

// budgetArg is the budget a patched helper call receives as its last argument.
func budgetArg(p []any) *renderBudget {
	if len(p) == 0 {
		return nil
	}
	b, _ := p[len(p)-1].(*renderBudget)
	return b
}

// deadline reports, as an error, that ctx has passed its deadline.
func deadline(ctx context.Context, what string) error {
	if ctx == nil {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: evaluation deadline exceeded while rendering: %w", what, err)
	}
	return nil
}

// mulLen returns a*b, or -1 when it overflows.
func mulLen(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > (1<<62)/b {
		return -1
	}
	return a * b
}

// minSize returns a lower bound on the bytes any text form of v takes (its
// strings, and at least one byte per scalar and two per container), counting
// no further than limit+1, so that cyclic or huge values stop early.
func minSize(v reflect.Value, limit int) int {
	n := 0
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		if n > limit {
			return
		}
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer:
			if v.IsNil() {
				n += 1
				return
			}
			walk(v.Elem())
		case reflect.String:
			n += v.Len() + 1
		case reflect.Slice, reflect.Array:
			n += 2
			for i := 0; i < v.Len() && n <= limit; i++ {
				walk(v.Index(i))
				n++
			}
		case reflect.Map:
			n += 2
			it := v.MapRange()
			for it.Next() && n <= limit {
				walk(it.Key())
				walk(it.Value())
				n++
			}
		case reflect.Struct:
			n += 2
			for i := 0; i < v.NumField() && n <= limit; i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		default:
			n++
		}
	}
	walk(v)
	return n
}

// toJSON is expr's toJSON (indented by two spaces) with bounds: it refuses a
// value whose text would exceed the limits before building it. Indentation
// grows with the square of nesting depth, so the indented size is computed
// from the compact form first.
func toJSON(v any, b *renderBudget) (string, error) {
	if minSize(reflect.ValueOf(v), maxValueLen) > maxValueLen {
		return "", fmt.Errorf("toJSON would build more than the 64 KiB a value may hold")
	}
	compact, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("toJSON: %w", err)
	}
	if err := b.charge("toJSON", indentedLen(compact, maxValueLen)); err != nil {
		return "", err
	}
	var out bytes.Buffer
	out.Grow(indentedLen(compact, maxValueLen))
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		return "", fmt.Errorf("toJSON: %w", err)
	}
	return out.String(), nil
}

// indentedLen returns the length json.Indent(dst, compact, "", "  ") gives,
// or limit+1 once it exceeds limit.
func indentedLen(compact []byte, limit int) int {
	n, depth, inString, escaped := 0, 0, false, false
	newline := func() { n += 1 + 2*depth }
	for i, c := range compact {
		if n > limit {
			return limit + 1
		}
		n++
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case ':':
			n++ // ": "
		case ',':
			newline()
		case '{', '[':
			depth++
			if i+1 < len(compact) && (compact[i+1] == '}' || compact[i+1] == ']') {
				continue // empty: no newline
			}
			newline()
		case '}', ']':
			depth--
			if i > 0 && (compact[i-1] == '{' || compact[i-1] == '[') {
				continue
			}
			n-- // the bracket goes after the newline
			newline()
			n++
		}
	}
	if n > limit {
		return limit + 1
	}
	return n
}

// stringOf is expr's string(v) (fmt's %v), refusing a value whose text
// would exceed the limits before building it.
func stringOf(v any, b *renderBudget) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	if minSize(reflect.ValueOf(v), maxValueLen) > maxValueLen {
		return "", fmt.Errorf("string would build more than the 64 KiB a value may hold")
	}
	s := fmt.Sprintf("%v", v)
	if err := b.charge("string", len(s)); err != nil {
		return "", err
	}
	return s, nil
}

func toBase64(s string, b *renderBudget) (string, error) {
	if err := b.charge("toBase64", base64.StdEncoding.EncodedLen(len(s))); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func concat(a, c string, b *renderBudget) (string, error) {
	if err := b.charge("+", len(a)+len(c)); err != nil {
		return "", err
	}
	var sb strings.Builder
	sb.Grow(len(a) + len(c))
	sb.WriteString(a)
	sb.WriteString(c)
	return sb.String(), nil
}
