package runner

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadDatasetCSVKeepsText(t *testing.T) {
	path := filepath.Join("testdata", "data", "codes.csv")
	d, sum, err := readDataset("codes", path, "code")
	if err != nil {
		t.Fatal(err)
	}

	wantRows := []map[string]any{
		{"code": "007", "label": "agent", "price": "1.50"},
		{"code": "010", "label": "ten", "price": "2"},
	}
	if diff := cmp.Diff(wantRows, d.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	wantValue := map[string]any{"007": wantRows[0], "010": wantRows[1]}
	if diff := cmp.Diff(wantValue, d.Value); diff != "" {
		t.Errorf("value by key (-want +got):\n%s", diff)
	}
	if want := sha256File(t, path); sum != want {
		t.Errorf("SHA-256 = %s, want %s", sum, want)
	}
}

func TestReadDatasetCSVWithoutKey(t *testing.T) {
	d, _, err := readDataset("coffees", filepath.Join("testdata", "data", "coffees.csv"), "")
	if err != nil {
		t.Fatal(err)
	}
	list, ok := d.Value.([]any)
	if !ok || len(list) != 4 {
		t.Fatalf("value = %T of %d, want []any of the 4 rows", d.Value, len(list))
	}
	if row := list[0].(map[string]any); row["id"] != "Cappucino" || row["organic"] != "yes" {
		t.Errorf("first row = %v, want Cappucino, organic yes", row)
	}
}

func TestReadDatasetCSVByteOrderMark(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bom.csv")
	if err := os.WriteFile(path, []byte("\uFEFFid,type\nLatte,hot\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, _, err := readDataset("bom", path, "id")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Value.(map[string]any)["Latte"]; !ok {
		t.Errorf("value = %v, want the row keyed by Latte, without the byte order mark in the header", d.Value)
	}
}

func TestReadDatasetJSONL(t *testing.T) {
	d, _, err := readDataset("shoppers", filepath.Join("testdata", "data", "shoppers.jsonl"), "")
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"id": "s1", "segment": "student", "age": 21.0, "member": true},
		{"id": "s2", "segment": "retired", "age": 67.0, "member": false},
		{"id": "s3", "segment": "office", "age": 35.0, "member": true},
	}
	if diff := cmp.Diff(want, d.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

func TestReadDatasetJSON(t *testing.T) {
	d, _, err := readDataset("preferences", filepath.Join("testdata", "data", "preferences.json"), "")
	if err != nil {
		t.Fatal(err)
	}
	if d.Rows != nil {
		t.Errorf("rows = %v, want none for a JSON object", d.Rows)
	}
	alice := d.Value.(map[string]any)["Alice"].(map[string]any)
	if got := alice["Rainy"].(map[string]any)["Morning"]; got != "Latte" {
		t.Errorf("Alice, Rainy, Morning = %v, want Latte", got)
	}

	d, _, err = readDataset("rows", filepath.Join("testdata", "data", "rows.json"), "id")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"a": map[string]any{"id": "a", "n": 1.0},
		"b": map[string]any{"id": "b", "n": 2.0},
	}
	if diff := cmp.Diff(want, d.Value); diff != "" {
		t.Errorf("keyed JSON rows (-want +got):\n%s", diff)
	}
}

func TestReadDatasetErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}

	tests := []struct {
		name string
		path string
		key  string
		want string
	}{
		{"empty CSV", write("empty.csv", ""), "",
			"empty.csv:1: the file is empty: a CSV dataset needs a header row"},
		{"CSV header only", write("header.csv", "id,type\n"), "",
			"header.csv:1: the file has a header but no rows: add at least one row under the header"},
		{"CSV header only with a key", write("header-key.csv", "id,type\r\n"), "id",
			"header-key.csv:1: the file has a header but no rows: add at least one row under the header"},
		{"empty JSONL", write("empty.jsonl", ""), "",
			"empty.jsonl:1: the file has no rows: a JSONL dataset needs one JSON object per line"},
		{"JSONL of blank lines", write("blank.jsonl", "\n  \n"), "id",
			"blank.jsonl:1: the file has no rows: a JSONL dataset needs one JSON object per line"},
		{"unnamed CSV column", write("unnamed.csv", "id,,type\n"), "",
			"unnamed.csv:1: column 2 of the header row has no name"},
		{"repeated CSV column", write("repeated.csv", "id,type,id\n"), "",
			`repeated.csv:1: columns 1 and 3 of the header row are both named "id"`},
		{"bare quote in CSV", write("quote.csv", "id,type\nLat\"te,hot\n"), "",
			`quote.csv:2:4: bare " in non-quoted-field`},
		{"missing key column", write("nokey.csv", "id,type\nLatte,hot\n"), "code",
			`nokey.csv:2: row 1: key column "code" is missing`},
		{"empty key", write("emptykey.csv", "id,type\n,hot\n"), "id",
			`emptykey.csv:2: row 1: key column "id" is empty`},
		{"fractional JSONL key", write("frac.jsonl", "{\"id\": 1.5}\n"), "id",
			`frac.jsonl:1: row 1: key column "id" must be a string or an integer, got 1.5`},
		{"JSONL array line", write("array.jsonl", "[1, 2]\n"), "",
			"array.jsonl:1: each line must be a JSON object, got a JSON array"},
		{"JSONL null line", write("null.jsonl", "{\"id\": \"a\"}\nnull\n"), "",
			"null.jsonl:2: each line must be a JSON object, got null"},
		{"JSON syntax", write("bad.json", "{\n  \"a\": 1,\n}\n"), "",
			"bad.json:3:1: invalid JSON: invalid character '}' looking for beginning of object key string"},
		{"unknown format", write("data.tsv", "id\ta\n"), "",
			"dataset d: unknown format of " + filepath.Join(dir, "data.tsv") + ": use .json, .jsonl, .ndjson or .csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readDataset("d", tt.path, tt.key)
			if err == nil {
				t.Fatalf("readDataset succeeded, want %q", tt.want)
			}
			got := err.Error()
			var e *Error
			if errors.As(err, &e) {
				got = (&Error{File: filepath.Base(e.File), Line: e.Line, Column: e.Column, Message: e.Message}).Error()
			}
			if got != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestReadDatasetIntegerKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ids.jsonl")
	if err := os.WriteFile(path, []byte("{\"id\": 7, \"name\": \"seven\"}\n{\"id\": \"8\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, _, err := readDataset("ids", path, "id")
	if err != nil {
		t.Fatal(err)
	}
	byKey := d.Value.(map[string]any)
	if _, ok := byKey["7"]; !ok {
		t.Errorf("keys = %v, want 7 written as \"7\"", byKey)
	}
}
