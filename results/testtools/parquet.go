package testtools

import (
	"encoding/json"
	"testing"
)

// ParquetReport is the output of tools/parquet-check.mjs: the schema,
// column chunk metadata, footer and query results of one Parquet file as
// DuckDB reads it.
type ParquetReport struct {
	// Schema holds one parquet_schema() row per schema element, the root
	// first.
	Schema []map[string]any `json:"schema"`

	// Columns holds one parquet_metadata() row per column chunk, ordered by
	// row group and column.
	Columns []ColumnChunk `json:"columns"`

	RowGroups []int64           `json:"row_groups"` // rows in each row group
	Rows      int64             `json:"rows"`       // rows DuckDB reads
	KV        map[string]string `json:"kv"`         // footer key/value metadata

	// Describe lists the columns as DuckDB types them, in file order.
	Describe []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"describe"`

	// Queries holds the result rows of each query passed to ParquetCheck.
	Queries [][]map[string]any `json:"queries"`
}

// ColumnChunk is the subset of a parquet_metadata() row that tests check.
type ColumnChunk struct {
	RowGroupID   int64  `json:"row_group_id"`
	RowGroupRows int64  `json:"row_group_num_rows"`
	PathInSchema string `json:"path_in_schema"`
	Type         string `json:"type"`
	NumValues    int64  `json:"num_values"`
	Compression  string `json:"compression"`
	Encodings    string `json:"encodings"`

	// DataPageOffset is the file offset of the chunk's first data page.
	DataPageOffset int64 `json:"data_page_offset"`
}

// ParquetCheck reads the Parquet file at path with DuckDB and runs each
// query against it, where the file is the view f (for example
// "SELECT count(*) AS n FROM f") and the view f_rows adds the 0-based
// column file_row_number. It skips the test when node or the npm
// package @duckdb/node-api is missing.
func ParquetCheck(t testing.TB, path string, queries ...string) *ParquetReport {
	t.Helper()
	ToolsDir(t, "@duckdb/node-api")
	out := RunNode(t, "parquet-check.mjs", nil, append([]string{path}, queries...)...)

	var report ParquetReport
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("decode parquet-check output: %v\n%s", err, out)
	}
	return &report
}
