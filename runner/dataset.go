package runner

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// datasetFormats maps file extensions to the dataset formats.
var datasetFormats = map[string]string{
	".json":   "json",
	".jsonl":  "jsonl",
	".ndjson": "jsonl",
	".csv":    "csv",
}

// readDataset reads the dataset file at path and returns it with the
// SHA-256 of the file's bytes. A problem inside the file is an *Error
// positioned in that file; a file that cannot be read is the os error.
func readDataset(name, path, key string) (*Dataset, string, error) {
	format, ok := datasetFormats[strings.ToLower(filepath.Ext(path))]
	if !ok {
		return nil, "", fmt.Errorf("dataset %s: unknown format of %s: use .json, .jsonl, .ndjson or .csv", name, path)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(data)

	d := &Dataset{Name: name, Path: path, Key: key}
	var lines []int
	switch format {
	case "json":
		err = d.parseJSON(data)
	case "jsonl":
		lines, err = d.parseJSONL(data)
	case "csv":
		lines, err = d.parseCSV(data)
	}
	if err != nil {
		return nil, "", err
	}

	if key != "" {
		err = d.index(lines)
	}
	if err != nil {
		return nil, "", err
	}
	return d, hex.EncodeToString(sum[:]), nil
}

// parseJSON keeps the file's value as it is. An array whose elements are
// all objects also gives the rows.
func (d *Dataset) parseJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return d.jsonError(data, 0, err)
	}
	d.Value = v

	list, ok := v.([]any)
	if !ok {
		return nil
	}
	rows := make([]map[string]any, 0, len(list))
	for _, e := range list {
		row, ok := e.(map[string]any)
		if !ok {
			return nil
		}
		rows = append(rows, row)
	}
	d.Rows = rows
	return nil
}

// parseJSONL reads one JSON object per line; blank lines are skipped. It
// returns the file line of each row, and an error for a file without rows.
func (d *Dataset) parseJSONL(data []byte) ([]int, error) {
	var lines []int
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 64<<20)

	for line := 1; sc.Scan(); line++ {
		text := sc.Bytes()
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		var row map[string]any
		if err := json.Unmarshal(text, &row); err != nil {
			return nil, d.jsonError(text, line, err)
		}
		if row == nil {
			return nil, &Error{File: d.Path, Line: line, Message: "each line must be a JSON object, got null"}
		}
		d.Rows = append(d.Rows, row)
		lines = append(lines, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", d.Path, err)
	}
	if len(d.Rows) == 0 {
		return nil, &Error{File: d.Path, Line: 1, Message: "the file has no rows: a JSONL dataset needs one JSON object per line"}
	}

	d.Value = rowsValue(d.Rows)
	return lines, nil
}

// jsonError positions a JSON decoding error: at the byte offset of a
// syntax error in the whole file, or on the given line of a JSONL file.
func (d *Dataset) jsonError(data []byte, line int, err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		err = fmt.Errorf("each line must be a JSON object, got a JSON %s", typeErr.Value)
	}

	var syntaxErr *json.SyntaxError
	if !errors.As(err, &syntaxErr) {
		return &Error{File: d.Path, Line: line, Message: err.Error(), Err: err}
	}
	l, c := offsetPosition(data, syntaxErr.Offset)
	if line > 0 {
		l = line
	}
	return &Error{File: d.Path, Line: l, Column: c, Message: "invalid JSON: " + err.Error(), Err: err}
}

// offsetPosition returns the 1-based line and column of a byte offset.
func offsetPosition(data []byte, offset int64) (line, col int) {
	offset = min(offset, int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, max(col, 1)
}

// parseCSV reads a header row and at least one row under it. Values keep
// their text: "007" stays "007". It returns the file line of each row.
func (d *Dataset) parseCSV(data []byte) ([]int, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF"))))
	header, err := r.Read()
	if err == io.EOF {
		return nil, &Error{File: d.Path, Line: 1, Message: "the file is empty: a CSV dataset needs a header row"}
	}
	if err != nil {
		return nil, d.csvError(err)
	}
	seen := map[string]int{}
	for i, name := range header {
		if name == "" {
			return nil, &Error{File: d.Path, Line: 1, Message: fmt.Sprintf("column %d of the header row has no name", i+1)}
		}
		if prev, ok := seen[name]; ok {
			return nil, &Error{File: d.Path, Line: 1, Message: fmt.Sprintf("columns %d and %d of the header row are both named %q", prev+1, i+1, name)}
		}
		seen[name] = i
	}

	var lines []int
	for {
		record, err := r.Read()
		if err == io.EOF {
			break
		}
		if errors.Is(err, csv.ErrFieldCount) {
			line, _ := r.FieldPos(0)
			return nil, &Error{File: d.Path, Line: line, Message: fmt.Sprintf("the row has %d fields but the header row has %d", len(record), len(header)), Err: err}
		}
		if err != nil {
			return nil, d.csvError(err)
		}
		row := make(map[string]any, len(header))
		for i, name := range header {
			row[name] = record[i]
		}
		line, _ := r.FieldPos(0)
		d.Rows = append(d.Rows, row)
		lines = append(lines, line)
	}
	if len(d.Rows) == 0 {
		return nil, &Error{File: d.Path, Line: 1, Message: "the file has a header but no rows: add at least one row under the header"}
	}

	d.Value = rowsValue(d.Rows)
	return lines, nil
}

func (d *Dataset) csvError(err error) error {
	var parseErr *csv.ParseError
	if errors.As(err, &parseErr) {
		return &Error{File: d.Path, Line: parseErr.Line, Column: parseErr.Column, Message: parseErr.Err.Error(), Err: err}
	}
	return fmt.Errorf("read %s: %w", d.Path, err)
}

// rowsValue returns rows as the []any that formulas index.
func rowsValue(rows []map[string]any) []any {
	out := make([]any, len(rows))
	for i, row := range rows {
		out[i] = row
	}
	return out
}

// index replaces Value with a map of the rows by their Key column. lines
// are the rows' file lines, or nil for a JSON array.
func (d *Dataset) index(lines []int) error {
	if d.Rows == nil {
		return fmt.Errorf("dataset %s: key %q needs a list of rows, but %s is a JSON %s: remove the key to use the value as it is", d.Name, d.Key, d.Path, jsonKind(d.Value))
	}

	byKey := make(map[string]any, len(d.Rows))
	firstRow := make(map[string]int, len(d.Rows))
	for i, row := range d.Rows {
		line := 0
		if lines != nil {
			line = lines[i]
		}

		k, err := keyText(row[d.Key])
		if err != nil {
			return &Error{File: d.Path, Line: line, Message: fmt.Sprintf("row %d: key column %q %v", i+1, d.Key, err)}
		}
		if first, dup := firstRow[k]; dup {
			return &Error{File: d.Path, Line: line, Message: fmt.Sprintf("rows %d and %d have the same key %q in column %q; keys must be unique", first+1, i+1, k, d.Key)}
		}
		byKey[k] = row
		firstRow[k] = i
	}
	d.Value = byKey
	return nil
}

// keyText returns a key column's value as map key text: a non-empty string,
// or an integer number written in decimal.
func keyText(v any) (string, error) {
	switch k := v.(type) {
	case nil:
		return "", errors.New("is missing")
	case string:
		if k == "" {
			return "", errors.New("is empty")
		}
		return k, nil
	case float64:
		if k == math.Trunc(k) && math.Abs(k) < 1<<53 {
			return strconv.FormatInt(int64(k), 10), nil
		}
	}
	return "", fmt.Errorf("must be a string or an integer, got %v", v)
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array of non-objects"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	}
	return "null"
}
