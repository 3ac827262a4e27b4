package vaultstreamtest

import (
	"errors"
	"io"
	"net/http"
)

// handler answers a request with a status and a JSON body, or an error.
type handler func(r *http.Request, body []byte) (int, any, error)

// routes returns the paths of API.md; anything else is 404 not_found.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	for pattern, h := range map[string]handler{
		"GET /v1/content":                    s.listContent,
		"GET /v1/content/{id}":               s.getContent,
		"PATCH /v1/content/{id}":             s.patchContent,
		"POST /v1/content/{id}/permissions":  s.grantPermission,
		"POST /v1/content/{id}/tags":         s.addTag,
		"DELETE /v1/content/{id}/tags/{tag}": s.removeTag,
		"POST /v1/content/{id}/transcode":    s.job("transcode"),
		"POST /v1/content/{id}/export":       s.job("export"),
		"GET /v1/content/{id}/jobs":          s.listJobs,
		"GET /v1/folders":                    s.getFolders,
		"POST /v1/folders":                   s.createFolder,
		"GET /v1/teams":                      s.getTeams,
		"GET /v1/analytics/content-usage":    s.contentUsage,
		"/":                                  s.unknownPath,
	} {
		mux.Handle(pattern, serve(h))
	}
	return mux
}

// serve turns a handler into an http.Handler.
func serve(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // serveHTTP has read it already: this cannot fail
		status, v, err := h(r, body)
		if err != nil {
			var e *apiError
			if !errors.As(err, &e) {
				e = &apiError{status: http.StatusInternalServerError, code: "unavailable", message: err.Error()}
			}
			writeError(w, e)
			return
		}
		writeJSON(w, status, v)
	})
}

func (s *Server) unknownPath(r *http.Request, _ []byte) (int, any, error) {
	return 0, nil, notFound("no such path: %s %s", r.Method, r.URL.Path)
}
