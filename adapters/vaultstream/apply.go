package vaultstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"

	"github.com/organizer-dev/organizer/adapters"
)

// jobJSON is a job as GET /content/{id}/jobs lists it.
type jobJSON struct {
	JobID   string         `json:"job_id"`
	Kind    string         `json:"kind"`
	Request map[string]any `json:"request"`
	Status  string         `json:"status"`
}

// applying is one Apply's view of the item: what it read, updated with what
// it wrote, so that a repeated action in the same plan writes nothing.
type applying struct {
	id      string
	cur     *contentJSON
	jobs    []jobJSON
	jobsErr error
	jobsSet bool // jobs (or jobsErr) was read
}

// Apply implements adapters.Client. See Client for how calls are counted.
// A failed action is Failed with its *adapters.CallError and the next
// actions are still performed: they are independent. When the item cannot
// be read, every action is Failed with that error.
func (c *Client) Apply(ctx context.Context, contentID string, actions []adapters.Action) []adapters.Result {
	if len(actions) == 0 {
		return []adapters.Result{}
	}
	var first tally
	cur, err := c.getContent(ctx, contentID, &first)
	if err != nil {
		results := adapters.FailedResults(actions, err)
		results[0].Calls, results[0].Writes = first.calls, first.writes
		return results
	}
	return c.applyFrom(ctx, &applying{id: contentID, cur: cur}, first, actions)
}

// ApplyState implements adapters.StateReader: Apply from the item as
// ReadState read it, without reading it again.
func (c *Client) ApplyState(ctx context.Context, state adapters.State, actions []adapters.Action) []adapters.Result {
	st, ok := state.(*applying)
	if !ok || st.cur == nil {
		return adapters.FailedResults(actions, fmt.Errorf("vaultstream: ApplyState needs the state of ReadState, not %T", state))
	}
	return c.applyFrom(ctx, st, tally{}, actions)
}

// applyFrom performs the actions on the item st holds; first is what
// reading it cost, counted with the first action.
func (c *Client) applyFrom(ctx context.Context, st *applying, first tally, actions []adapters.Action) []adapters.Result {
	results := make([]adapters.Result, len(actions))
	for i, a := range actions {
		results[i].Action = a
		var t tally
		if i == 0 {
			t = first
		}
		out, err := c.apply(ctx, st, a, &t)
		if err != nil && out != adapters.Unsupported {
			out = adapters.Failed
		}
		results[i].Outcome, results[i].Err = out, err
		results[i].Calls, results[i].Writes = t.calls, t.writes
	}
	return results
}

func (c *Client) apply(ctx context.Context, st *applying, a adapters.Action, t *tally) (adapters.Outcome, error) {
	switch a.Kind {
	case adapters.SetFolder:
		return c.setFolder(ctx, st, a.Value, t)
	case adapters.SetVisibility:
		if st.cur.Visibility == a.Value {
			return adapters.Unchanged, nil
		}
		if err := c.patch(ctx, st, map[string]any{"visibility": a.Value}, t); err != nil {
			return adapters.Failed, err
		}
		st.cur.Visibility = a.Value
		return adapters.Applied, nil
	case adapters.AddTag:
		if slices.Contains(st.cur.Tags, a.Value) {
			return adapters.Unchanged, nil
		}
		var tags struct {
			Tags []string `json:"tags"`
		}
		status, err := c.call(ctx, t, http.MethodPost, contentPath(st.id, "tags"), nil, map[string]string{"tag": a.Value}, &tags)
		if err != nil {
			return adapters.Failed, err
		}
		st.cur.Tags = append(st.cur.Tags, a.Value)
		if status == http.StatusOK { // the platform had it already
			return adapters.Unchanged, nil
		}
		return adapters.Applied, nil
	case adapters.RemoveTag:
		if !slices.Contains(st.cur.Tags, a.Value) {
			return adapters.Unchanged, nil
		}
		if _, err := c.call(ctx, t, http.MethodDelete, contentPath(st.id, "tags", url.PathEscape(a.Value)), nil, nil, nil); err != nil {
			return adapters.Failed, err
		}
		st.cur.Tags = slices.DeleteFunc(st.cur.Tags, func(tag string) bool { return tag == a.Value })
		return adapters.Applied, nil
	case adapters.Grant:
		return c.grant(ctx, st, a, t)
	case adapters.SetMetadata:
		return c.setMetadata(ctx, st, a, t)
	case adapters.Derive:
		return c.derive(ctx, st, a, t)
	}
	return adapters.Unsupported, fmt.Errorf("%w: unknown action kind %q", adapters.ErrUnsupported, a.Kind)
}

// patch sends PATCH /content/{id} with one field.
func (c *Client) patch(ctx context.Context, st *applying, body map[string]any, t *tally) error {
	_, err := c.call(ctx, t, http.MethodPatch, contentPath(st.id), nil, body, nil)
	return err
}

