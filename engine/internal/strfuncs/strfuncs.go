package strfuncs

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// ContainsAny reports whether s contains any of the words.
func ContainsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// Slug turns s into a lower-case, hyphenated, URL-safe name: accents are
// dropped ("Café Déjà Vu" becomes "cafe-deja-vu"), other letters and digits
// are kept, anything else separates words.
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteString(Lower(string(r)))
		default:
			dash = true
		}
	}
	return b.String()
}

// Strings returns v as a list of strings when it is one: a []string, or a
// []any holding only strings.
func Strings(v any) ([]string, bool) {
	switch list := v.(type) {
	case []string:
		return list, true
	case []any:
		out := make([]string, 0, len(list))
		for _, item := range list {
			s, ok := item.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}
