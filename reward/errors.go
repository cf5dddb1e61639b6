package reward

import (
	"errors"
	"fmt"
	"strings"

	"github.com/expr-lang/expr/file"
)

// Error is a formula error that fails compilation or evaluation,
// positioned in the file the formula was read from.
type Error struct {
	File string
	// Line and Column (both 1-based) locate the error in File.
	Line, Column int
	// FormulaLine and FormulaColumn (both 1-based) locate the error in the
	// formula's own text.
	FormulaLine, FormulaColumn int
	// Approximate reports that Line and Column point at the formula's
	// start because its text does not map onto the file.
	Approximate bool
	Message     string
	// Snippet is the formula line with a caret under the error, or empty.
	Snippet string
	// Err is the underlying error: expr's *file.Error, which wraps the
	// error of a helper function that failed.
	Err error
}

// Error formats the error as FILE:LINE:COLUMN: message, followed by the
// snippet's lines.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		fmt.Fprintf(&b, "%s:", e.File)
	}
	fmt.Fprintf(&b, "%d:%d: %s", e.Line, e.Column, e.Message)
	if e.Approximate {
		fmt.Fprintf(&b, " (formula line %d, column %d)", e.FormulaLine, e.FormulaColumn)
	}
	b.WriteString(e.Snippet)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// newError positions err, an expr error or a message of this package, in
// the file that pos describes.
func newError(src string, pos Position, err error) *Error {
	var fe *file.Error
	if !errors.As(err, &fe) {
		line, col := pos.at(1, 0)
		return &Error{
			File: pos.File, Line: line, Column: col,
			FormulaLine: 1, FormulaColumn: 1,
			Approximate: pos.Approximate,
			Message:     err.Error(),
			Err:         err,
		}
	}

	if fe.Snippet == "" {
		fe = fe.Bind(file.NewSource(src))
	}
	line, col := pos.at(fe.Line, fe.Column)
	return &Error{
		File: pos.File, Line: line, Column: col,
		FormulaLine: fe.Line, FormulaColumn: fe.Column + 1,
		Approximate: pos.Approximate,
		Message:     fe.Message,
		Snippet:     fe.Snippet,
		Err:         fe,
	}
}

// ValueError is a value that a formula returned and that cannot be used:
// not a number, NaN or infinite, or a reward outside [-1, 1].
type ValueError struct {
	Value  any
	Reason string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("formula returned %s: %s", describe(e.Value), e.Reason)
}