// setFolder moves the item into the named folder, created on first use. A
// cached id the platform says no longer exists is dropped, resolved again
// (creating the folder if need be) and tried once more.
func (c *Client) setFolder(ctx context.Context, st *applying, name string, t *tally) (adapters.Outcome, error) {
	if name == "" {
		return adapters.Failed, errors.New("vaultstream: a folder action with no folder name")
	}
	// Twice at most: a cached id the platform no longer has is forgotten
	// and the name resolved again.
	for try := 0; ; try++ {
		id, err := c.folderID(ctx, name, t)
		if err != nil {
			return adapters.Failed, err
		}
		if st.cur.folderID() == id {
			return adapters.Unchanged, nil
		}
		err = c.patch(ctx, st, map[string]any{"folder_id": id}, t)
		if err == nil {
			st.cur.FolderID = &id
			return adapters.Applied, nil
		}
		if try > 0 || !isMissingFolder(err, id) {
			return adapters.Failed, err
		}
		c.forgetFolder(id)
	}
}

// grant gives a team a permission, unless the item shows it already has it.
func (c *Client) grant(ctx context.Context, st *applying, a adapters.Action, t *tally) (adapters.Outcome, error) {
	p := a.Permission
	if p.User != "" {
		return adapters.Unsupported, fmt.Errorf("%w: VaultStream grants permissions to teams, not to user %q",
			adapters.ErrUnsupported, p.User)
	}
	if p.Team == "" {
		return adapters.Failed, errors.New("vaultstream: a permission with no team")
	}
	teamID, err := c.teamID(ctx, p.Team, t)
	if err != nil {
		return adapters.Failed, err
	}
	want := permissionJSON{TeamID: teamID, Permission: p.Permission}
	if slices.Contains(st.cur.Permissions, want) {
		return adapters.Unchanged, nil
	}
	status, err := c.call(ctx, t, http.MethodPost, contentPath(st.id, "permissions"), nil, want, nil)
	if err != nil {
		return adapters.Failed, err
	}
	st.cur.Permissions = slices.DeleteFunc(st.cur.Permissions, func(q permissionJSON) bool { return q.TeamID == teamID })
	st.cur.Permissions = append(st.cur.Permissions, want)
	if status == http.StatusOK { // the platform had it already
		return adapters.Unchanged, nil
	}
	return adapters.Applied, nil
}

// setMetadata sets one metadata key (nil removes it), compared with the
// item's as JSON: 1 and 1.0, or a struct and its JSON object, are equal.
func (c *Client) setMetadata(ctx context.Context, st *applying, a adapters.Action, t *tally) (adapters.Outcome, error) {
	want, err := normalize(a.Metadata)
	if err != nil {
		return adapters.Failed, fmt.Errorf("vaultstream: metadata.%s is not JSON: %w", a.Key, err)
	}
	have, present := st.cur.Metadata[a.Key]
	if (want == nil && !present) || (want != nil && present && reflect.DeepEqual(have, want)) {
		return adapters.Unchanged, nil
	}
	if err := c.patch(ctx, st, map[string]any{"metadata": map[string]any{a.Key: want}}, t); err != nil {
		return adapters.Failed, err
	}
	if st.cur.Metadata == nil {
		st.cur.Metadata = map[string]any{}
	}
	if want == nil {
		delete(st.cur.Metadata, a.Key)
	} else {
		st.cur.Metadata[a.Key] = want
	}
	return adapters.Applied, nil
}

// normalize returns v as encoding/json decodes its JSON into an any.
func normalize(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}

// derive requests a transcode or an export, unless the item has a job of
// the same kind with the same request that has not failed.
func (c *Client) derive(ctx context.Context, st *applying, a adapters.Action, t *tally) (adapters.Outcome, error) {
	d := a.Derivative
	body := map[string]any{}
	switch d.Kind {
	case "transcode":
		body["profile"] = d.Profile
		if d.OutputFormat != "" {
			body["output_format"] = d.OutputFormat
		}
	case "export":
		body["format"] = d.Format
		for k, v := range map[string]*int{"start_seconds": d.StartSeconds, "duration_seconds": d.DurationSeconds, "width": d.Width} {
			if v != nil {
				body[k] = *v
			}
		}
	default:
		return adapters.Unsupported, fmt.Errorf("%w: derivative kind %q (VaultStream has transcode and export)",
			adapters.ErrUnsupported, d.Kind)
	}
	if !st.jobsSet {
		st.jobsSet = true
		var list struct {
			Items []jobJSON `json:"items"`
		}
		_, st.jobsErr = c.call(ctx, t, http.MethodGet, contentPath(st.id, "jobs"), nil, nil, &list)
		st.jobs = list.Items
	}
	if st.jobsErr != nil {
		return adapters.Failed, st.jobsErr
	}
	want, err := normalize(body)
	if err != nil {
		return adapters.Failed, err
	}
	for _, j := range st.jobs {
		if j.Kind == d.Kind && j.Status != "failed" && j.Status != "cancelled" && j.Status != "canceled" &&
			reflect.DeepEqual(any(j.Request), want) {
			return adapters.Unchanged, nil
		}
	}
	var job jobJSON
	if _, err := c.call(ctx, t, http.MethodPost, contentPath(st.id, d.Kind), nil, body, &job); err != nil {
		return adapters.Failed, err
	}
	job.Kind, job.Request = d.Kind, want.(map[string]any)
	st.jobs = append(st.jobs, job)
	return adapters.Applied, nil
}
