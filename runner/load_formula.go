package runner

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/rankloop/rankloop/reward"
	"go.yaml.in/yaml/v3"
)

// formula compiles the formula under key with compile, recording its error
// positioned in the experiment file. It returns nil on error.
func (l *loader) formula(key, value *yaml.Node, compile func(src string, pos reward.Position) (*reward.Formula, error)) *reward.Formula {
	n, ok := l.scalar(value, key.Value)
	if !ok {
		return nil
	}
	if strings.TrimSpace(n.Value) == "" {
		l.add(n.Line, n.Column, "%s is empty: write a formula", key.Value)
		return nil
	}

	pos := l.formulaPosition(key, n)
	f, err := compile(n.Value, pos)
	switch {
	case err == nil:
		return f
	case errors.Is(err, reward.ErrUnloadedDataset):
		// The dataset's own error is reported.
		return nil
	}

	var rerr *reward.Error
	if !errors.As(err, &rerr) {
		l.add(n.Line, n.Column, "%s: %v", key.Value, err)
		return nil
	}
	// The message is what follows the position that reward.Error prints.
	prefix := fmt.Sprintf("%s:%d:%d: ", rerr.File, rerr.Line, rerr.Column)
	l.addErr(&Error{
		File: l.path, Line: rerr.Line, Column: rerr.Column,
		Message: strings.TrimPrefix(rerr.Error(), prefix),
		Err:     rerr,
	})
	return nil
}

// formulaPosition locates a formula's text in the file, so that formula
// errors point at the right line and column.
func (l *loader) formulaPosition(key, n *yaml.Node) reward.Position {
	pos := reward.Position{File: l.path, Line: n.Line, Column: n.Column}
	switch {
	case n.Style&yaml.LiteralStyle != 0:
		// The node is at the | indicator; the text starts on the next line.
		pos.Line++
		pos.Block = true
		pos.Indent = l.blockIndent(key, n)
		return pos
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		pos.Column++
	case n.Style&yaml.FoldedStyle != 0:
		pos.Approximate = true
		return pos
	}

	// A quoted scalar with escapes or a scalar folded over several lines
	// does not map character by character onto the file.
	if !l.textAt(pos.Line, pos.Column, n.Value) {
		pos.Column = n.Column
		pos.Approximate = true
	}
	return pos
}

// textAt reports whether text appears on a 1-based line of the file at a
// 1-based column counted in characters, as YAML counts them.
func (l *loader) textAt(line, col int, text string) bool {
	rest, ok := l.lineFrom(line, col)
	return ok && strings.HasPrefix(rest, text)
}

// lineFrom returns the rest of a 1-based line from a 1-based column counted
// in characters.
func (l *loader) lineFrom(line, col int) (string, bool) {
	if line < 1 || line > len(l.lines) || col < 1 {
		return "", false
	}
	s := l.lines[line-1]
	for range col - 1 {
		_, size := utf8.DecodeRuneInString(s)
		if size == 0 {
			return "", false
		}
		s = s[size:]
	}
	return s, true
}

// blockIndent returns the indentation of a literal block's text: the key's
// indentation plus an explicit indentation indicator such as |2, or else
// the indentation of the block's first non-empty line.
func (l *loader) blockIndent(key, n *yaml.Node) int {
	if header, ok := l.lineFrom(n.Line, n.Column); ok && strings.HasPrefix(header, "|") {
		for _, c := range header[1:] {
			if c >= '1' && c <= '9' {
				return key.Column - 1 + int(c-'0')
			}
			if c != '-' && c != '+' {
				break
			}
		}
	}

	for i := n.Line; i < len(l.lines); i++ {
		text := l.lines[i]
		if strings.TrimSpace(text) == "" {
			continue
		}
		return len(text) - len(strings.TrimLeft(text, " "))
	}
	return 0
}
