// Package results writes and reads the files of one rankloop run folder:
// events.parquet (one row per event), batches.parquet (one row per batch of
// a run), manifest.json, and chart.html.
//
// The Parquet files are written so that old and new readers accept them:
// zstd compression, PLAIN or dictionary encodings only (never DELTA_*) and
// data page version 1. Row groups hold at most [MaxRowsPerRowGroup] rows, so
// memory stays bounded however many events a run has.
//
// The functions that take a destination path write under a temporary name
// and rename the file into place, so an interrupted run never leaves a
// truncated file under its final name. [NewEventWriter] and [WriteChart]
// write to an io.Writer, and [CreateEventFile] writes part files in place.
//
// Runs execute in parallel and each writes its own part file with an
// [EventWriter]. [MergeEvents] then joins the parts, in arm and repetition
// order, into the final events.parquet by copying their pages byte for
// byte, so each run's row groups reach the final file unchanged.
package results
