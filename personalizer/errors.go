package personalizer

import (
	"errors"
	"fmt"
)

// Error codes of the Personalizer REST API that rankloop sends or checks.
// The service defines more; a client must accept codes it does not know.
const (
	CodeBadRequest                  = "BadRequest"
	CodeResourceNotFound            = "ResourceNotFound"
	CodeInternalServerError         = "InternalServerError"
	CodeInvalidRankRequest          = "InvalidRankRequest"
	CodeInvalidRewardRequest        = "InvalidRewardRequest"
	CodeInvalidEventIDToActivate    = "InvalidEventIdToActivate"
	CodeInvalidServiceConfiguration = "InvalidServiceConfiguration"
	CodeInvalidPolicyConfiguration  = "InvalidPolicyConfiguration"
	CodeInvalidPolicyContract       = "InvalidPolicyContract"
	CodePayloadSizeExceeded         = "PayloadSizeExceeded"
)

// MaxIDLength is the longest event id or action id the API accepts, in
// characters.
const MaxIDLength = 256

// ErrInvalidRequest is wrapped by the errors the [Client] returns when it
// rejects a request before sending it, as the official SDKs do. It rejects
// a rank without actions, an id longer than [MaxIDLength], an empty event
// id and a reward that is not a finite number.
var ErrInvalidRequest = errors.New("invalid request")

// APIError is an error response of a Personalizer endpoint: the HTTP status
// and the code and message of its {"error":{"code","message"}} body. When
// the body is not in that shape, Code is empty and Message holds the body
// text.
type APIError struct {
	StatusCode int
	Code       string
	Message    string
}

func (e *APIError) Error() string {
	switch {
	case e.Code == "" && e.Message == "":
		return fmt.Sprintf("status %d", e.StatusCode)
	case e.Code == "":
		return fmt.Sprintf("status %d: %s", e.StatusCode, e.Message)
	}
	return fmt.Sprintf("status %d %s: %s", e.StatusCode, e.Code, e.Message)
}

// ErrorResponse is the JSON body of every error response of the API.
type ErrorResponse struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the error object inside an [ErrorResponse].
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target,omitempty"`
}
