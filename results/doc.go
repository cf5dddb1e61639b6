// Package results writes and reads the files of one rankloop run folder:
// events.parquet (one row per event), batches.parquet (one row per batch of
// a run), manifest.json, and chart.html.
//
// The Parquet files are written for broad reader support: zstd compression,
// PLAIN or dictionary encodings only (never DELTA_*), data page version 1,
// and row groups of at most [MaxRowsPerRowGroup] rows so that memory stays
// bounded however many events a run has. Every file is written under a
// temporary name and renamed into place, so an interrupted run never leaves
// a truncated file under its final name; the exception is [NewEventWriter],
// which writes to any io.Writer the caller gives.
//
// Runs execute in parallel and each writes its own part file with an
// [EventWriter]; [MergeEvents] then streams the parts, in arm and repetition
// order, into the final events.parquet.
package results
