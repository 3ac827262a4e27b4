package console

import (
	"embed"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/organizer-dev/organizer/engine"
	"github.com/organizer-dev/organizer/examples"
	"github.com/organizer-dev/organizer/rules"
)

//go:embed samples
var samplesFS embed.FS

// sample is an example the playground fills its form with in one click.
type sample struct {
	Key, Label   string
	Rules, Event string // files in samples/
	Provider     string // set when Event is a provider's raw payload
}

// samples are the repository's examples (examples/), and one broken rule
// file of the console's own (samples/) to show positioned errors.
var samples = []sample{
	{Key: "training", Label: "Training video uploaded", Rules: "rules/organize.yaml", Event: "events/onboarding-uploaded.json"},
	{Key: "town-hall", Label: "Town hall uploaded", Rules: "rules/organize.yaml", Event: "events/town-hall-uploaded.json"},
	{Key: "launch", Label: "Launch video held by a guard", Rules: "rules/launch.yaml", Event: "events/launch-transcoded.json"},
	{Key: "shift72", Label: "SHIFT72 raw webhook", Rules: "rules/films.yaml", Event: "payloads/shift72-ingestion-completed.json", Provider: "shift72"},
	{Key: "misspelt", Label: "A rule with a misspelt key", Rules: "samples/misspelt.yaml", Event: "events/onboarding-uploaded.json"},
}

// rulesFileName is the name the playground gives the rules pasted in, as
// positions in the trace and in errors show it.
const rulesFileName = "rules.yaml"

// formLimit bounds what the playground reads of a form.
const formLimit = 1 << 20

// playgroundView is the playground: the form as sent and what became of it.
type playgroundView struct {
	Rules, Event, Provider string
	Providers              []string
	Samples                []sample
	Result                 *playgroundResult
}

// playgroundResult is the decision, or why there is none.
type playgroundResult struct {
	Decision   *engine.Decision
	Problems   rules.ErrorList // in the rules, with positions
	EventError string          // the event could not be read
	InForce    bool            // decided with the rules in force
}

// playgroundPage is GET /playground[?sample=KEY].
func (h *Handler) playgroundPage(w http.ResponseWriter, r *http.Request) {
	v := playgroundView{Providers: h.b.Providers(), Samples: samples}
	for _, s := range samples {
		if s.Key == r.URL.Query().Get("sample") {
			v.Rules, v.Event, v.Provider = readSample(s.Rules), readSample(s.Event), s.Provider
		}
	}
	h.pages.render(w, r, http.StatusOK, "playground", v)
}

// readSample reads a sample's file: the console's own under samples/,
// else the examples'.
func readSample(name string) string {
	var b []byte
	var err error
	if strings.HasPrefix(name, "samples/") {
		b, err = samplesFS.ReadFile(name)
	} else {
		b, err = examples.Files.ReadFile(name)
	}
	if err != nil {
		return ""
	}
	return string(b)
}

// playground is POST /playground: decide the event with the rules sent,
// as POST /v1/dry-run does, and store nothing. The script of the page
// sends X-Console-Fragment to get the result alone.
func (h *Handler) playground(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, formLimit)
	if err := r.ParseForm(); err != nil {
		h.pages.error(w, r, http.StatusRequestEntityTooLarge, "The form is over 1 MiB or could not be read.")
		return
	}
	v := playgroundView{
		Rules: r.PostFormValue("rules"), Event: r.PostFormValue("event"), Provider: r.PostFormValue("provider"),
		Providers: h.b.Providers(), Samples: samples,
	}
	res, err := h.decide(r, v)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	v.Result = res
	code := http.StatusOK
	if res.Decision == nil {
		code = http.StatusUnprocessableEntity
	}
	if r.Header.Get("X-Console-Fragment") == "result" {
		h.pages.fragment(w, code, "playground", "result", res)
		return
	}
	h.pages.render(w, r, code, "playground", v)
}

// decide runs the form's dry run. An error is the service's failure; what
// is wrong with the form is in the result.
func (h *Handler) decide(r *http.Request, v playgroundView) (*playgroundResult, error) {
	in := DryRunInput{Provider: v.Provider}
	res := &playgroundResult{InForce: strings.TrimSpace(v.Rules) == ""}
	if !res.InForce {
		in.Files = map[string]string{rulesFileName: v.Rules}
	}
	switch {
	case strings.TrimSpace(v.Event) == "":
		res.EventError = "Paste an event (or a provider's webhook body) to decide."
		return res, nil
	case v.Provider == "":
		var ev engine.Event
		if err := json.Unmarshal([]byte(v.Event), &ev); err != nil {
			res.EventError = "The event is not valid JSON: " + err.Error()
			return res, nil
		}
		in.Event = &ev
	default:
		if !contains(h.b.Providers(), v.Provider) {
			res.EventError = "There is no such provider."
			return res, nil
		}
		in.Payload = []byte(v.Event)
	}
	d, problems, err := h.b.DryRun(r.Context(), in)
	var bad *BadInputError
	switch {
	case errors.As(err, &bad):
		res.EventError = bad.Message
	case err != nil:
		return nil, err
	case len(problems) > 0:
		res.Problems = problems
	default:
		res.Decision = &d
	}
	return res, nil
}

// BadInputError is a Backend's answer to an input it cannot use: the
// message is for the person who sent it.
type BadInputError struct{ Message string }

func (e *BadInputError) Error() string { return e.Message }
