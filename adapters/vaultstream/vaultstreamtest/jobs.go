package vaultstreamtest

import (
	"encoding/json"
	"net/http"
)

// jobJSON is the answer to a transcode or an export.
type jobJSON struct {
	JobID  string `json:"job_id"`
	Status string `json:"status"`
}

// job records a transcode (profile required) or an export (format
// required). Fields beyond the guide's are kept in the job, not refused:
// the platform has more options than the guide shows.
func (s *Server) job(kind string) handler {
	required, strs, numbers := "profile", []string{"output_format"}, []string(nil)
	if kind == "export" {
		required, strs, numbers = "format", nil, []string{"start_seconds", "duration_seconds", "width"}
	}
	return func(r *http.Request, body []byte) (int, any, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		c, err := s.content(r)
		if err != nil {
			return 0, nil, err
		}
		obj, err := decodeObject(body)
		if err != nil {
			return 0, nil, err
		}
		if _, err := obj.required(required); err != nil {
			return 0, nil, err
		}
		for _, name := range strs {
			if _, err := obj.str(name); err != nil {
				return 0, nil, err
			}
		}
		for _, name := range numbers {
			if err := obj.number(name); err != nil {
				return 0, nil, err
			}
		}
		var request map[string]any
		if err := json.Unmarshal(body, &request); err != nil {
			return 0, nil, invalid("the body must be a JSON object: %v", err)
		}
		j := Job{ID: s.st.newID("j", nil), Kind: kind, ContentID: c.ID, Request: request}
		s.st.jobs = append(s.st.jobs, j)
		return http.StatusAccepted, jobJSON{JobID: j.ID, Status: "queued"}, nil
	}
}

// jobItemJSON is a job as GET /content/{id}/jobs lists it.
type jobItemJSON struct {
	JobID   string         `json:"job_id"`
	Kind    string         `json:"kind"`
	Request map[string]any `json:"request"`
	Status  string         `json:"status"`
}

// listJobs lists an item's transcode and export requests, oldest first.
// The simulator runs no job: every one stays queued.
func (s *Server) listJobs(r *http.Request, _ []byte) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.content(r)
	if err != nil {
		return 0, nil, err
	}
	out := itemsJSON[jobItemJSON]{Items: []jobItemJSON{}}
	for _, j := range s.st.jobs {
		if j.ContentID == c.ID {
			out.Items = append(out.Items, jobItemJSON{JobID: j.ID, Kind: j.Kind, Request: cloneMap(j.Request), Status: "queued"})
		}
	}
	return http.StatusOK, out, nil
}
