package engine

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/organizer-dev/organizer/engine/internal/strfuncs"
)

// Deterministic event mixes shared by the benchmarks and the tests that
// check them.

var (
	titleWords = strings.Fields(`quarterly review budget walkthrough product demo launch recap customer story
		security basics benefits enrollment office tour sprint planning design critique release notes partner summit
		roadmap update hiring panel sales kickoff engineering deep dive marketing campaign brand refresh support
		escalation field report warehouse safety travel policy expense guide holiday party team offsite keynote
		interview webinar podcast episode trailer teaser behind scenes highlights livestream tutorial masterclass
		feature preview premiere documentary interview archive backstage festival screening workshop retrospective`)
	pattern3Words = []string{"Training", "Module", "Onboarding", "Compliance", "Town Hall", "All-Hands", "CEO", "Quarterly"}
	departments   = []string{"HR", "Sales", "Engineering", "marketing", "Finance", "legal", "ÉQUIPE FINANCE",
		"human resources", "R&D", "customer success", "straße", "ΟΔΟΣ", "Operations", "IT", "ops-emea", "Design",
		"Product", "Support", "Facilities", "Communications"}
	eventTypes = []string{"content.uploaded", "content.transcoded", "content.deleted", "content.updated",
		"playback.started", "playback.completed", "user.provisioned", "user.deactivated",
		"upload_started", "upload_completed", "ingestion_updated", "screener_updated"}
)

// pattern3Events returns n content.uploaded events: about a fifth with a
// training keyword, a sixth with a leadership keyword, and a department that
// is present (60%), empty (15%) or missing (25%).
func pattern3Events(n int, seed uint64) []Event {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]Event, n)
	for i := range out {
		words := make([]string, 2+rng.IntN(4))
		for j := range words {
			words[j] = titleWords[rng.IntN(len(titleWords))]
		}
		if k := rng.IntN(100); k < 36 {
			words[rng.IntN(len(words))] = pattern3Words[k%len(pattern3Words)]
		}
		title := strings.Join(words, " ")
		if rng.IntN(2) == 0 {
			title = strfuncs.TitleCase(title)
		}
		meta := map[string]any{"language": "en"}
		switch k := rng.IntN(100); {
		case k < 60:
			meta["department"] = departments[rng.IntN(len(departments))]
		case k < 75:
			meta["department"] = ""
		}
		out[i] = Event{ID: fmt.Sprintf("evt_%d", i), Provider: "vaultstream", Type: "content.uploaded",
			ReceivedAt: time.Date(2026, 3, 1, 0, 0, i, 0, time.UTC),
			Content:    Content{ID: fmt.Sprintf("c_%d", i), Title: title, Metadata: meta}}
	}
	return out
}

// nativeResult is Pattern 3's answer.
type nativeResult struct {
	Folder     string   `json:"folder"`
	Visibility string   `json:"visibility,omitempty"`
	Tags       []string `json:"tags"`
}

var (
	nativeTraining   = []string{"training", "module", "onboarding", "compliance"}
	nativeLeadership = []string{"town hall", "all-hands", "ceo", "quarterly"}
)

// classifyNative is the seed's Pattern 3 written by hand in Go, as an
// engineer porting the Flask function would: the physical limit the rules
// are measured against.
func classifyNative(title string, metadata map[string]any) nativeResult {
	t := strfuncs.Lower(title)
	if strfuncs.ContainsAny(t, nativeTraining) {
		return nativeResult{Folder: "Training", Tags: []string{"training"}}
	}
	if strfuncs.ContainsAny(t, nativeLeadership) {
		return nativeResult{Folder: "Leadership", Visibility: "team"}
	}
	dept, _ := metadata["department"].(string)
	if dept = strfuncs.Lower(dept); dept != "" {
		return nativeResult{Folder: strfuncs.TitleCase(dept), Tags: []string{dept}}
	}
	return nativeResult{Folder: "Uncategorized"}
}
