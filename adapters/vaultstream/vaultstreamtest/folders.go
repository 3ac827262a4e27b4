package vaultstreamtest

import (
	"net/http"
	"strconv"
)

// itemsJSON is a list answer: {"items": [...]}.
type itemsJSON[T any] struct {
	Items []T `json:"items"`
}

// byName keeps the items whose name is the query's name, exactly, or every
// item when the query has no name.
func byName[T any](r *http.Request, items []T, name func(T) string) itemsJSON[T] {
	out := itemsJSON[T]{Items: []T{}}
	q := r.URL.Query()
	for _, it := range items {
		if !q.Has("name") || name(it) == q.Get("name") {
			out.Items = append(out.Items, it)
		}
	}
	return out
}

func (s *Server) getFolders(r *http.Request, _ []byte) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return http.StatusOK, byName(r, s.st.folders, func(f Folder) string { return f.Name }), nil
}

func (s *Server) getTeams(r *http.Request, _ []byte) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return http.StatusOK, byName(r, s.st.teams, func(t Team) string { return t.Name }), nil
}

func (s *Server) createFolder(_ *http.Request, body []byte) (int, any, error) {
	obj, err := decodeObject(body, "name")
	if err != nil {
		return 0, nil, err
	}
	name, err := obj.required("name")
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.st.folderByName(name); ok {
		return 0, nil, &apiError{status: http.StatusConflict, code: "conflict",
			message: "folder " + strconv.Quote(name) + " already exists", details: map[string]any{"id": f.ID}}
	}
	f := Folder{ID: s.st.newID("f", nil), Name: name}
	s.st.folders = append(s.st.folders, f)
	return http.StatusCreated, f, nil
}
