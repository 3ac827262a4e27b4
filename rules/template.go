package rules

import (
	"strings"
	"unicode/utf8"
)

// Template is a string value that may embed expressions as {{ expr }}.
type Template struct {
	Scalar
	Parts []Part
}

// Part is one piece of a template: literal text, or an expression.
type Part struct {
	Literal string
	Expr    string // set when the part is an expression
	Offset  int    // rune offset of Expr (or Literal) within the template's value
}

// IsExpr reports whether the part is an expression.
func (p Part) IsExpr() bool { return p.Expr != "" }

// IsLiteral reports whether the template holds no expression.
func (t *Template) IsLiteral() bool {
	for _, p := range t.Parts {
		if p.IsExpr() {
			return false
		}
	}
	return true
}

// parseTemplate splits s into literal and {{ expr }} parts, reporting an
// unclosed or empty {{ at its position.
func parseTemplate(s Scalar, errs *ErrorList) *Template {
	t := &Template{Scalar: s}
	rest, off := s.Value, 0
	for rest != "" {
		open := strings.Index(rest, "{{")
		if open < 0 {
			t.Parts = append(t.Parts, Part{Literal: rest, Offset: off})
			break
		}
		if open > 0 {
			t.Parts = append(t.Parts, Part{Literal: rest[:open], Offset: off})
		}
		openOff := off + utf8.RuneCountInString(rest[:open])
		body := rest[open+2:]
		end := strings.Index(body, "}}")
		if end < 0 {
			errs.Add(s.PosAt(openOff), "template has {{ without a closing }}")
			return t
		}
		inner := body[:end]
		lead := len(inner) - len(strings.TrimLeft(inner, " \t\n"))
		exprOff := openOff + 2 + utf8.RuneCountInString(inner[:lead])
		if strings.TrimSpace(inner) == "" {
			errs.Add(s.PosAt(openOff), "template has an empty {{ }}")
		} else {
			t.Parts = append(t.Parts, Part{Expr: strings.TrimRight(inner[lead:], " \t\n"), Offset: exprOff})
		}
		consumed := open + 2 + end + 2
		off += utf8.RuneCountInString(rest[:consumed])
		rest = rest[consumed:]
	}
	return t
}
