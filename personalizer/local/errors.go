package local

// Error codes of [InvalidRequestError], as the service named them. The HTTP
// server maps all of them to 400 Bad Request.
const (
	CodeInvalidRankRequest          = "InvalidRankRequest"
	CodeInvalidRewardRequest        = "InvalidRewardRequest"
	CodeInvalidServiceConfiguration = "InvalidServiceConfiguration"
	CodeInvalidPolicyConfiguration  = "InvalidPolicyConfiguration"
)

// InvalidRequestError reports a request the loop rejects because of its
// content, such as a Rank request without actions.
type InvalidRequestError struct {
	Code    string // one of the Code constants
	Message string
}

func (e *InvalidRequestError) Error() string { return e.Message }

func invalidRank(msg string) error {
	return &InvalidRequestError{Code: CodeInvalidRankRequest, Message: msg}
}
