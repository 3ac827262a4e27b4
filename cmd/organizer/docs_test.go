package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
)

// repoRoot is the repository's top directory, from this package's.
const repoRoot = "../.."

// maxReadmeLines keeps the README to what a newcomer needs first.
const maxReadmeLines = 300

// docFiles returns the repository's documentation, relative to repoRoot:
// README.md, docs/*.md, and any *.md under examples/ and adapters/.
func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md"}
	docs, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	require.NoError(t, err)
	require.NotEmpty(t, docs, "docs/*.md is missing")
	for _, d := range docs {
		files = append(files, filepath.ToSlash(must(filepath.Rel(repoRoot, d))))
	}
	for _, dir := range []string{"examples", "adapters"} {
		err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
				files = append(files, filepath.ToSlash(must(filepath.Rel(repoRoot, path))))
			}
			return err
		})
		require.NoError(t, err)
	}
	return files
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestDocsStandAlone: the documentation points at nothing outside the
// repository, and the README stays short.
func TestDocsStandAlone(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	require.NoError(t, err)
	n := strings.Count(string(readme), "\n")
	require.LessOrEqual(t, n, maxReadmeLines, "README.md has %d lines: keep it to what a newcomer needs first, and the rest in docs/", n)

	outside := []struct {
		re  *regexp.Regexp
		why string
	}{
		{regexp.MustCompile(`research/`), "research notes are not part of the repository"},
		{regexp.MustCompile(`\bSPEC\b`), "the specification is not part of the repository: say what it says"},
		{regexp.MustCompile(`\.\./shared|\bshared/(reference|research)`), "../shared is not part of the repository"},
	}
	for _, f := range docFiles(t) {
		text, err := os.ReadFile(filepath.Join(repoRoot, f))
		require.NoError(t, err)
		for i, line := range strings.Split(string(text), "\n") {
			for _, o := range outside {
				if o.re.MatchString(line) {
					t.Errorf("%s:%d: %s: %s", f, i+1, o.why, strings.TrimSpace(line))
				}
			}
		}
	}
}

// link is a markdown link: [text](target), the target possibly with an
// #anchor and a "title".
var link = regexp.MustCompile(`\[[^\]]*\]\(\s*([^)\s]+)(?:\s+"[^"]*")?\s*\)`)

// TestDocsLinks: every relative link of the documentation leads to a file
// of the repository and, for a markdown file with an #anchor, to one of its
// headings.
func TestDocsLinks(t *testing.T) {
	root := must(filepath.Abs(repoRoot))
	for _, f := range docFiles(t) {
		text, err := os.ReadFile(filepath.Join(repoRoot, f))
		require.NoError(t, err)
		for i, line := range proseLines(string(text)) {
			for _, m := range link.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				if err := checkLink(root, f, target); err != nil {
					t.Errorf("%s:%d: link %s: %v", f, i+1, target, err)
				}
			}
		}
	}
}

// checkLink resolves target relative to the file from, inside root.
func checkLink(root, from, target string) error {
	path, anchor, _ := strings.Cut(target, "#")
	file := filepath.Join(root, filepath.FromSlash(from))
	if path != "" {
		file = filepath.Join(root, filepath.Dir(filepath.FromSlash(from)), filepath.FromSlash(path))
	}
	rel, err := filepath.Rel(root, file)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("it leads outside the repository")
	}
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("no such file or directory in the repository: %s", filepath.ToSlash(rel))
	}
	if anchor == "" || !strings.HasSuffix(file, ".md") {
		return nil
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	anchors := headingAnchors(string(text))
	if !anchors[anchor] {
		return fmt.Errorf("%s has no heading whose anchor is #%s", filepath.ToSlash(rel), anchor)
	}
	return nil
}

// proseLines returns the file's lines with fenced code blocks and inline
// code blanked out, so that a link-like text in code is not taken for a
// link. Line numbers are kept.
func proseLines(text string) []string {
	lines := strings.Split(text, "\n")
	inFence := false
	code := regexp.MustCompile("`[^`]*`")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			inFence = !inFence
			lines[i] = ""
			continue
		}
		if inFence {
			lines[i] = ""
			continue
		}
		lines[i] = code.ReplaceAllString(l, "``")
	}
	return lines
}

// headingAnchors returns the anchors GitHub gives a markdown file's
// headings: lower case, spaces as hyphens, punctuation dropped, and -1, -2,
// ... on repeats.
func headingAnchors(text string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	inFence := false
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			inFence = !inFence
			continue
		}
		if inFence || !strings.HasPrefix(l, "#") {
			continue
		}
		heading := strings.TrimSpace(strings.TrimLeft(l, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(heading) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", a, n)] = true
		} else {
			anchors[a] = true
		}
		seen[a]++
	}
	return anchors
}

// TestDocsEventIDs: an event id the documentation shows is the id of one of
// the example webhooks, so the walkthrough's commands work as written.
func TestDocsEventIDs(t *testing.T) {
	known := map[string]string{}
	payloads, err := filepath.Glob(filepath.Join(repoRoot, "examples", "payloads", "*.json"))
	require.NoError(t, err)
	for _, p := range payloads {
		body, err := os.ReadFile(p)
		require.NoError(t, err)
		for _, provider := range providerNames {
			known[adapters.EventID(provider, body)] = filepath.Base(p)
		}
	}
	id := regexp.MustCompile(`\b(?:` + strings.Join(providerNames, "|") + `)_[0-9a-f]{32}\b`)
	var shown int
	for _, f := range docFiles(t) {
		text, err := os.ReadFile(filepath.Join(repoRoot, f))
		require.NoError(t, err)
		for i, line := range strings.Split(string(text), "\n") {
			for _, m := range id.FindAllString(line, -1) {
				shown++
				if known[m] == "" {
					t.Errorf("%s:%d: %s is the id of no webhook in examples/payloads: was one edited?", f, i+1, m)
				}
			}
		}
	}
	require.Positive(t, shown, "the walkthrough shows no event id any more: is this test still needed?")
}
