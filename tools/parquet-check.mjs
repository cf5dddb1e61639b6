// parquet-check reads a Parquet file with DuckDB, a reader independent of the
// Go writer, and prints what it found as one JSON object on stdout:
//
//   node parquet-check.mjs FILE [SQL...]
//
// The output has these keys:
//   schema    parquet_schema(): one entry per schema element (name, type,
//             converted_type, logical_type, repetition_type, num_children)
//   columns   parquet_metadata(): one entry per column chunk (row_group_id,
//             path_in_schema, type, num_values, compression, encodings, ...)
//   row_groups  number of rows in each row group, in file order
//   rows      the row count DuckDB reads
//   kv        the footer's key/value metadata as an object
//   describe  column names and DuckDB types, in file order
//   queries   for each SQL argument, its result rows as objects; the file is
//             the view `f`, for example: SELECT count(*) AS n FROM f, and
//             the view `f_rows` adds the 0-based file_row_number column
//
// 64-bit integers are printed as JSON numbers when they fit in 2^53 and as
// strings otherwise; BLOBs are decoded as UTF-8 text.
import { DuckDBInstance } from '@duckdb/node-api';

const [file, ...queries] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node parquet-check.mjs FILE [SQL...]\n');
  process.exit(2);
}

function plain(value) {
  if (typeof value === 'bigint') {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value.toString();
  }
  if (value instanceof Uint8Array) {
    return new TextDecoder().decode(value);
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) &&
      Object.getPrototypeOf(value) !== Object.prototype) {
    // DuckDB value classes (decimals, timestamps, blobs) print themselves.
    return value.toString();
  }
  return value;
}

function toJSON(rows) {
  return JSON.parse(JSON.stringify(rows, (_, v) => plain(v)));
}

async function all(connection, sql, params) {
  const reader = await connection.runAndReadAll(sql, params);
  return toJSON(reader.getRowObjectsJS());
}

const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const quoted = `'${file.replaceAll("'", "''")}'`;
await connection.run(`CREATE VIEW f AS SELECT * FROM read_parquet(${quoted})`);
await connection.run(
  `CREATE VIEW f_rows AS SELECT * FROM read_parquet(${quoted}, file_row_number = true)`);

const out = {};
out.schema = await all(connection, `SELECT * FROM parquet_schema(${quoted})`);
out.columns = await all(connection,
  `SELECT * FROM parquet_metadata(${quoted}) ORDER BY row_group_id, column_id`);
out.row_groups = (await all(connection,
  `SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata(${quoted}) ORDER BY row_group_id`))
  .map((r) => r.row_group_num_rows);
out.rows = (await all(connection, 'SELECT count(*) AS n FROM f'))[0].n;
out.kv = Object.fromEntries((await all(connection,
  `SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata(${quoted})`))
  .map((r) => [r.key, r.value]));
out.describe = (await all(connection, 'DESCRIBE f'))
  .map((r) => ({ name: r.column_name, type: r.column_type }));
out.queries = [];
for (const sql of queries) {
  out.queries.push(await all(connection, sql));
}

process.stdout.write(JSON.stringify(out) + '\n');
connection.closeSync();
instance.closeSync();
