// Package strfuncs holds the string functions of the rule language — lower,
// upper, titleCase, slug and containsAny — with the semantics rules are
// promised. The engine's expr functions and its fast path both call them,
// so that the two always agree.
//
// lower, upper and titleCase follow Python's str.lower(), str.upper() and
// str.title(), which content managers' existing scripts relied on; the
// multi-rune mappings Go's unicode package lacks are generated from CPython
// by gen_casing.py (go generate).
package strfuncs
