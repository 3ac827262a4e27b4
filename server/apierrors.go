package server

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// apiCode is one of the API's error codes. Each has one HTTP status, so a
// client may switch on either; docs/service.md lists them all.
type apiCode string

// The API's error codes.
const (
	codeBadQuery         apiCode = "bad_query"         // a query parameter is not valid
	codeMalformedBody    apiCode = "malformed_body"    // the body is not what the endpoint takes
	codeMalformedPayload apiCode = "malformed_payload" // a dry-run's webhook payload does not decode
	codeUnreadableBody   apiCode = "unreadable_body"   // the body could not be read
	codeInvalidSignature apiCode = "invalid_signature" // a webhook's signature is missing or wrong
	codeUnauthorized     apiCode = "unauthorized"      // the admin API needs the bearer token
	codeForbidden        apiCode = "forbidden"         // the admin API without a token serves loopback only
	codeNotFound         apiCode = "not_found"         // no such endpoint or event
	codeUnknownProvider  apiCode = "unknown_provider"  // a webhook for a provider organizer does not know
	codeMethodNotAllowed apiCode = "method_not_allowed"
	codeBodyTooLarge     apiCode = "body_too_large"         // over body_limit
	codeInvalidRules     apiCode = "invalid_rules"          // rules with errors, each with its position in details
	codeInternal         apiCode = "internal"               // a fault of the service; its log says more
	codeUnavailable      apiCode = "unavailable"            // a webhook could not be stored; send it again
	codeNoRuleset        apiCode = "no_ruleset"             // no valid ruleset is loaded yet
	codeInvalidProposal  apiCode = "invalid_proposed_rules" // an impact preview's rules have errors, each in details
	codeBadWindow        apiCode = "bad_window"             // an impact preview's since or limit is out of range
	codeConflict         apiCode = "conflict"               // the event is not in a state that allows it (approve, reject, revert)
)

// apiStatus is the HTTP status of each code.
var apiStatus = map[apiCode]int{
	codeBadQuery:         http.StatusBadRequest,
	codeMalformedBody:    http.StatusBadRequest,
	codeMalformedPayload: http.StatusBadRequest,
	codeUnreadableBody:   http.StatusBadRequest,
	codeInvalidSignature: http.StatusUnauthorized,
	codeUnauthorized:     http.StatusUnauthorized,
	codeForbidden:        http.StatusForbidden,
	codeNotFound:         http.StatusNotFound,
	codeUnknownProvider:  http.StatusNotFound,
	codeMethodNotAllowed: http.StatusMethodNotAllowed,
	codeBodyTooLarge:     http.StatusRequestEntityTooLarge,
	codeInvalidRules:     http.StatusUnprocessableEntity,
	codeInternal:         http.StatusInternalServerError,
	codeUnavailable:      http.StatusServiceUnavailable,
	codeNoRuleset:        http.StatusServiceUnavailable,
	codeConflict:         http.StatusConflict,
	codeInvalidProposal:  http.StatusBadRequest,
	codeBadWindow:        http.StatusBadRequest,
}

// apiError answers with the API's JSON error shape,
// {"error": {"code", "message", "details"}}, and the code's status.
func apiError(c *gin.Context, code apiCode, message string, details ...any) {
	body := gin.H{"code": code, "message": message}
	if details != nil {
		body["details"] = details
	}
	c.AbortWithStatusJSON(apiStatus[code], gin.H{"error": body})
}
