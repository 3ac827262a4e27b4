package loadgen

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/organizer-dev/organizer/adapters"
)

// DefaultBodyLimit is the webhook body limit when none is given: 1 MiB.
const DefaultBodyLimit int64 = 1 << 20

// Error codes of the JSON error body {"error": {"code", "message"}}.
const (
	CodeUnknownProvider  = "unknown_provider"  // 404
	CodeInvalidSignature = "invalid_signature" // 401: missing, malformed or wrong
	CodeMalformedBody    = "malformed_body"    // 400
	CodeBodyTooLarge     = "body_too_large"    // 413
	CodeNotFound         = "not_found"         // 404: no such route
	CodeInternal         = "internal"          // 500
)

// accepted is the answer to a webhook that was taken in.
type accepted struct {
	EventID   string `json:"event_id"`
	Duplicate bool   `json:"duplicate"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

func abort(c *gin.Context, status int, code, message string) {
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{Code: code, Message: message}})
}

// Reference is the in-memory ceiling the durable intake is compared with: a
// gin engine in release mode with the same route, POST /webhooks/:provider,
// the same body limit (bodyLimit bytes, DefaultBodyLimit when <= 0; 413
// over it), the provider's Decode (signature check, then JSON decoding) and
// the same answer, 202 {"event_id": ev.ID, "duplicate": false}, without
// storing anything. Errors are {"error": {"code", "message"}}: 404 unknown
// provider, 401 missing or bad signature, 400 malformed body, 413 too large.
//
// It sets gin's (process-wide) mode to release.
func Reference(reg *adapters.Registry, bodyLimit int64) http.Handler {
	if bodyLimit <= 0 {
		bodyLimit = DefaultBodyLimit
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.Use(gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, _ any) {
		abort(c, http.StatusInternalServerError, CodeInternal, "internal error")
	}))
	e.NoRoute(func(c *gin.Context) {
		abort(c, http.StatusNotFound, CodeNotFound, fmt.Sprintf("no route %s %s", c.Request.Method, c.Request.URL.Path))
	})
	e.POST("/webhooks/:provider", func(c *gin.Context) {
		name := c.Param("provider")
		var p adapters.Provider
		ok := false
		if reg != nil {
			p, ok = reg.Lookup(name)
		}
		if !ok {
			abort(c, http.StatusNotFound, CodeUnknownProvider, fmt.Sprintf("unknown provider %q", name))
			return
		}
		body, err := readBody(c.Writer, c.Request, bodyLimit)
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				abort(c, http.StatusRequestEntityTooLarge, CodeBodyTooLarge,
					fmt.Sprintf("the body is over the limit of %d bytes", bodyLimit))
				return
			}
			abort(c, http.StatusBadRequest, CodeMalformedBody, "cannot read the body: "+err.Error())
			return
		}
		ev, err := p.Decode(c.Request.Header, body)
		if err != nil {
			status, code := decodeStatus(err)
			abort(c, status, code, err.Error())
			return
		}
		c.JSON(http.StatusAccepted, accepted{EventID: ev.ID})
	})
	return e
}

// decodeStatus maps a Decode error to its status and code: signature errors
// are 401, everything else is a malformed body.
func decodeStatus(err error) (int, string) {
	if adapters.IsSignatureError(err) {
		return http.StatusUnauthorized, CodeInvalidSignature
	}
	return http.StatusBadRequest, CodeMalformedBody
}

// readBody reads the whole body through http.MaxBytesReader, sized from
// Content-Length when the client sent one.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	rd := http.MaxBytesReader(w, r.Body, limit)
	size := int64(512)
	if r.ContentLength > 0 {
		size = r.ContentLength + 1 // +1: room to see EOF without growing
	}
	buf := make([]byte, 0, size)
	for {
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}
