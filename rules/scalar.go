package rules

import (
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Scalar is a YAML scalar together with where it was written.
type Scalar struct {
	Value string
	Pos   Pos // the first character of the scalar, quote or block indicator included

	style   yaml.Style
	src     *source
	comment string // a YAML comment after the scalar on its line
}

// source is a rule file's text, kept so that positions inside a scalar's
// value can be mapped back to the file.
type source struct {
	name  string
	text  []byte
	lines []int // byte offset at which each line starts
}

func newSource(name string, text []byte) *source {
	s := &source{name: name, text: text, lines: []int{0}}
	for i, b := range text {
		if b == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	return s
}

// offset returns the byte offset of a 1-based line and rune column.
func (s *source) offset(line, col int) int {
	if line < 1 || line > len(s.lines) {
		return len(s.text)
	}
	off := s.lines[line-1]
	for c := 1; c < col && off < len(s.text) && s.text[off] != '\n'; c++ {
		_, size := utf8.DecodeRune(s.text[off:])
		off += size
	}
	return off
}

// pos returns the 1-based line and rune column of a byte offset.
func (s *source) pos(off int) Pos {
	line := 1
	for line < len(s.lines) && s.lines[line] <= off {
		line++
	}
	col := utf8.RuneCount(s.text[s.lines[line-1]:off]) + 1
	return Pos{File: s.name, Line: line, Col: col}
}

func newScalar(src *source, n *yaml.Node) Scalar {
	return Scalar{Value: n.Value, Pos: Pos{File: src.name, Line: n.Line, Col: n.Column}, style: n.Style, src: src,
		comment: n.LineComment}
}

// MaybeCut reports whether the scalar is unquoted and followed by a comment
// on its line: YAML ends a plain value at " #", which cuts an expression
// such as `all(tags, # != "x")` short.
func (s Scalar) MaybeCut() bool {
	return s.style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 &&
		s.comment != ""
}

// Quoted reports whether the scalar was written in quotes.
func (s Scalar) Quoted() bool {
	return s.style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0
}

// PosAt returns the file position of the rune at offset runeOff in Value.
// It walks the scalar as written, so quotes, escapes, block indentation and
// folded lines all land on the character the user typed.
func (s Scalar) PosAt(runeOff int) Pos {
	if s.src == nil {
		return s.Pos
	}
	raw := s.src.text
	p := s.src.offset(s.Pos.Line, s.Pos.Col)
	switch {
	case s.style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		// Content starts on the line after the | or > header.
		for p < len(raw) && raw[p] != '\n' {
			p++
		}
		p++
	case s.Quoted():
		p++
	}
	single := s.style&yaml.SingleQuotedStyle != 0
	double := s.style&yaml.DoubleQuotedStyle != 0
	i := 0
	for _, want := range s.Value {
		if p >= len(raw) {
			break
		}
		for p < len(raw) {
			got, size := utf8.DecodeRune(raw[p:])
			switch {
			case got == want && !(double && got == '\\'):
			case double && got == '\\':
				if p+1 < len(raw) && (raw[p+1] == '\n' || raw[p+1] == '\r') {
					p += 2 // line continuation: produces nothing
					continue
				}
			case single && got == '\'' && want == '\'':
			case got == ' ' || got == '\t' || got == '\n' || got == '\r':
				p += size // indentation or a folded line break
				continue
			case want == ' ' || want == '\n':
				// A folded line break produced this character.
			}
			break
		}
		if i == runeOff {
			return s.src.pos(min(p, len(raw)))
		}
		p = s.advance(p, want, single, double)
		i++
	}
	return s.src.pos(min(p, len(raw)))
}

// advance moves past the raw text that produced one decoded rune.
func (s Scalar) advance(p int, want rune, single, double bool) int {
	raw := s.src.text
	got, size := utf8.DecodeRune(raw[p:])
	switch {
	case double && got == '\\' && p+1 < len(raw):
		switch raw[p+1] {
		case 'x':
			return p + 4
		case 'u':
			return p + 6
		case 'U':
			return p + 10
		}
		return p + 2
	case single && got == '\'' && want == '\'':
		return p + 2
	case got == want:
		return p + size
	}
	return p // a folded break: the raw text did not hold this rune
}
