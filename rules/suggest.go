package rules

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// suggest returns `; did you mean "x"?` for the closest candidate, or a list
// of the valid names when none is close.
func suggest(got string, candidates []string) string {
	if best := Suggest(strings.ToLower(got), candidates); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return fmt.Sprintf(" (expected one of: %s)", strings.Join(candidates, ", "))
}

// Suggest returns the candidate closest to got, within an edit distance of
// two, or "" when none is.
func Suggest(got string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := distance(got, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// SuggestScaled is Suggest with a tolerance that grows with the length of
// got, one edit per four characters (at least two), so that a long name
// written short (duration_secs for duration_seconds) still finds its match.
func SuggestScaled(got string, candidates []string) string {
	limit := max(2, len([]rune(got))/4)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if d := distance(got, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns a YAML syntax error into a positioned error. yaml.v3
// gives a line but no column, so the column is that of the line's first
// non-blank character, or of an unquoted {{ on it.
func syntaxError(src *source, err error) *Error {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return Errorf(Pos{File: src.name, Line: 1, Col: 1}, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	line, _ := strconv.Atoi(m[1])
	msg := m[2]
	text := ""
	if line >= 1 && line <= len(src.lines) {
		end := len(src.text)
		if line < len(src.lines) {
			end = src.lines[line] - 1
		}
		text = string(src.text[src.lines[line-1]:end])
	}
	col := len(text) - len(strings.TrimLeft(text, " \t")) + 1
	if tab := strings.IndexByte(text, '\t'); tab >= 0 && tab < col-1 {
		col = tab + 1 // YAML forbids tabs in indentation: point at the tab
		msg += " (a tab in the indentation; indent with spaces)"
	}
	if i := strings.Index(text, "{{"); i >= 0 && !strings.ContainsAny(text[:i], `"'`) {
		col = len([]rune(text[:i])) + 1
		msg += "; an unquoted {{ }} template must be quoted: \"{{ ... }}\""
	}
	return Errorf(Pos{File: src.name, Line: line, Col: col}, "YAML syntax: %s", msg)
}
