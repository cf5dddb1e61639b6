package runner

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rankloop/rankloop/reward"
)

// Error is one problem found in an experiment file or in a file it reads.
type Error struct {
	File string
	// Line and Column are 1-based; Column is 0 when only the line is known.
	Line, Column int
	Message      string
	// Err is the underlying error, such as a *reward.Error or an
	// *fs.PathError, or nil.
	Err error
}

// Error formats the error as FILE:LINE:COLUMN: message, leaving out the
// column or the line when it is unknown. A formula error's message
// continues with the formula line and a caret on further lines.
func (e *Error) Error() string {
	switch {
	case e.Line == 0:
		return fmt.Sprintf("%s: %s", e.File, e.Message)
	case e.Column == 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorList is the problems found in one or more experiment files, file by
// file and in line order within a file. Load and LoadAll return it as their
// error.
type ErrorList []*Error

// Error prints one positioned error per line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the errors, so that errors.As finds each one.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// errorList collects the errors of one file. The same problem can be found
// more than once, once per arm that inherits the faulty key, so add keeps
// only the first report of each.
type errorList struct {
	file string
	errs ErrorList
	seen map[string]bool
	// found counts every problem found, also those that repeat an earlier
	// report, so that a step can tell whether it found any.
	found int
}

func newErrorList(file string) *errorList {
	return &errorList{file: file, seen: map[string]bool{}}
}

// add records a problem at a line and column of the experiment file.
func (l *errorList) add(line, col int, format string, args ...any) {
	l.addErr(&Error{File: l.file, Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
}

func (l *errorList) addErr(e *Error) {
	l.found++
	key := e.Error()
	if l.seen[key] {
		return
	}
	l.seen[key] = true
	l.errs = append(l.errs, e)
}

// err returns the collected errors sorted by file and position, or nil.
func (l *errorList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	sortErrors(l.errs)
	return l.errs
}

func sortErrors(errs ErrorList) {
	slices.SortStableFunc(errs, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Column, b.Column),
		)
	})
}

// asErrorList returns err as an ErrorList, wrapping an error of another
// type as one entry for file.
func asErrorList(file string, err error) ErrorList {
	var list ErrorList
	if errors.As(err, &list) {
		return list
	}
	return ErrorList{{File: file, Message: err.Error(), Err: err}}
}

// suggest returns `; did you mean "x"?` for the known name closest to an
// unknown one (see [reward.Closest]), or "" when none is close.
func suggest(unknown string, known []string) string {
	best := reward.Closest(unknown, known)
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}
