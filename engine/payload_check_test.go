package engine

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPayloadFieldWarnings(t *testing.T) {
	text := `version: 1
schedules:
  - {name: stale, cron: "0 3 * * *", provider: vs, source: content}
rules:
  - name: long
    on: [content.transcoded]
    when: data.duration_secs > 600 && data.duration_seconds > 0
    actions:
      tags: ["{{ data.variant }}"]
  - name: any-content
    on: [content.*]
    when: data["titel"] != "" && data.title != ""
    actions: {tags: [x]}
  - name: other-provider
    on: [content.*]
    provider: s72
    when: data.anything == 1
    actions: {tags: [y]}
  - name: every-event
    when: data.anything == 1
    actions: {tags: [z]}
  - name: scheduled
    on: [schedule.stale]
    when: data.anything == 1
    actions: {tags: [w]}
  - name: mixed
    on: [content.uploaded, schedule.stale]
    when: data.anything == 1
    actions: {tags: [v]}
`
	opts := []Option{
		PayloadFields("vs", map[string][]string{
			"content.uploaded":   {"content_id", "title"},
			"content.transcoded": {"content_id", "duration_seconds", "variants"},
		}),
		PayloadFields("s72", map[string][]string{"ingested": {"slug"}}),
		ProviderSources("vs", map[string][]string{"content": {}}),
	}
	l, errs := LoadFiles(map[string][]byte{"p.yaml": []byte(text)}, opts...)
	require.Empty(t, errs, "warnings are not problems")
	require.NotNil(t, l.Ruleset)
	var got []string
	for _, w := range l.Warnings {
		got = append(got, w.Error())
	}
	require.Equal(t, []string{
		"p.yaml:7:11: data.duration_secs is not in the documented payload of content.transcoded; did you mean data.duration_seconds?",
		"p.yaml:9:18: data.variant is not in the documented payload of content.transcoded; did you mean data.variants?",
		"p.yaml:12:11: data.titel is not in the documented payload of content.transcoded, content.uploaded; did you mean data.title?",
	}, got, "only rules whose every event type has a documented payload are checked")

	l, errs = LoadFiles(map[string][]byte{"p.yaml": []byte(text)}, opts[2])
	require.Empty(t, errs)
	require.Empty(t, l.Warnings, "without documented payloads there is nothing to warn about")
}
