package strfuncs

//go:generate python3 gen_casing.py

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// TitleCase returns s with Python's str.title() semantics: each run of cased
// letters starts upper case (title case, to be exact) and continues lower
// case; anything uncased, digits and apostrophes included, starts a new run.
// So "they're 1st" becomes "They'Re 1St", exactly as the seed's Pattern 3 did.
func TitleCase(s string) string {
	if isASCII(s) {
		return titleASCII(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	prevCased := false
	for i, r := range s {
		switch {
		case prevCased && r == 'Σ':
			b.WriteRune(sigma(s, i))
		case prevCased:
			writeLower(&b, r)
		default:
			if full, ok := titleFull[r]; ok {
				b.WriteString(full)
			} else {
				b.WriteRune(unicode.ToTitle(r))
			}
		}
		prevCased = isCased(r)
	}
	return b.String()
}

func titleASCII(s string) string {
	buf := []byte(s)
	prevCased := false
	for i, c := range buf {
		lower, upper := 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z'
		switch {
		case prevCased && upper:
			buf[i] = c + 'a' - 'A'
		case !prevCased && lower:
			buf[i] = c - ('a' - 'A')
		}
		prevCased = lower || upper
	}
	return string(buf)
}

// Lower returns s with Python's str.lower() semantics: full Unicode case
// mapping, with a final capital sigma becoming ς.
func Lower(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		if r == 'Σ' {
			b.WriteRune(sigma(s, i))
			continue
		}
		writeLower(&b, r)
	}
	return b.String()
}

// Upper returns s with Python's str.upper() semantics: full Unicode case
// mapping, so "straße" becomes "STRASSE".
func Upper(s string) string {
	if isASCII(s) {
		return strings.ToUpper(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if full, ok := upperFull[r]; ok {
			b.WriteString(full)
		} else {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

func writeLower(b *strings.Builder, r rune) {
	if full, ok := lowerFull[r]; ok {
		b.WriteString(full)
		return
	}
	b.WriteRune(unicode.ToLower(r))
}

// sigma lowers the capital sigma at byte offset i: ς at the end of a word,
// σ elsewhere (Unicode's Final_Sigma condition, as CPython applies it).
func sigma(s string, i int) rune {
	before := false
	for j := i; j > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:j])
		j -= size
		if !isCaseIgnorable(r) {
			before = isCased(r)
			break
		}
	}
	if !before {
		return 'σ'
	}
	for _, r := range s[i+len("Σ"):] {
		if !isCaseIgnorable(r) {
			if isCased(r) {
				return 'σ'
			}
			break
		}
	}
	return 'ς'
}

func isCased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

func isCaseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '^', '`', 0xB7, 0x387, 0x5F4, 0x2018, 0x2019, 0x2024, 0x2027, 0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
